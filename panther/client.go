package panther

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// Client calls Panther's GraphQL and REST APIs with one API token. It is safe
// for concurrent use; at most the configured number of calls are in flight at
// once. Reads that fail transiently are tried again a few times
// (WithRetries); writes never are: callers (the job queue) own those
// retries, guided by IsTransient and *RateLimitError.
type Client struct {
	gql     *graphql.Client
	gqlURL  string
	restURL string
	token   string
	http    *http.Client
	sem     chan struct{}
	gate    gate
	pace    *pace
	retries int
	// Deadlines of one HTTP request: reads (retried) and writes.
	readDeadline, writeDeadline time.Duration
	observe                     func(op string, status int, err error, d time.Duration)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client for both APIs. The default is an
// http.Client with a 30 s timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithConcurrency bounds how many Panther calls run at once across all
// methods; a call waits (honouring its context) for a free slot. The default
// is 8; n < 1 keeps the default.
func WithConcurrency(n int) Option {
	return func(c *Client) {
		if n >= 1 {
			c.sem = make(chan struct{}, n)
		}
	}
}

// WithRetries sets how often a read (a GraphQL query or a REST GET) that
// failed transiently (5xx, timeout, connection error, 429) is tried again
// within one call, with exponential backoff and full jitter from 100 ms (a
// 429 waits for its Retry-After instead). The default is 3; 0 turns it off.
// Writes are never repeated here: the job that made them retries, and
// finds its comment by its marker.
func WithRetries(n int) Option {
	return func(c *Client) {
		if n >= 0 {
			c.retries = n
		}
	}
}

// WithObserver sets a hook called after every API call (one per HTTP
// request) with the operation, the HTTP status (0 when no response arrived),
// the classified error (nil on success) and the call's duration. Operations:
// "alert", "alert_rest", "alert_events", "alerts", "comments",
// "add_comment", "detection", "version", "update_alert_status". The hook must be fast and
// safe for concurrent use. By default there is none.
func WithObserver(f func(op string, status int, err error, d time.Duration)) Option {
	return func(c *Client) { c.observe = f }
}

// WithRate sets the base pace in calls per second (DefaultRate when not
// given); r <= 0 turns pacing off. A 429 lowers the pace below the base,
// which it regains slowly once Panther accepts calls again.
func WithRate(r float64) Option {
	return func(c *Client) { c.pace = newPace(r) }
}

// Default deadlines of one request. A read that does not answer in time
// is abandoned and tried again (WithRetries); a write waits longer, and
// the job that made it looks for its marker before posting again.
const (
	DefaultReadDeadline  = 4 * time.Second
	DefaultWriteDeadline = 15 * time.Second
)

// WithDeadlines sets how long one read and one write request may take
// (defaults DefaultReadDeadline, DefaultWriteDeadline); a value <= 0 keeps
// the default.
func WithDeadlines(read, write time.Duration) Option {
	return func(c *Client) {
		if read > 0 {
			c.readDeadline = read
		}
		if write > 0 {
			c.writeDeadline = write
		}
	}
}

// ReadBudget is the longest one read can take with its retries (each try
// at its deadline, the backoffs between): what a caller should allow a
// read before calling it failed.
func (c *Client) ReadBudget() time.Duration {
	d := time.Duration(c.retries+1) * c.readDeadline
	for a := range c.retries {
		d += retryBase << a
	}
	return d
}

// WriteBudget is the longest one write can take.
func (c *Client) WriteBudget() time.Duration { return c.writeDeadline }

// defaultConcurrency is the number of concurrent calls when WithConcurrency
// is not given.
const defaultConcurrency = DefaultConcurrency

// DefaultConcurrency is the default bound on concurrent API calls.
const DefaultConcurrency = 8

// graphqlSuffix is the path of the GraphQL endpoint below the API host.
const graphqlSuffix = "/public/graphql"

// New returns a client for the GraphQL endpoint graphqlURL (e.g.
// https://api.example.runpanther.net/public/graphql) and the REST base
// restURL. An empty restURL means graphqlURL without its /public/graphql
// suffix. token is sent as X-API-Key on every call and never appears in an
// error.
func New(graphqlURL, restURL, token string, opts ...Option) *Client {
	c := &Client{
		token:   token,
		http:    &http.Client{Timeout: 30 * time.Second},
		sem:     make(chan struct{}, defaultConcurrency),
		retries: defaultRetries,
		pace:    newPace(DefaultRate),

		readDeadline:  DefaultReadDeadline,
		writeDeadline: DefaultWriteDeadline,
	}
	for _, opt := range opts {
		opt(c)
	}
	if restURL == "" {
		restURL = strings.TrimSuffix(strings.TrimRight(graphqlURL, "/"), graphqlSuffix)
	}
	c.restURL = strings.TrimRight(restURL, "/")
	c.gqlURL = graphqlURL
	// The library's retries stay off (its default is zero): call retries
	// reads itself, through the one classifier and the 429 gate.
	c.gql = graphql.NewClient(graphqlURL, transport{c.http}, graphql.WithRetry(0)).
		WithRequestModifier(func(r *http.Request) { r.Header.Set("X-API-Key", c.token) })
	return c
}

// exchangeKey carries the *exchange of a call in the request context.
type exchangeKey struct{}

// transport is the Doer under both APIs. It records the status and headers
// of every response in the call's exchange, which the GraphQL library does
// not expose for failed requests (Retry-After in particular).
type transport struct{ hc *http.Client }

// Do implements graphql.Doer.
func (t transport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.hc.Do(req)
	if x, ok := req.Context().Value(exchangeKey{}).(*exchange); ok && resp != nil {
		x.status = resp.StatusCode
		x.header = resp.Header
	}
	return resp, err
}

// call runs one API request, and again up to c.retries times when it is a
// read that failed transiently.
func (c *Client) call(ctx context.Context, op string, read bool, fn func(ctx context.Context) error) error {
	deadline := c.writeDeadline
	if read {
		deadline = c.readDeadline
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, op, deadline, fn)
		if err == nil || !read || attempt >= c.retries || !IsTransient(err) || ctx.Err() != nil {
			return err
		}
		var rl *RateLimitError
		if errors.As(err, &rl) {
			continue // the gate holds the next try until the Retry-After
		}
		d := retryBase << attempt
		t := time.NewTimer(rand.N(d) + time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// defaultRetries is how often a read is tried again by default.
const defaultRetries = 3

// retryBase is the first backoff of a retried read.
const retryBase = 100 * time.Millisecond

// once runs one API request: it waits for a concurrency slot and while a
// 429 holds the client, runs fn with a context that carries the exchange,
// classifies the outcome and reports it to the observer.
func (c *Client) once(ctx context.Context, op string, deadline time.Duration, fn func(ctx context.Context) error) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	release := func() { <-c.sem }
	if err := c.pace.wait(ctx, op); err != nil {
		release()
		return err
	}
	// Checked last before sending, so a 429 seen while this call queued
	// for a slot or the pace still holds it.
	if err := c.gate.wait(ctx, op); err != nil {
		release()
		return err
	}

	// The request runs to its own deadline even when the caller gives up
	// first: Panther may still answer it 429, and that answer must hold
	// the gate for every other call, or they would reach Panther inside a
	// Retry-After this client never read.
	x := &exchange{}
	start := time.Now()
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deadline)
	done := make(chan error, 1)
	go func() { done <- fn(context.WithValue(callCtx, exchangeKey{}, x)) }()
	finish := func(err error) error {
		defer release()
		defer cancel()
		if err != nil && callCtx.Err() != nil {
			// This request's own deadline ran out: a call that did not
			// answer, which a retry may fix.
			err = fmt.Errorf("%s: no answer within %s: %w", op, deadline, context.DeadlineExceeded)
		}
		err = c.classify(op, x, err)
		if rl := (*RateLimitError)(nil); errors.As(err, &rl) {
			c.gate.close(rl.Wait)
			c.pace.throttled()
		} else if x.status != 0 {
			c.pace.ok()
		}
		if c.observe != nil {
			c.observe(op, x.status, err, time.Since(start))
		}
		return err
	}
	select {
	case err := <-done:
		return finish(err)
	case <-ctx.Done():
		go func() { _ = finish(<-done) }()
		return ctx.Err()
	}
}

// query runs a GraphQL query built from q.
func (c *Client) query(ctx context.Context, op, name string, q any, vars map[string]any) error {
	return c.call(ctx, op, true, func(ctx context.Context) error {
		markGraphQL(ctx)
		return c.gql.Query(ctx, q, vars, graphql.OperationName(name))
	})
}

// mutate runs a GraphQL mutation built from m.
func (c *Client) mutate(ctx context.Context, op, name string, m any, vars map[string]any) error {
	return c.call(ctx, op, false, func(ctx context.Context) error {
		markGraphQL(ctx)
		return c.gql.Mutate(ctx, m, vars, graphql.OperationName(name))
	})
}

// markGraphQL notes in the call's exchange that it goes to the GraphQL
// endpoint, whose 404 means a wrong URL rather than a missing entity.
func markGraphQL(ctx context.Context) {
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		x.graphql = true
	}
}

// maxRESTBody bounds a REST response body.
const maxRESTBody = 32 << 20

// rest sends one REST request to path (below the REST base) and decodes a
// 2xx JSON answer into out. in, when not nil, is sent as the JSON body.
func (c *Client) rest(ctx context.Context, op, method, path string, query url.Values, in, out any) error {
	return c.call(ctx, op, method == http.MethodGet, func(ctx context.Context) error {
		u := c.restURL + path
		if len(query) > 0 {
			u += "?" + query.Encode()
		}
		var body io.Reader
		if in != nil {
			b, err := json.Marshal(in)
			if err != nil {
				return fmt.Errorf("encode request: %w", err)
			}
			body = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return fmt.Errorf("build request: %w", err)
		}
		req.Header.Set("X-API-Key", c.token)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := transport{c.http}.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxRESTBody))
		if err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
				x.body = b
			}
			return nil // classify reads the status and body
		}
		if out == nil || len(bytes.TrimSpace(b)) == 0 {
			return nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
		return nil
	})
}
