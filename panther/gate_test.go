package panther_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

func TestRateLimitHoldsEveryCallUntilRetryAfter(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	srv.SetFaults(panthersim.Faults{RetryAfter: time.Second})
	srv.FailNext(1, http.StatusTooManyRequests)
	c := panther.New(srv.GraphQLURL(), "", srv.Token, panther.WithRetries(0))

	_, err := c.Version(t.Context())
	var rl *panther.RateLimitError
	if !errors.As(err, &rl) || rl.Wait != time.Second {
		t.Fatalf("first call: %v; want a RateLimitError asking for 1s", err)
	}
	start := time.Now()
	// Another operation, as another worker would make it.
	if _, err := c.Comments(t.Context(), "b90c19e66e160e194a5b3b94ec27fb7c"); err != nil {
		t.Fatalf("call after the wait: %v", err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("second call went out after %s; want it held for the Retry-After", waited)
	}
	if n := srv.RateLimitViolations(); n != 0 {
		t.Fatalf("%d calls reached Panther before the Retry-After", n)
	}

	// A caller whose deadline ends before the gate opens is told at once.
	srv.FailNext(1, http.StatusTooManyRequests)
	_, _ = c.Version(t.Context())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Version(ctx)
	if !errors.As(err, &rl) {
		t.Fatalf("short deadline: %v; want a RateLimitError rather than waiting", err)
	}
}

func TestReadsRetryWritesDoNot(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	c := panther.New(srv.GraphQLURL(), "", srv.Token)
	const id = "b90c19e66e160e194a5b3b94ec27fb7c"
	srv.FailNext(2, http.StatusServiceUnavailable)
	if _, err := c.Comments(t.Context(), id); err != nil {
		t.Fatalf("a read after two 503s: %v; want it retried", err)
	}
	srv.SetFaults(panthersim.Faults{RetryAfter: time.Second})
	srv.FailNext(1, http.StatusTooManyRequests)
	start := time.Now()
	if _, err := c.Version(t.Context()); err != nil {
		t.Fatalf("a read after a 429: %v", err)
	}
	if time.Since(start) < 900*time.Millisecond || srv.RateLimitViolations() != 0 {
		t.Fatalf("the retry did not wait for the Retry-After (%s, %d violations)", time.Since(start), srv.RateLimitViolations())
	}
	srv.FailNext(1, http.StatusServiceUnavailable)
	if _, err := c.AddComment(t.Context(), id, "hello", panther.FormatPlainText); !panther.IsTransient(err) {
		t.Fatalf("a write after a 503: %v; want the error, not a retry", err)
	}
	if n := len(srv.Comments(id)); n != 0 {
		t.Fatalf("%d comments", n)
	}
	srv.FailNext(5, http.StatusServiceUnavailable)
	if _, err := c.Comments(t.Context(), id); !panther.IsTransient(err) {
		t.Fatalf("a read failing more often than the retries: %v", err)
	}
}
