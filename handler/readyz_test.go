package handler

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// notWritable is an error as the store answers Ping when the database
// answers but cannot write.
type notWritable struct{}

func (notWritable) Error() string     { return "sqlite: database or disk is full" }
func (notWritable) NotWritable() bool { return true }

func TestReadyzSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ping     error
		status   int
		contains string
	}{
		{"ready", nil, http.StatusOK, `"ok"`},
		{"no answer", errors.New("dial tcp: connection refused"), http.StatusServiceUnavailable, "does not answer"},
		{"cannot write", notWritable{}, http.StatusServiceUnavailable, "cannot write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			b.store.PingFunc = func(context.Context) error { return tc.ping }
			rec := b.serve(httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.contains) {
				t.Errorf("status %d, body %s; want %d containing %q", rec.Code, rec.Body, tc.status, tc.contains)
			}
			if strings.Contains(rec.Body.String(), "sqlite") {
				t.Errorf("internal error text reached the client: %s", rec.Body)
			}
		})
	}
}
