package panther

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	graphql "github.com/hasura/go-graphql-client"
)

// ErrNotFound reports that Panther has no such alert, detection or query
// (HTTP 404, or a GraphQL error saying so).
var ErrNotFound = errors.New("not found")

// ErrUnauthorized reports that Panther refused the token (HTTP 401) or that
// the token lacks a permission the call needs (HTTP 403, or a GraphQL error
// saying so).
var ErrUnauthorized = errors.New("unauthorized")

// RateLimitError reports an HTTP 429 from Panther. It is transient: the call
// may be repeated once RetryAfter has passed.
type RateLimitError struct {
	// Op is the API operation that was refused, as passed to the observer.
	Op string
	// RetryAfter is how long Panther asked the caller to wait, from the
	// Retry-After header (seconds or an HTTP date); zero when absent.
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("rate limited (HTTP 429), retry after %s", e.RetryAfter)
	}
	return "rate limited (HTTP 429)"
}

// APIError is a failure that Panther reported: an HTTP status other than
// 429, or a GraphQL error in a 200 response (Status 200, Code from the
// error's extensions). errors.Is matches ErrNotFound for a 404 or a GraphQL
// not-found error, and ErrUnauthorized for a 401, a 403 or a GraphQL
// forbidden error, so callers rarely need the fields.
type APIError struct {
	// Op is the API operation, as passed to the observer.
	Op string
	// Status is the HTTP status of the response.
	Status int
	// Code is the GraphQL error code (extensions.code), if any.
	Code string
	// Message is Panther's message, shortened, with the token removed.
	Message string

	graphql      bool // the errors came in a GraphQL response body
	notFound     bool
	unauthorized bool
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	switch {
	case e.Status >= 300 || e.Status < 200:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	case e.graphql:
		b.WriteString("graphql error")
	default:
		fmt.Fprintf(&b, "bad response (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and errors.Is(err, ErrUnauthorized)
// work on API errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.notFound || e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.unauthorized || e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	}
	return false
}

// IsTransient reports whether a failed call may succeed if repeated later:
// rate limits (429), server errors (5xx), timeouts and broken connections.
// Client errors (4xx), GraphQL validation errors and a cancelled context are
// not transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return true
	}
	var api *APIError
	if errors.As(err, &api) {
		if api.Status >= 500 || api.Status == http.StatusRequestTimeout {
			return true
		}
		switch strings.ToUpper(strings.ReplaceAll(api.Code, "_", "")) {
		case "SERVERERROR", "INTERNALSERVERERROR", "SERVICEUNAVAILABLE", "TIMEOUT":
			return true
		}
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	// Timeouts, refused or reset connections, and DNS failures other than
	// "no such host"; not, say, a malformed URL.
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return !dns.IsNotFound
	}
	var op *net.OpError
	return errors.As(err, &op)
}

// exchange records what one HTTP round trip returned, for classification.
// The transport fills it through the request's context.
type exchange struct {
	status int
	header http.Header
	body   []byte // the error body of a failed REST call
}

// maxMessage bounds how much of Panther's error text an error carries.
const maxMessage = 300

// classify turns whatever a call returned into this package's errors: the
// one place that decides what a failure means. x holds the HTTP status and
// headers when a response arrived.
func (c *Client) classify(op string, x *exchange, err error) error {
	if err == nil && (x.status == 0 || x.status < 300) {
		return nil
	}
	switch {
	case x.status == http.StatusTooManyRequests:
		return &RateLimitError{Op: op, RetryAfter: parseRetryAfter(x.header.Get("Retry-After"), time.Now())}
	case x.status >= 300 || (x.status != 0 && x.status < 200):
		return c.httpError(op, x.status, x.body, err)
	case x.status == 0:
		// No response: a network failure, a cancelled context, or an error
		// building the request. None of these carry the token.
		return transportError(err)
	}
	// A 2xx response whose body broke off (transient), reported GraphQL
	// errors, or did not decode.
	if cause := transportError(err); IsTransient(cause) {
		return cause
	}
	var gerrs graphql.Errors
	if errors.As(err, &gerrs) && len(gerrs) > 0 {
		return c.graphqlError(op, x.status, gerrs)
	}
	return &APIError{Op: op, Status: x.status, Message: c.scrub(err.Error())}
}

