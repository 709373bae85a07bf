package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/logcap"
)

// httpError is an error a handler returns to answer with a given status and
// code. Message is what the client sees; cause, when set, is logged once
// with the request ID and never sent.
type httpError struct {
	Status  int
	Code    string
	Message string
	Fields  []fieldError
	cause   error
}

// fieldError names one payload field that failed validation, by its JSON name.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return e.Code + ": " + e.Message
}

func (e *httpError) Unwrap() error { return e.cause }

// Errors shared by several handlers.
var (
	errNotFound = &httpError{
		Status: http.StatusNotFound, Code: "not_found", Message: "no such route",
	}
	errUnauthorized = &httpError{
		Status: http.StatusUnauthorized, Code: "unauthorized",
		Message: "missing or wrong secret: send Authorization: Bearer <secret>",
	}
	errTooLarge = &httpError{
		Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: fmt.Sprintf("body is larger than %d bytes", maxBodyBytes),
	}
)

// panicError carries a recovered panic to writeError.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []fieldError `json:"fields,omitempty"`
}

// writeError answers err, as a page on the page's routes (see htmlErrors)
// and as JSON everywhere else. An *httpError is sent as it is (its cause
// logged); any other error, a recovered panic included (with its stack),
// becomes a 500 "internal error" and is logged once with the request ID.
// Error text other than an httpError's Message never reaches the client.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	log := zerolog.Ctx(r.Context())
	var he *httpError
	if !errors.As(err, &he) {
		ev := log.Error().Str("error", logcap.Error(err))
		var pe *panicError
		if errors.As(err, &pe) {
			ev = ev.Bytes("stack", pe.stack)
		}
		ev.Msg("internal error")
		he = &httpError{
			Status: http.StatusInternalServerError, Code: "internal", Message: "internal error",
		}
	} else if he.cause != nil {
		log.Error().Str("error", logcap.Error(he.cause)).Str("code", he.Code).Msg(he.Message)
	}
	if d := deliveryFrom(r.Context()); d != nil {
		d.outcome = he.Code
	}
	if wantsHTML(r) {
		s.writeErrorPage(w, r, he)
		return
	}
	// An errorBody holds only strings: it always encodes.
	_ = writeJSON(w, he.Status, errorBody{Error: errorDetail{
		Code: he.Code, Message: he.Message, Fields: he.Fields,
	}})
}

// writeErrorPage answers he as the error page.
func (s *server) writeErrorPage(w http.ResponseWriter, r *http.Request, he *httpError) {
	p := errorPage{
		pageHead: s.head(r, http.StatusText(he.Status), 0),
		Status:   he.Status, Message: he.Message,
	}
	if err := s.render(w, he.Status, s.pages.error, p); err != nil {
		zerolog.Ctx(r.Context()).Error().Str("error", logcap.Error(err)).Msg("internal error")
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// route records, for writeError, how the route that serves a request
// answers errors. markRoute puts one in every request's context before
// anything can fail, so that a panic recovered outside the route's own
// middleware is still answered the route's way.
type route struct{ html bool }

type routeKey struct{}

// markRoute gives the request a route, answering JSON until htmlErrors
// says otherwise.
func markRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, &route{})))
	})
}

// htmlErrors marks the routes below it as pages: their errors are answered
// as HTML.
func htmlErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := r.Context().Value(routeKey{}).(*route); ok {
			rt.html = true
		}
		next.ServeHTTP(w, r)
	})
}

// wantsHTML reports whether r is served by a page.
func wantsHTML(r *http.Request) bool {
	rt, ok := r.Context().Value(routeKey{}).(*route)
	return ok && rt.html
}

// writeJSON answers v as JSON with the given status. When v cannot be
// encoded it writes nothing and returns the error, for the caller to hand to
// writeError.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("handler: encode response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
	return nil
}

func newPanicError(v any) *panicError { return &panicError{value: v, stack: debug.Stack()} }
