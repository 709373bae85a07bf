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
// saying so). ErrTokenRejected and ErrForbidden tell the two apart.
var ErrUnauthorized = errors.New("unauthorized")

// ErrTokenRejected reports that Panther did not accept the token at all
// (HTTP 401): a wrong or revoked token, or a new one not yet in effect.
var ErrTokenRejected = errors.New("token rejected")

// ErrForbidden reports that the token lacks a permission the call needs
// (HTTP 403, or a GraphQL error saying so).
var ErrForbidden = errors.New("permission denied")

// ErrWrongURL reports that the GraphQL URL did not answer as Panther's API
// does: HTTP 404 or 405 at the endpoint, or a 2xx that is not a GraphQL
// answer (a console page, a proxy's own page). Nothing about the alert can
// be concluded from it; `panther-triage check` says what is wrong.
var ErrWrongURL = errors.New("not Panther's GraphQL API")

// RateLimitError reports an HTTP 429 from Panther. It is transient: the call
// may be repeated once RetryAfter has passed.
type RateLimitError struct {
	// Op is the API operation that was refused, as passed to the observer.
	Op string
	// Wait is how long Panther asked the caller to wait, from the
	// Retry-After header (seconds or an HTTP date); zero when absent.
	Wait time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string {
	if e.Wait > 0 {
		return fmt.Sprintf("rate limited (HTTP 429), retry after %s", e.Wait)
	}
	return "rate limited (HTTP 429)"
}

// RetryAfter implements RetryAfterError.
func (e *RateLimitError) RetryAfter() time.Duration { return e.Wait }

// RetryAfterError is the one notion of "rate limited" across the service:
// an error that asks its caller to wait before trying again. Panther's 429s,
// the enrichment providers' limits and the local limiters all implement it.
type RetryAfterError interface {
	error
	// RetryAfter is how long to wait; zero when the other side named no
	// time.
	RetryAfter() time.Duration
}

// RetryAfter reports whether err, or an error it wraps, asks to wait, and
// for how long.
func RetryAfter(err error) (time.Duration, bool) {
	var ra RetryAfterError
	if errors.As(err, &ra) {
		return ra.RetryAfter(), true
	}
	return 0, false
}

// Class is what a failure means to the caller. Classify returns it; the
// worker, the steps, the metrics and the providers all decide by it.
type Class string

// Failure classes; each is also a metrics label value.
const (
	ClassNone          Class = ""
	ClassRateLimited   Class = "rate_limited"   // wait for RetryAfter, then again
	ClassTransient     Class = "transient"      // 5xx, timeout, broken connection: again later
	ClassNotFound      Class = "not_found"      // no such alert, detection or query
	ClassWrongURL      Class = "wrong_url"      // the URL is not Panther's API
	ClassTokenRejected Class = "token_rejected" // HTTP 401: the token is not (yet) accepted
	ClassForbidden     Class = "forbidden"      // HTTP 403: a permission is missing
	ClassCancelled     Class = "cancelled"      // the caller gave up
	ClassPermanent     Class = "permanent"      // anything else: repeating will not help
)

// Classify sorts an error into one Class: the one place that decides what
// a failure means. A deadline that ran out is transient (a call that never
// answered); a cancelled context is not.
func Classify(err error) Class {
	switch {
	case err == nil:
		return ClassNone
	case errors.Is(err, context.Canceled):
		return ClassCancelled
	}
	if _, ok := RetryAfter(err); ok {
		return ClassRateLimited
	}
	switch {
	case errors.Is(err, ErrWrongURL):
		return ClassWrongURL
	case errors.Is(err, ErrNotFound):
		return ClassNotFound
	case errors.Is(err, ErrTokenRejected):
		return ClassTokenRejected
	case errors.Is(err, ErrForbidden):
		return ClassForbidden
	case IsTransient(err):
		return ClassTransient
	}
	return ClassPermanent
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

	graphql   bool // the errors came in a GraphQL response body
	endpoint  bool // the call went to the GraphQL endpoint
	notFound  bool
	forbidden bool
	rejected  bool // the token itself was refused
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

// Is makes errors.Is work on API errors for ErrNotFound, ErrTokenRejected,
// ErrForbidden and ErrUnauthorized (either of the last two). The HTTP status
// decides first; a GraphQL error in a 2xx answer by its code, then its
// message (see graphqlError).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrWrongURL:
		return e.wrongURL()
	case ErrNotFound:
		if e.endpoint {
			// GraphQL says "not found" in a 2xx; a 404 of the endpoint
			// is a wrong URL, not a missing alert.
			return e.Status < 300 && e.notFound
		}
		return e.Status == http.StatusNotFound || (e.Status < 300 && e.notFound)
	case ErrTokenRejected:
		return e.Status == http.StatusUnauthorized || (e.Status < 300 && e.rejected)
	case ErrForbidden:
		return e.Status == http.StatusForbidden || (e.Status < 300 && e.forbidden)
	case ErrUnauthorized:
		return e.Is(ErrTokenRejected) || e.Is(ErrForbidden)
	}
	return false
}

