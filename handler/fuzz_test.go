package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// FuzzWebhook feeds arbitrary bodies through the webhook with the right
// secret and checks that the handler never panics (which would show as a
// 500), answers only documented statuses with a JSON body, and enqueues
// exactly when it answers 202 or duplicate, with a delivery that passed
// validation. Every delivery it enqueues is also stored in a real SQLite
// and PostgreSQL database (when one answers): nothing answered 2xx may fail
// to store on either. The handler and the databases are set up once per
// fuzzing process, not per input. Seeds are in testdata/fuzz/FuzzWebhook.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(documentedPayload))
	f.Add([]byte(`{"id":"Test.Alert","createdAt":"2022-04-26T03:17:32.099054303Z","severity":"INFO","type":"RULE","alertId":"Test.Alert","tags":["test"]}`))
	f.Add([]byte(`{"alertId":null,"id":null,"severity":null,"createdAt":null,"type":null,"tags":null}`))
	f.Add([]byte(`{"alertId":"dup1","id":"x","severity":"LOW","type":"RULE","createdAt":"2020-02-29T23:59:59.123456789-08:00:00"}`))
	f.Add([]byte(`{"alertId":"a\u0000","id":"x","severity":"LOW","type":"RULE","createdAt":"2020-02-29T23:59:59Z"}`))
	f.Add([]byte(`{"alertId":"a","id":"x","severity":"LOW","type":"RULE","createdAt":"2020-02-29T23:59:59Z","title":"t\u0000"}`))
	f.Add([]byte(`[`))

	stored := newStoringEnqueuer(f)
	h := New(Config{Secret: testSecret, Now: testNow}, stored, stored, stored, zerolog.New(io.Discard))

	f.Fuzz(func(t *testing.T, body []byte) {
		stored.reset()
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		var resp struct {
			Status string `json:"status"`
			Error  *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("status %d: body is not JSON: %v: %q", rec.Code, err, rec.Body)
		}
		calls, storeErr := stored.result()
		switch rec.Code {
		case http.StatusAccepted, http.StatusOK:
			if resp.Error != nil || resp.Status == "" {
				t.Fatalf("status %d without a status: %s", rec.Code, rec.Body)
			}
			wantCalls := 0
			if resp.Status == "queued" || resp.Status == "duplicate" {
				wantCalls = 1
			}
			if len(calls) != wantCalls {
				t.Fatalf("%s: Enqueue called %d times, want %d", resp.Status, len(calls), wantCalls)
			}
			if wantCalls == 1 {
				d := calls[0]
				if d.AlertID == "" || d.DetectionID == "" || d.Type == "" || !validAWSDateTime(d.CreatedAt) ||
					!strings.Contains(" INFO LOW MEDIUM HIGH CRITICAL ", " "+d.Severity+" ") {
					t.Fatalf("enqueued a delivery that should have failed validation: %+v", d)
				}
				if !bytes.Equal(d.Payload, body) {
					t.Fatal("Delivery.Payload is not the body")
				}
			}
			if storeErr != nil {
				t.Fatalf("answered %d, but the delivery cannot be stored: %v", rec.Code, storeErr)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			if resp.Error == nil || resp.Error.Code == "" {
				t.Fatalf("status %d without an error code: %s", rec.Code, rec.Body)
			}
			if len(calls) != 0 {
				t.Fatalf("status %d, but Enqueue was called", rec.Code)
			}
		default:
			t.Fatalf("undocumented status %d: %s", rec.Code, rec.Body)
		}
	})
}

// storingEnqueuer answers the handler as fakeStore does in FuzzWebhook
// (job 9, a duplicate when the alert ID starts with "dup"), keeps the
// deliveries of the current input, and stores each in every real database
// it holds, keeping the first failure.
type storingEnqueuer struct {
	fakeStore
	dbs map[string]*store.Store

	mu  sync.Mutex
	err error
}

// newStoringEnqueuer opens a SQLite database and, when a server answers, a
// PostgreSQL one, for the fuzzing process.
func newStoringEnqueuer(f *testing.F) *storingEnqueuer {
	s := &storingEnqueuer{dbs: map[string]*store.Store{}}
	s.EnqueueFunc = func(_ context.Context, d triage.Delivery) (triage.Enqueued, error) {
		return triage.Enqueued{JobID: 9, Duplicate: strings.HasPrefix(d.AlertID, "dup")}, nil
	}
	s.PingFunc = func(context.Context) error { return nil }
	dsns := map[string]string{"sqlite": storetest.SQLite(f)}
	if dsn, ok := storetest.TryPostgres(f); ok {
		dsns["postgres"] = dsn
	}
	for name, dsn := range dsns {
		st, err := store.Open(f.Context(), store.Config{DSN: dsn}, zerolog.Nop())
		if err != nil {
			f.Fatalf("open %s: %v", name, err)
		}
		f.Cleanup(st.Close)
		s.dbs[name] = st
	}
	return s
}

func (s *storingEnqueuer) Enqueue(ctx context.Context, d triage.Delivery) (triage.Enqueued, error) {
	for name, st := range s.dbs {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		_, err := st.Enqueue(sctx, d)
		cancel()
		if err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = fmt.Errorf("%s: %w", name, err)
			}
			s.mu.Unlock()
		}
	}
	return s.fakeStore.Enqueue(ctx, d)
}

// reset forgets the previous input's calls and failure.
func (s *storingEnqueuer) reset() {
	s.mu.Lock()
	s.err = nil
	s.mu.Unlock()
	s.fakeStore.mu.Lock()
	s.enqueued = nil
	s.fakeStore.mu.Unlock()
}

// result returns the current input's Enqueue calls and the first failure
// to store one.
func (s *storingEnqueuer) result() ([]triage.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls(), s.err
}
