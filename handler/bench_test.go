package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/triage"
)

// noopEnqueuer accepts every delivery as job 42 and keeps nothing, so
// that a benchmark measures the handler alone.
type noopEnqueuer struct{}

func (noopEnqueuer) Enqueue(context.Context, triage.Delivery) (triage.Enqueued, error) {
	return triage.Enqueued{JobID: 42}, nil
}

// benchPayload is Panther's documented webhook example (documentedPayload),
// compact as Panther sends it.
func benchPayload(b *testing.B) []byte {
	b.Helper()
	var body bytes.Buffer
	if err := json.Compact(&body, []byte(documentedPayload)); err != nil {
		b.Fatal(err)
	}
	return body.Bytes()
}

// BenchmarkWebhook drives POST /webhook through the whole router, as a
// delivery takes it: request ID, delivery log line (to io.Discard), body
// limit, secret, decode, validate, enqueue (a no-op store) and the 202.
func BenchmarkWebhook(b *testing.B) {
	body := benchPayload(b)
	records := &fakeStore{PingFunc: func(context.Context) error { return nil }}
	h := New(Config{Secret: testSecret, Now: testNow}, noopEnqueuer{}, records, records, zerolog.New(io.Discard))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkDecodeValidate is the webhook's decoder and validator alone, on
// Panther's documented payload.
func BenchmarkDecodeValidate(b *testing.B) {
	body := benchPayload(b)
	v := newValidator()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req, err := decodeWebhook(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Struct(req); err != nil {
			b.Fatal(err)
		}
	}
}
