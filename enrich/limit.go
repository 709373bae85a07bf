package enrich

import (
	"sync"
	"time"
)

// Limit is one of a provider's request limits: at most Requests in any
// span of Per. Requests of 0 or less is no limit.
type Limit struct {
	Requests int
	Per      time.Duration
}

// limiter keeps a provider within its limits. It remembers when each
// request in every limit's window was sent, so that no span of Per holds
// more than Requests, however the provider aligns its windows. It is per
// process: replicas each keep their own, and a provider's 429 tells them
// when they ask too much together.
type limiter struct {
	mu     sync.Mutex
	limits []Limit
	sent   [][]time.Time // per limit, oldest first, only those within Per
	until  time.Time     // held back by a Retry-After until then
}

func newLimiter(limits []Limit) *limiter {
	return &limiter{limits: limits, sent: make([][]time.Time, len(limits))}
}

// take records a request at now when every limit allows one and returns 0.
// Otherwise it records nothing and returns how long until a request would
// be allowed, and whether a Retry-After is what holds the provider back.
func (l *limiter) take(now time.Time) (wait time.Duration, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.until) {
		return l.until.Sub(now), true
	}
	for i, lim := range l.limits {
		if lim.Requests <= 0 {
			continue // no limit
		}
		s := l.sent[i]
		for len(s) > 0 && !s[0].Add(lim.Per).After(now) {
			s = s[1:]
		}
		l.sent[i] = s
		if len(s) >= lim.Requests {
			wait = max(wait, s[len(s)-lim.Requests].Add(lim.Per).Sub(now))
		}
	}
	if wait > 0 {
		return wait, false
	}
	for i := range l.limits {
		l.sent[i] = append(l.sent[i], now)
	}
	return 0, false
}

// hold stops requests until t, after a 429.
func (l *limiter) hold(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.until) {
		l.until = t
	}
}
