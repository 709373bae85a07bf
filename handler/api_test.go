package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

func TestAPIAuth(t *testing.T) {
	for _, tc := range []struct {
		name       string
		target     string
		auth       string
		wantStatus int
	}{
		{"bearer", "/api/v1/investigations", "Bearer " + testSecret, http.StatusOK},
		{"basic with any user", "/api/v1/investigations", basicAuth("anyone", testSecret), http.StatusOK},
		{"basic with empty user", "/api/v1/investigations", basicAuth("", testSecret), http.StatusOK},
		{"basic wrong password", "/api/v1/investigations", basicAuth("anyone", "wrong"), http.StatusUnauthorized},
		{"basic secret as user name", "/api/v1/investigations", basicAuth(testSecret, ""), http.StatusUnauthorized},
		{"wrong bearer", "/api/v1/investigations", "Bearer wrong", http.StatusUnauthorized},
		{"none", "/api/v1/investigations", "", http.StatusUnauthorized},
		{"secret in query", "/api/v1/investigations?secret=" + testSecret, "", http.StatusUnauthorized},
		{"token in query", "/api/v1/investigations?token=" + testSecret, "", http.StatusUnauthorized},
		{"password in query", "/api/v1/investigations?password=" + testSecret, "", http.StatusUnauthorized},
		{"one record, none", "/api/v1/investigations/b90c19e66e160e194a5b3b94ec27fb7c", "", http.StatusUnauthorized},
		{"one record, secret in query", "/api/v1/investigations/b90c19e66e160e194a5b3b94ec27fb7c?secret=" + testSecret, "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			called := false
			b.store.InvestigationsFunc = func(context.Context, int) ([]triage.Record, error) {
				called = true
				return nil, nil
			}
			b.store.InvestigationFunc = func(context.Context, string) (triage.Record, error) {
				called = true
				return triage.Record{}, triage.ErrNoRecord
			}
			req := httptest.NewRequest(http.MethodGet, tc.target, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := b.serve(req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus != http.StatusUnauthorized {
				return
			}
			if called {
				t.Error("the store was read without the secret")
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="panther-triage"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			assertJSONEqual(t, "response body", rec.Body.Bytes(),
				[]byte(`{"error":{"code":"unauthorized","message":"missing or wrong secret: send Authorization: Bearer <secret>"}}`))
		})
	}
}

func TestAPIInvestigation(t *testing.T) {
	rec0 := triage.Record{
		AlertID:    "b90c19e66e160e194a5b3b94ec27fb7c",
		JobID:      42,
		State:      triage.StateDone,
		Verdict:    "benign",
		Confidence: 0.8,
		Findings:   []triage.Finding{{Step: "indicators", Kind: "private_ip", Title: "10.0.0.1 is private"}},
		Timings:    map[string]string{"events": "120ms"},
		CreatedAt:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		UpdatedAt:  time.Date(2026, 1, 2, 3, 4, 9, 0, time.UTC),
	}
	b := setup(t)
	b.store.InvestigationFunc = func(_ context.Context, id string) (triage.Record, error) {
		switch id {
		case rec0.AlertID:
			return rec0, nil
		case "Test.Alert/with slash":
			return triage.Record{AlertID: id, State: triage.StateQueued}, nil
		case "broken":
			return triage.Record{}, errors.New(storeErrText)
		}
		return triage.Record{}, triage.ErrNoRecord
	}
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+testSecret)
		return b.serve(req)
	}

	t.Run("found", func(t *testing.T) {
		rec := get("/api/v1/investigations/" + rec0.AlertID)
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
		}
		assertJSONEqual(t, "response body", rec.Body.Bytes(), []byte(`{
			"alertId":"b90c19e66e160e194a5b3b94ec27fb7c","jobId":42,"state":"done","verdict":"benign",
			"confidence":0.8,"findings":[{"step":"indicators","kind":"private_ip","title":"10.0.0.1 is private","weight":""}],
			"attempts":0,"timings":{"events":"120ms"},"cost":{"lakeSearches":0,"lakeCached":0,"bytesScanned":0},
			"createdAt":"2026-01-02T03:04:05Z","updatedAt":"2026-01-02T03:04:09Z"}`))
	})
	t.Run("escaped alert ID", func(t *testing.T) {
		rec := get("/api/v1/investigations/Test.Alert%2Fwith%20slash")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
		}
		if m := decodeBody(t, rec); m["alertId"] != "Test.Alert/with slash" {
			t.Errorf("alertId = %v", m["alertId"])
		}
	})
	t.Run("not found", func(t *testing.T) {
		rec := get("/api/v1/investigations/ffffffffffffffffffffffffffffffff")
		if rec.Code != http.StatusNotFound {
			t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
		}
		assertJSONEqual(t, "response body", rec.Body.Bytes(),
			[]byte(`{"error":{"code":"not_found","message":"no investigation for this alert"}}`))
	})
	t.Run("store error", func(t *testing.T) {
		rec := get("/api/v1/investigations/broken")
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
		}
		assertJSONEqual(t, "response body", rec.Body.Bytes(),
			[]byte(`{"error":{"code":"internal","message":"internal error"}}`))
		if !strings.Contains(b.logs.String(), storeErrText) {
			t.Errorf("the store error was not logged:\n%s", b.logs)
		}
		if n := strings.Count(b.logs.String(), storeErrText); n != 1 {
			t.Errorf("the store error was logged %d times, want once", n)
		}
	})
}

