package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/panther-triage/panther-triage/investigate"
)

// FuzzWebhook feeds arbitrary bodies through the webhook with the right
// secret and checks that the handler never panics (which would show as a
// 500), answers only documented statuses with a JSON body, and enqueues
// exactly when it answers 202 or duplicate, with a delivery that passed
// validation. Seeds are in testdata/fuzz/FuzzWebhook.
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(documentedPayload))
	f.Add([]byte(`{"id":"Test.Alert","createdAt":"2022-04-26T03:17:32.099054303Z","severity":"INFO","type":"RULE","alertId":"Test.Alert","tags":["test"]}`))
	f.Add([]byte(`{"alertId":null,"id":null,"severity":null,"createdAt":null,"type":null,"tags":null}`))
	f.Add([]byte(`{"alertId":"dup1","id":"x","severity":"LOW","type":"RULE","createdAt":"2020-02-29T23:59:59.123456789-08:00:00"}`))
	f.Add([]byte(`[`))

	f.Fuzz(func(t *testing.T, body []byte) {
		b := setup(t)
		b.store.EnqueueFunc = func(_ context.Context, d investigate.Delivery) (investigate.Enqueued, error) {
			return investigate.Enqueued{JobID: 9, Duplicate: strings.HasPrefix(d.AlertID, "dup")}, nil
		}
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testSecret)
		rec := b.serve(req)

		var resp struct {
			Status string `json:"status"`
			Error  *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("status %d: body is not JSON: %v: %q", rec.Code, err, rec.Body)
		}
		calls := b.store.calls()
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
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			if resp.Error == nil || resp.Error.Code == "" {
				t.Fatalf("status %d without an error code: %s", rec.Code, rec.Body)
			}
			if len(calls) != 0 {
				t.Fatalf("status %d, but Enqueue was called", rec.Code)
			}
		default:
			t.Fatalf("undocumented status %d: %s\nlogs: %s", rec.Code, rec.Body, b.logs)
		}
	})
}
