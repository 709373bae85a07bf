package enrich

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
)

// Provider is a reputation service. The enrichment step declares the
// interface (investigate.Provider); the providers here implement it.
type Provider = investigate.Provider

// Result is what a provider said about one indicator: a verdict weight, a
// one-line title and the provider's page on the indicator.
type Result = investigate.Reputation

// Observer is told of every lookup, for metrics; package metrics implements
// it. Its methods must be quick and safe for concurrent use.
type Observer interface {
	// EnrichmentCall is told of each lookup the cache could not answer:
	// outcome ok, not_found, rate_limited (a 429, or held back by the local
	// rate limit or an earlier Retry-After, no request sent) or error.
	EnrichmentCall(provider, outcome string)
	// EnrichmentCacheHit is told of each lookup answered from the cache.
	EnrichmentCacheHit(provider string)
}

// Config selects and tunes the providers for New.
type Config struct {
	// AbuseIPDBKey, GreyNoiseKey and VirusTotalKey are the API keys. A
	// provider whose key is empty is off.
	AbuseIPDBKey, GreyNoiseKey, VirusTotalKey string
	// TTL is how long an answer is reused. Default 24 hours.
	TTL time.Duration
	// CacheSize bounds the answers kept per provider. Default 10,000.
	CacheSize int
	// Observer, when set, is told of every lookup. Default nil.
	Observer Observer
}

// New returns the providers whose keys are set, each with its documented
// rate limit and behind its own cache (see Cached), in a fixed order:
// AbuseIPDB, GreyNoise, VirusTotal.
func New(cfg Config) []Provider {
	ttl := cmp.Or(cfg.TTL, 24*time.Hour)
	size := cmp.Or(cfg.CacheSize, 10_000)
	var out []Provider
	if cfg.AbuseIPDBKey != "" {
		out = append(out, Cached(AbuseIPDB(cfg.AbuseIPDBKey, Options{}), ttl, size, cfg.Observer))
	}
	if cfg.GreyNoiseKey != "" {
		out = append(out, Cached(GreyNoise(cfg.GreyNoiseKey, Options{}), ttl, size, cfg.Observer))
	}
	if cfg.VirusTotalKey != "" {
		out = append(out, Cached(VirusTotal(cfg.VirusTotalKey, Options{}), ttl, size, cfg.Observer))
	}
	return out
}

// Options tune one provider. Zero values take the defaults.
type Options struct {
	// BaseURL is the API's scheme and host, for tests. Default the
	// provider's public API.
	BaseURL string
	// Client sends the requests. Default a client with a 10 second timeout.
	Client *http.Client
	// Limits are the provider's request limits. Default its documented
	// free-tier limits (see each provider).
	Limits []Limit
	// MaxWait is how long a lookup may wait for the rate limit to allow a
	// request before it gives up as rate limited; never past the context's
	// deadline. Default 10 seconds; negative: never wait.
	MaxWait time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends. Default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// RateLimitError says that a provider was not asked: its rate limit is
// used up, or it answered 429 and its Retry-After has not passed. It is the
// service's one notion of "rate limited" (panther.RetryAfterError, read by
// panther.RetryAfter and panther.Classify), which the enrichment step reads
// too.
type RateLimitError struct {
	Provider string
	// Until is when the provider may be asked again.
	Until time.Time
}

func (e *RateLimitError) Error() string {
	return "rate limited until " + e.Until.UTC().Format(time.RFC3339)
}

// RetryAfter implements panther.RetryAfterError: how long until the
// provider may be asked again.
func (e *RateLimitError) RetryAfter() time.Duration { return max(0, time.Until(e.Until)) }

// errNotFound is a 404: the provider has no record of the indicator.
var errNotFound = errors.New("not found")

// defaultRetryAfter is how long a provider is left alone after a 429 that
// does not say.
const defaultRetryAfter = time.Minute

// maxAnswer bounds the JSON read from a provider.
const maxAnswer = 1 << 20

// client is the HTTP side every provider shares: the key in its header, the
// rate limit, 429 handling and JSON decoding. The key is sent only as a
// header and never appears in an error.
type client struct {
	name      string
	base      string
	keyHeader string
	key       string
	http      *http.Client
	lim       *limiter
	maxWait   time.Duration
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
}

func newClient(name, base, keyHeader, key string, defaults []Limit, o Options) *client {
	c := &client{
		name: name, base: strings.TrimRight(cmp.Or(o.BaseURL, base), "/"), keyHeader: keyHeader, key: key,
		http: o.Client, maxWait: cmp.Or(o.MaxWait, 10*time.Second), now: o.Now, sleep: o.Sleep,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	limits := o.Limits
	if len(limits) == 0 {
		limits = defaults
	}
	c.lim = newLimiter(limits)
	return c
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// get sends GET base+path?query once the rate limit allows, and decodes a
// 2xx answer into out. A 404 is errNotFound; a 429 holds the provider back
// until its Retry-After and is a *RateLimitError.
func (c *client) get(ctx context.Context, path string, query url.Values, out any) error {
	if err := c.wait(ctx); err != nil {
		return err
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set(c.keyHeader, c.key)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
	}()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		until := retryAfter(resp.Header.Get("Retry-After"), c.now())
		c.lim.hold(until)
		return &RateLimitError{Provider: c.name, Until: until}
	case resp.StatusCode == http.StatusNotFound:
		return errNotFound
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("HTTP %d: is the API key right?", resp.StatusCode)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	return nil
}

// wait takes a request from the rate limit, waiting for one up to maxWait
// and the context's deadline.
func (c *client) wait(ctx context.Context) error {
	for {
		now := c.now()
		d, held := c.lim.take(now)
		if d <= 0 {
			return nil
		}
		if held || c.maxWait < 0 || d > c.maxWait {
			return &RateLimitError{Provider: c.name, Until: now.Add(d)}
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return &RateLimitError{Provider: c.name, Until: now.Add(d)}
		}
		if err := c.sleep(ctx, d); err != nil {
			return fmt.Errorf("wait for the rate limit: %w", err)
		}
	}
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h string, now time.Time) time.Time {
	h = strings.TrimSpace(h)
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second)
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t
	}
	return now.Add(defaultRetryAfter)
}
