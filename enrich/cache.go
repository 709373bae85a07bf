package enrich

import (
	"container/list"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/panther-triage/panther-triage/panther"
)

// Cached wraps p in a cache of its answers, shared by every investigation
// of the process: an indicator looked up again within ttl is answered
// without a request and without using the provider's quota. The cache is
// in memory, per process and lost on restart; it holds at most size
// answers and drops the least recently used beyond. Answers, including "no
// record", are kept; errors and rate limits are not. Concurrent lookups of
// one indicator send one request. obs may be nil.
func Cached(p Provider, ttl time.Duration, size int, obs Observer) Provider {
	return &cache{p: p, ttl: ttl, size: max(size, 1), obs: obs, now: time.Now,
		entries: map[string]*list.Element{}, lru: list.New(), flights: map[string]*flight{}}
}

type cache struct {
	p    Provider
	ttl  time.Duration
	size int
	obs  Observer
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // of *entry
	lru     *list.List               // most recently used first
	flights map[string]*flight
}

type entry struct {
	key     string
	res     Result
	expires time.Time
}

// flight is a lookup under way, which others of the same key wait for.
type flight struct {
	done chan struct{}
	res  Result
	err  error
}

func (c *cache) Name() string              { return c.p.Name() }
func (c *cache) Supports(kind string) bool { return c.p.Supports(kind) }

func (c *cache) Lookup(ctx context.Context, kind, value string) (Result, error) {
	key := kind + "\x00" + strings.ToLower(value)
	for {
		c.mu.Lock()
		if el, ok := c.entries[key]; ok {
			e := el.Value.(*entry)
			if c.now().Before(e.expires) {
				c.lru.MoveToFront(el)
				c.mu.Unlock()
				c.hit()
				return e.res, nil
			}
			c.lru.Remove(el)
			delete(c.entries, key)
		}
		if f, ok := c.flights[key]; ok {
			c.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return Result{}, ctx.Err()
			}
			if f.err == nil {
				c.hit()
				return f.res, nil
			}
			if isCancel(f.err) && ctx.Err() == nil {
				continue // the other caller gave up; ask for ourselves
			}
			return Result{}, f.err
		}
		f := &flight{done: make(chan struct{})}
		c.flights[key] = f
		c.mu.Unlock()

		f.res, f.err = c.p.Lookup(ctx, kind, value)
		c.observe(f.res, f.err)
		c.mu.Lock()
		delete(c.flights, key)
		if f.err == nil {
			c.entries[key] = c.lru.PushFront(&entry{key: key, res: f.res, expires: c.now().Add(c.ttl)})
			for c.lru.Len() > c.size {
				old := c.lru.Remove(c.lru.Back()).(*entry)
				delete(c.entries, old.key)
			}
		}
		c.mu.Unlock()
		close(f.done)
		return f.res, f.err
	}
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (c *cache) hit() {
	if c.obs != nil {
		c.obs.EnrichmentCacheHit(c.p.Name())
	}
}

func (c *cache) observe(res Result, err error) {
	if c.obs == nil {
		return
	}
	outcome := "ok"
	switch {
	case panther.Classify(err) == panther.ClassRateLimited:
		outcome = "rate_limited"
	case err != nil:
		outcome = "error"
	case res.NotFound:
		outcome = "not_found"
	}
	c.obs.EnrichmentCall(c.p.Name(), outcome)
}