func TestAPIInvestigations(t *testing.T) {
	for _, tc := range []struct {
		query      string
		wantStatus int
		wantLimit  int // the limit the store is asked for
	}{
		{"", http.StatusOK, 50},
		{"?limit=1", http.StatusOK, 1},
		{"?limit=2", http.StatusOK, 2},
		{"?limit=500", http.StatusOK, 500},
		{"?limit=", http.StatusOK, 50},
		{"?limit=0", http.StatusBadRequest, 0},
		{"?limit=-1", http.StatusBadRequest, 0},
		{"?limit=501", http.StatusBadRequest, 0},
		{"?limit=abc", http.StatusBadRequest, 0},
		{"?limit=1.5", http.StatusBadRequest, 0},
		{"?limit=99999999999999999999", http.StatusBadRequest, 0},
	} {
		t.Run(tc.query, func(t *testing.T) {
			b := setup(t)
			records := []triage.Record{
				{AlertID: "newer", State: triage.StateRunning},
				{AlertID: "older", State: triage.StateDone},
				{AlertID: "oldest", State: triage.StateDone},
			}
			b.store.InvestigationsFunc = func(_ context.Context, limit int) ([]triage.Record, error) {
				return records[:min(limit, len(records))], nil
			}
			req := httptest.NewRequest(http.MethodGet, "/api/v1/investigations"+tc.query, nil)
			req.Header.Set("Authorization", "Bearer "+testSecret)
			rec := b.serve(req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if gotLimit := b.store.query().Limit; gotLimit != tc.wantLimit {
				t.Errorf("store asked for limit %d, want %d", gotLimit, tc.wantLimit)
			}
			if tc.wantStatus == http.StatusBadRequest {
				assertJSONEqual(t, "response body", rec.Body.Bytes(),
					[]byte(`{"error":{"code":"invalid_request","message":"limit must be an integer from 1 to 500"}}`))
				return
			}
			var body struct {
				Investigations []triage.Record `json:"investigations"`
			}
			decodeInto(t, rec, &body)
			want := records[:min(tc.wantLimit, len(records))]
			if len(body.Investigations) != len(want) {
				t.Fatalf("%d investigations, want %d", len(body.Investigations), len(want))
			}
			for i := range want {
				if body.Investigations[i].AlertID != want[i].AlertID {
					t.Errorf("investigation %d = %s, want %s (the store's order, newest first)", i, body.Investigations[i].AlertID, want[i].AlertID)
				}
			}
		})
	}
}

func TestAPIInvestigationsEmpty(t *testing.T) {
	b := setup(t) // the store answers nil
	req := httptest.NewRequest(http.MethodGet, "/api/v1/investigations", nil)
	req.Header.Set("Authorization", "Bearer "+testSecret)
	rec := b.serve(req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	assertJSONEqual(t, "response body", rec.Body.Bytes(), []byte(`{"investigations":[]}`))
}

func TestHealth(t *testing.T) {
	t.Run("healthz needs no secret", func(t *testing.T) {
		b := setup(t)
		b.store.PingFunc = func(context.Context) error { return errors.New("down") }
		rec := b.serve(httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d", rec.Code)
		}
		assertJSONEqual(t, "response body", rec.Body.Bytes(), []byte(`{"status":"ok"}`))
	})
	t.Run("readyz when the database answers", func(t *testing.T) {
		b := setup(t)
		b.store.PingFunc = func(ctx context.Context) error {
			dl, ok := ctx.Deadline()
			if !ok || time.Until(dl) > 5*time.Second {
				t.Errorf("ping without a short deadline (deadline %v, %v)", dl, ok)
			}
			return nil
		}
		rec := b.serve(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d", rec.Code)
		}
		assertJSONEqual(t, "response body", rec.Body.Bytes(), []byte(`{"status":"ok"}`))
	})
	t.Run("readyz when the database does not answer", func(t *testing.T) {
		b := setup(t)
		b.store.PingFunc = func(context.Context) error { return errors.New(storeErrText) }
		rec := b.serve(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status = %d", rec.Code)
		}
		assertJSONEqual(t, "response body", rec.Body.Bytes(),
			[]byte(`{"error":{"code":"unavailable","message":"the database does not answer"}}`))
		if !strings.Contains(b.logs.String(), storeErrText) {
			t.Errorf("the ping error was not logged:\n%s", b.logs)
		}
	})
}

func TestRouting(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		wantStatus   int
		wantAllow    []string
	}{
		{http.MethodGet, "/nope", http.StatusNotFound, nil},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, []string{"GET"}},
		{http.MethodDelete, "/api/v1/investigations/abc", http.StatusMethodNotAllowed, []string{"GET"}},
		{http.MethodGet, "/webhook", http.StatusMethodNotAllowed, []string{"POST"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			b := setup(t)
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+testSecret)
			rec := b.serve(req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			m := decodeBody(t, rec)
			if _, ok := m["error"]; !ok {
				t.Errorf("body has no error: %v", m)
			}
			if got := rec.Header().Values("Allow"); strings.Join(got, ",") != strings.Join(tc.wantAllow, ",") {
				t.Errorf("Allow = %v, want %v", got, tc.wantAllow)
			}
		})
	}
}

