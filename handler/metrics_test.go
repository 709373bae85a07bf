package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/panther-triage/panther-triage/triage"
)

// fakeDeliveries is a DeliveryObserver that keeps what it is told.
type fakeDeliveries struct {
	mu   sync.Mutex
	seen []string
}

var _ DeliveryObserver = (*fakeDeliveries)(nil)

func (f *fakeDeliveries) Delivery(outcome, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, outcome+"/"+code)
}

func TestDeliveriesAreObservedByOutcome(t *testing.T) {
	obs := &fakeDeliveries{}
	b := setup(t, func(c *Config) {
		c.Deliveries = obs
		c.Filter = &fakeFilter{FilterFunc: func(d triage.Delivery) string {
			if d.Severity == "LOW" {
				return "severity LOW is not investigated"
			}
			return ""
		}}
	})
	var mu sync.Mutex
	dup := false
	b.store.EnqueueFunc = func(context.Context, triage.Delivery) (triage.Enqueued, error) {
		mu.Lock()
		defer mu.Unlock()
		if dup {
			return triage.Enqueued{JobID: 42, Duplicate: true}, nil
		}
		dup = true
		return triage.Enqueued{JobID: 42}, nil
	}
	send := func(secret, body string) {
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		b.serve(req)
	}
	send(testSecret, documentedPayload)                                                              // queued
	send(testSecret, documentedPayload)                                                              // duplicate
	send(testSecret, strings.Replace(documentedPayload, `"severity":"INFO"`, `"severity":"LOW"`, 1)) // filtered
	send(testSecret, strings.ReplaceAll(documentedPayload, "b90c19e66e160e194a5b3b94ec27fb7c", "Test.Alert"))
	send("wrong", documentedPayload)
	send(testSecret, `{not json`)
	send(testSecret, `{"alertId":"x"}`)

	want := []string{"queued/", "duplicate/", "filtered/", "test/",
		"rejected/unauthorized", "rejected/invalid_json", "rejected/invalid_payload"}
	if !slices.Equal(obs.seen, want) {
		t.Fatalf("observed %v; want %v", obs.seen, want)
	}

	b.store.EnqueueFunc = func(context.Context, triage.Delivery) (triage.Enqueued, error) {
		return triage.Enqueued{}, errors.New(storeErrText)
	}
	send(testSecret, strings.ReplaceAll(documentedPayload, "b90c19e66e160e194a5b3b94ec27fb7c", "another"))
	if last := obs.seen[len(obs.seen)-1]; last != "rejected/unavailable" {
		t.Fatalf("store failure observed as %q; want rejected/unavailable", last)
	}
}

func TestMetricsRouteNeedsNoSecret(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "panther_triage_up 1")
	})
	b := setup(t, func(c *Config) { c.Metrics = metrics })
	rec := b.serve(httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "panther_triage_up 1") {
		t.Fatalf("GET /metrics without the secret: %d %q; want 200 and the metrics", rec.Code, rec.Body.String())
	}

	// Without a metrics handler there is no route.
	b = setup(t)
	if rec := b.serve(httptest.NewRequest(http.MethodGet, "/metrics", nil)); rec.Code != http.StatusNotFound {
		t.Fatalf("GET /metrics with no metrics configured: %d; want 404", rec.Code)
	}
}
