package panther

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultRate is the base pace of a client, in Panther API calls per
// second, when WithRate is not given. Panther documents no limit; a 429
// lowers the pace below the base until Panther accepts it (see pace).
const DefaultRate = 50.0

// How the pace adapts. A 429 cuts the pace to paceCut of what drew it, and
// remembers that as the ceiling; without a 429 the pace grows back by
// paceRecover of the ceiling per second up to paceNear of it, then probes
// beyond by paceProbe per second once paceHold has passed, so that 429s
// stay rare once the ceiling is known.
const (
	paceCut     = 0.9
	paceRecover = 0.05
	paceNear    = 0.97
	paceProbe   = 0.002
	paceFloor   = 0.05 // of the base: the pace never falls below
	paceMinCut  = 0.5  // of the current pace: the lowest ceiling one 429 sets
	// paceHold is how long after a 429 the pace stays near its ceiling
	// before probing beyond it.
	paceHold = 30 * time.Second
	// paceCutEvery is how often at most a 429 cuts the pace: the 429s of
	// calls already in flight report one overload, not several.
	paceCutEvery = time.Second
)

// pace spaces a client's calls: a token bucket at the current rate (burst
// of one second's worth), lowered on a 429 and raised slowly after.
type pace struct {
	mu       sync.Mutex
	lim      *rate.Limiter
	base     float64
	cur      float64
	ceiling  float64 // the rate that last drew a 429; 0 before any
	lastCut  time.Time
	lastGrow time.Time
	now      func() time.Time
	// accepted are the times of the latest calls Panther accepted (a
	// ring), from which the pace Panther allows is estimated on a 429.
	accepted [256]time.Time
	next     int
}

// newPace returns a pace of base calls per second; nil (no pacing) for a
// base below or at zero.
func newPace(base float64) *pace {
	if base <= 0 {
		return nil
	}
	p := &pace{base: base, cur: base, now: time.Now}
	p.lim = rate.NewLimiter(rate.Limit(base), burstOf(base))
	p.lastGrow = p.now()
	return p
}

// burstOf is the bucket size for a rate: one second's calls, at least one.
// Once a 429 has lowered the pace, the bucket holds a fifth of that (see
// burst), so that no burst leaves when a Retry-After ends.
func burstOf(r float64) int { return max(1, int(r)) }

// burst is the bucket size at the current pace. Callers hold p.mu.
func (p *pace) burst() int {
	if p.ceiling > 0 {
		return max(1, int(p.cur/5))
	}
	return burstOf(p.cur)
}

// wait blocks until the pace admits a call. When ctx would end first it
// returns a *RateLimitError at once, like the Retry-After gate.
func (p *pace) wait(ctx context.Context, op string) error {
	if p == nil {
		return nil
	}
	p.grow()
	r := p.lim.Reserve()
	d := r.Delay()
	if d == 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		r.Cancel()
		return &RateLimitError{Op: op, Wait: d}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// throttled lowers the pace after a 429.
func (p *pace) throttled() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Sub(p.lastCut) < paceCutEvery {
		return
	}
	p.lastCut, p.lastGrow = now, now
	// The ceiling is the pace that drew the 429, or the pace Panther
	// accepted lately when that is lower: far above the limit, one cut
	// goes to just below it rather than several, each costing a
	// Retry-After. A pace that was not used in full says little, so the
	// ceiling never falls below paceMinCut of the current pace.
	p.ceiling = p.cur
	if allowed := p.acceptedRate(now); allowed > 0 && allowed < p.cur {
		p.ceiling = max(allowed, p.cur*paceMinCut)
	}
	p.cur = max(p.ceiling*paceCut, p.base*paceFloor)
	p.lim.SetLimitAt(now, rate.Limit(p.cur))
	p.lim.SetBurstAt(now, p.burst())
	// Start from an empty bucket: the calls saved up before the 429 would
	// otherwise leave at once when the Retry-After ends.
	if n := int(p.lim.TokensAt(now)); n > 0 {
		p.lim.AllowN(now, n)
	}
}

// ok records a call Panther accepted.
func (p *pace) ok() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accepted[p.next] = p.now()
	p.next = (p.next + 1) % len(p.accepted)
}

// acceptedRate is the pace at which Panther accepted calls over the last
// paceWindow, or 0 when too few calls tell. Callers hold p.mu.
func (p *pace) acceptedRate(now time.Time) float64 {
	n := 0
	var oldest time.Duration
	for _, t := range p.accepted {
		if age := now.Sub(t); !t.IsZero() && age <= paceWindow {
			n++
			oldest = max(oldest, age)
		}
	}
	// Only a window the client was busy across tells Panther's pace.
	if n < 5 || n == len(p.accepted) || oldest < paceWindow*9/10 {
		return 0
	}
	return float64(n) / paceWindow.Seconds()
}

// paceWindow is how far back accepted calls are counted.
const paceWindow = 2 * time.Second

// grow raises the pace for the time passed since it last did.
func (p *pace) grow() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur >= p.base {
		return
	}
	now := p.now()
	secs := now.Sub(p.lastGrow).Seconds()
	if secs < 0.25 {
		return
	}
	p.lastGrow = now
	ceiling := p.ceiling
	if ceiling <= 0 {
		ceiling = p.base
	}
	if near := ceiling * paceNear; p.cur < near {
		p.cur = min(near, p.cur+ceiling*paceRecover*secs)
	} else if now.Sub(p.lastCut) >= paceHold {
		p.cur += ceiling * paceProbe * secs
	}
	p.cur = min(p.base, p.cur)
	p.lim.SetLimitAt(now, rate.Limit(p.cur))
	p.lim.SetBurstAt(now, p.burst())
}

// Rate returns the current pace in calls per second (0 when unpaced).
func (c *Client) Rate() float64 {
	if c.pace == nil {
		return 0
	}
	c.pace.mu.Lock()
	defer c.pace.mu.Unlock()
	return c.pace.cur
}
