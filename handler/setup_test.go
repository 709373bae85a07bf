package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/triage"
)

// testSecret is the webhook secret every test handler is configured with;
// the case files under testdata/webhook send it literally.
const testSecret = "s3cret-for-tests"

// storeErrText is the text of the fake store's failure. It must never reach
// a client.
const storeErrText = "sqlite: disk I/O error at /var/lib/panther-triage/secret-path.db"

// testNow is the clock of every test handler.
func testNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// bundle is what setup gives a test: the handler and the fakes and log
// buffer behind it.
type bundle struct {
	handler http.Handler
	store   *fakeStore
	logs    *syncBuffer
}

// setup returns a handler configured with testSecret and testNow, over a
// fake store that queues every delivery as job 42, answers pings, and holds
// no records. Change cfg with the option functions, and the store's
// function fields before serving.
func setup(t testing.TB, opts ...func(*Config)) *bundle {
	t.Helper()
	store := &fakeStore{
		EnqueueFunc: func(context.Context, triage.Delivery) (triage.Enqueued, error) {
			return triage.Enqueued{JobID: 42}, nil
		},
		PingFunc: func(context.Context) error { return nil },
		InvestigationFunc: func(context.Context, string) (triage.Record, error) {
			return triage.Record{}, triage.ErrNoRecord
		},
		InvestigationsFunc: func(context.Context, int) ([]triage.Record, error) {
			return nil, nil
		},
	}
	cfg := Config{Secret: testSecret, Now: testNow}
	for _, o := range opts {
		o(&cfg)
	}
	logs := &syncBuffer{}
	h := New(cfg, store, store, store, zerolog.New(logs))
	return &bundle{handler: h, store: store, logs: logs}
}

// serve runs one request through the bundle's handler.
func (b *bundle) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	return rec
}

// logLines returns the decoded JSON log lines written so far.
func (b *bundle) logLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// deliveryLines returns the "webhook delivery" log lines.
func (b *bundle) deliveryLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range b.logLines(t) {
		if l["message"] == "webhook delivery" {
			out = append(out, l)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// decodeBody decodes a JSON response body, failing the test if it is not JSON.
func decodeBody(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("response body is not a JSON object: %v: %q", err, rec.Body.String())
	}
	return m
}

// decodeInto decodes a JSON response body into v.
func decodeInto(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("response body: %v: %q", err, rec.Body.String())
	}
}