// transportError unwraps the GraphQL library's error list around a network
// failure so that errors.Is and errors.As see the cause.
func transportError(err error) error {
	var gerrs graphql.Errors
	if errors.As(err, &gerrs) {
		for _, ge := range gerrs {
			if cause := ge.Unwrap(); cause != nil {
				return cause
			}
		}
	}
	return err
}

// httpError builds the error for a non-2xx response other than 429.
func (c *Client) httpError(op string, status int, body []byte, err error) error {
	if len(body) == 0 {
		var ne graphql.NetworkError
		if errors.As(err, &ne) {
			body = []byte(ne.Body())
		}
	}
	e := &APIError{Op: op, Status: status, Message: c.scrub(bodyMessage(body))}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// graphqlError builds the error for GraphQL errors in a 2xx response.
func (c *Client) graphqlError(op string, status int, gerrs graphql.Errors) error {
	e := &APIError{Op: op, Status: status, graphql: true}
	msgs := make([]string, 0, len(gerrs))
	for _, ge := range gerrs {
		msgs = append(msgs, ge.Message)
		code, _ := ge.Extensions["code"].(string)
		if e.Code == "" {
			e.Code = code
		}
		// The code decides when there is one; the message only without.
		norm := strings.ToUpper(strings.ReplaceAll(code, "_", ""))
		lower := strings.ToLower(ge.Message)
		switch {
		case norm == "NOTFOUND" || (code == "" && strings.Contains(lower, "not found")):
			e.notFound = true
		case norm == "UNAUTHENTICATED" || norm == "UNAUTHORIZED" || norm == "FORBIDDEN" || norm == "ACCESSDENIED" ||
			(code == "" && (strings.Contains(lower, "not authorized") || strings.Contains(lower, "access denied"))):
			e.unauthorized = true
		}
	}
	e.Message = c.scrub(strings.Join(msgs, "; "))
	return e
}

// bodyMessage extracts Panther's message from an error body: REST's
// {"message": …}, GraphQL's {"errors": [{"message": …}]}, or the raw text.
func bodyMessage(body []byte) string {
	var v struct {
		Message string `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &v) == nil {
		if v.Message != "" {
			return v.Message
		}
		if len(v.Errors) > 0 {
			msgs := make([]string, 0, len(v.Errors))
			for _, e := range v.Errors {
				msgs = append(msgs, e.Message)
			}
			return strings.Join(msgs, "; ")
		}
	}
	return strings.TrimSpace(string(body))
}

// scrub shortens a message from Panther and removes the token from it, in
// case a proxy or a misbehaving server echoes request headers: as sent, and
// in the encodings an echo may carry it in (URL-encoded, base64).
func (c *Client) scrub(s string) string {
	for _, form := range tokenForms(c.token) {
		s = strings.ReplaceAll(s, form, "[redacted]")
	}
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// It returns zero when the header is absent, malformed or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// tokenForms returns the token and its encoded forms: URL query and path
// escaping (upper- and lower-case hex), and base64 in the standard and URL
// alphabets, padded or not. None for an empty token.
func tokenForms(token string) []string {
	if token == "" {
		return nil
	}
	forms := []string{token}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	for _, esc := range []string{url.QueryEscape(token), url.PathEscape(token)} {
		add(esc)
		add(lowerHexEscapes(esc))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add(enc.EncodeToString([]byte(token)))
		// Inside a longer base64 text (Basic credentials "user:token"), the
		// token starts at a byte offset of 0, 1 or 2 modulo 3: keep the
		// characters made of its bits alone, the same in every such text.
		for k := range 3 {
			e := enc.WithPadding(base64.NoPadding).EncodeToString(append(make([]byte, k), token...))
			from, to := (8*k+5)/6, 8*(k+len(token))/6
			if to-from >= 8 {
				add(e[from:to])
			}
		}
	}
	// Longest first, so that a form is not cut by a shorter one inside it.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return forms
}

// lowerHexEscapes writes the hex digits of %XX escapes in lower case, as
// some encoders do.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = byte(unicode.ToLower(rune(b[i+1]))), byte(unicode.ToLower(rune(b[i+2])))
		}
	}
	return string(b)
}