// wrongURL reports whether the GraphQL endpoint answered as no GraphQL API
// would.
func (e *APIError) wrongURL() bool {
	if !e.endpoint {
		return false
	}
	return e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed ||
		(e.Status >= 200 && e.Status < 300 && !e.graphql)
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
	graphql bool // the request went to the GraphQL endpoint
	status  int
	header  http.Header
	body    []byte // the error body of a failed REST call
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
		return &RateLimitError{Op: op, Wait: parseRetryAfter(x.header.Get("Retry-After"), time.Now())}
	case x.status >= 300 || (x.status != 0 && x.status < 200):
		e := c.httpError(op, x.status, x.body, err)
		e.endpoint = x.graphql
		return e
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
	if errors.As(err, &gerrs) && len(gerrs) > 0 && !decodeFailure(gerrs) {
		e := c.graphqlError(op, x.status, gerrs)
		e.endpoint = x.graphql
		return e
	}
	return &APIError{Op: op, Status: x.status, Message: c.scrub(err.Error()), endpoint: x.graphql}
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
func (c *Client) httpError(op string, status int, body []byte, err error) *APIError {
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
// Panther does not document its GraphQL error shapes, so each error is read
// by its code (extensions.code, or AppSync's errorType), and by its message
// only when it has no code.
func (c *Client) graphqlError(op string, status int, gerrs graphql.Errors) *APIError {
	e := &APIError{Op: op, Status: status, graphql: true}
	msgs := make([]string, 0, len(gerrs))
	for _, ge := range gerrs {
		msgs = append(msgs, ge.Message)
		code, _ := ge.Extensions["code"].(string)
		if code == "" {
			code, _ = ge.Extensions["errorType"].(string)
		}
		if e.Code == "" {
			e.Code = code
		}
		switch graphqlClass(code, ge.Message) {
		case ClassNotFound:
			e.notFound = true
		case ClassForbidden:
			e.forbidden = true
		case ClassTokenRejected:
			e.rejected = true
		}
	}
	e.Message = c.scrub(strings.Join(msgs, "; "))
	return e
}

// decodeFailure reports whether the library's errors say only that the
// answer was no GraphQL JSON (it reports that as a GraphQL error too).
func decodeFailure(gerrs graphql.Errors) bool {
	for _, ge := range gerrs {
		if code, _ := ge.Extensions["code"].(string); code != graphql.ErrJsonDecode {
			return false
		}
	}
	return true
}

// graphqlClass reads one GraphQL error: by its code when it has one, by its
// message otherwise. It returns ClassNone when neither says anything known.
func graphqlClass(code, message string) Class {
	norm := strings.ToUpper(strings.NewReplacer("_", "", "-", "", " ", "").Replace(code))
	norm = strings.TrimSuffix(norm, "EXCEPTION")
	switch norm {
	case "NOTFOUND", "RESOURCENOTFOUND":
		return ClassNotFound
	case "UNAUTHENTICATED":
		return ClassTokenRejected
	case "UNAUTHORIZED", "FORBIDDEN", "ACCESSDENIED", "PERMISSIONDENIED":
		return ClassForbidden
	}
	if code != "" {
		return ClassNone
	}
	lower := strings.ToLower(message)
	switch {
	case strings.Contains(lower, "not found") || strings.Contains(lower, "does not exist"):
		return ClassNotFound
	case strings.Contains(lower, "not authorized") || strings.Contains(lower, "access denied") ||
		strings.Contains(lower, "forbidden") || strings.Contains(lower, "permission") ||
		strings.Contains(lower, "unauthorized"):
		return ClassForbidden
	}
	return ClassNone
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