func TestAPIInvestigationsFiltersAndCursor(t *testing.T) {
	for _, tc := range []struct {
		query      string
		wantStatus int
		want       triage.ListQuery
		wantError  string
	}{
		{"?state=done&verdict=malicious&limit=5", http.StatusOK, triage.ListQuery{Limit: 5, State: "done", Verdict: "malicious"}, ""},
		{"?cursor=abc", http.StatusOK, triage.ListQuery{Limit: 50, Cursor: "abc"}, ""},
		{"?cursor=forged", http.StatusBadRequest, triage.ListQuery{}, "cursor is not one this service gave out"},
		{"?verdict=evil", http.StatusBadRequest, triage.ListQuery{}, "verdict must be one of"},
		{"?state=sleeping", http.StatusBadRequest, triage.ListQuery{}, "state must be one of"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			b := setup(t)
			var got triage.ListQuery
			b.store.ListFunc = func(_ context.Context, q triage.ListQuery) (triage.SummaryPage, error) {
				got = q
				if q.Cursor == "forged" {
					return triage.SummaryPage{}, fmt.Errorf("store: %w", triage.ErrBadCursor)
				}
				return triage.SummaryPage{Summaries: []triage.Summary{{AlertID: "a"}}, Next: "next-page"}, nil
			}
			req := httptest.NewRequest(http.MethodGet, "/api/v1/investigations"+tc.query, nil)
			req.Header.Set("Authorization", "Bearer "+testSecret)
			rec := b.serve(req)
			if rec.Code != tc.wantStatus || !strings.Contains(rec.Body.String(), tc.wantError) {
				t.Fatalf("status %d, body %s; want %d with %q", rec.Code, rec.Body, tc.wantStatus, tc.wantError)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			if got != tc.want {
				t.Errorf("store asked %+v; want %+v", got, tc.want)
			}
			var body triage.SummaryPage
			decodeInto(t, rec, &body)
			if body.Next != "next-page" || len(body.Summaries) != 1 {
				t.Errorf("body %+v", body)
			}
		})
	}
}
