package panther

import (
	"math"
	"testing"
	"time"
)

// TestPaceAdapts: far above what Panther accepts, one 429 cuts the pace to
// just below the accepted pace; it grows back quickly to near that
// ceiling, then only slowly beyond, and never above the base.
func TestPaceAdapts(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newPace(40)
	p.now = func() time.Time { return now }
	p.lastGrow = now
	// Panther accepted 20 calls a second for the last 2 seconds.
	for i := range 40 {
		p.accepted[i] = now.Add(-time.Duration(i) * 50 * time.Millisecond)
	}
	p.throttled()
	if got := p.cur; math.Abs(got-18) > 0.01 {
		t.Fatalf("after a 429: pace %.2f; want 18 (0.9 of the 20/s Panther accepted)", got)
	}
	p.throttled() // a 429 of a call already in flight: no second cut
	if got := p.cur; math.Abs(got-18) > 0.01 {
		t.Fatalf("after a second 429 at once: pace %.2f; want 18 still", got)
	}
	step := func(d time.Duration) {
		for end := now.Add(d); now.Before(end); {
			now = now.Add(time.Second)
			p.grow()
		}
	}
	step(3 * time.Second)
	if p.cur < 19.3 || p.cur > 19.7 {
		t.Fatalf("3s later: pace %.2f; want back near 19.4 (0.97 of the ceiling)", p.cur)
	}
	step(20 * time.Second)
	if p.cur > 19.5 {
		t.Fatalf("23s later: pace %.2f; want it held near the ceiling of 20", p.cur)
	}
	step(20 * time.Second)
	if p.cur > 20.3 {
		t.Fatalf("43s later: pace %.2f; want only slowly beyond the ceiling of 20", p.cur)
	}
	step(10 * time.Minute)
	if p.cur != 40 {
		t.Fatalf("10m later: pace %.2f; want the base, 40", p.cur)
	}
}
