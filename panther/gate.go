package panther

import (
	"context"
	"sync"
	"time"
)

// defaultRetryAfter is how long calls are held after a 429 that named no
// Retry-After.
const defaultRetryAfter = time.Second

// gate holds every call of a client until the time a 429 asked for, so that
// no call from this process reaches Panther before its Retry-After, whichever
// worker makes it.
type gate struct {
	mu        sync.Mutex
	notBefore time.Time
}

// wait blocks until the gate opens. When ctx would end first it returns a
// *RateLimitError at once, so the caller can reschedule its work instead of
// sitting out its deadline.
func (g *gate) wait(ctx context.Context, op string) error {
	// Look again after each sleep: another 429 may have moved the time on.
	for {
		g.mu.Lock()
		until := g.notBefore
		g.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && deadline.Before(until) {
			return &RateLimitError{Op: op, Wait: d}
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// close holds calls for d from now, unless already held longer.
func (g *gate) close(d time.Duration) {
	if d <= 0 {
		d = defaultRetryAfter
	}
	until := time.Now().Add(d)
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.notBefore) {
		g.notBefore = until
	}
}
