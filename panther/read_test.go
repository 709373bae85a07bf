package panther_test

import (
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// TestReadAlertInOneDocument reads the alert, its events and its
// detection's history in one GraphQL request, and skips REST's read when
// every event was read and each carries the alert context.
func TestReadAlertInOneDocument(t *testing.T) {
	srv, c := setup(t, nil)
	at := time.Date(2025, 6, 3, 12, 0, 0, 0, time.UTC)
	ctxt := map[string]any{"user": "jdoe"}
	srv.AddAlert(panthersim.SeedAlert{ID: "cccccccccccccccccccccccccccccc01", Title: "with context", Severity: "HIGH", CreatedAt: at,
		Origin: panthersim.SeedOrigin{ID: "Okta.BruteForceLogins", Type: "RULE"},
		Events: []map[string]any{
			{"p_row_id": "r1", "p_log_type": "Okta.SystemLog", "p_event_time": "2025-06-03 11:59:00.000", "p_alert_context": ctxt},
			{"p_row_id": "r2", "p_log_type": "Okta.SystemLog", "p_event_time": "2025-06-03 11:59:30.000", "p_alert_context": ctxt},
		}})
	before := srv.Calls()
	r, err := c.ReadAlert(t.Context(), panther.AlertRequest{ID: "cccccccccccccccccccccccccccccc01", Events: 50,
		DetectionID: "Okta.BruteForceLogins", HistoryAfter: at.Add(-30 * 24 * time.Hour), HistoryBefore: at, HistoryMax: 50})
	if err != nil {
		t.Fatal(err)
	}
	after := srv.Calls()
	if n := after["POST /public/graphql"] - before["POST /public/graphql"]; n != 1 {
		t.Errorf("%d GraphQL requests; want 1", n)
	}
	if n := after["GET /alerts/{id}"] - before["GET /alerts/{id}"]; n != 0 {
		t.Errorf("%d REST alert reads; want none, the events carry the context", n)
	}
	if len(r.Events) != 2 || !r.EventsComplete || r.Alert.EventCount != 2 || r.Alert.Context["user"] != "jdoe" {
		t.Errorf("read %+v, alert %+v", r, r.Alert)
	}
	if len(r.History) < 2 || !r.HistoryComplete {
		t.Errorf("history %d alerts (complete %v); want the detection's earlier alerts", len(r.History), r.HistoryComplete)
	}
	for _, h := range r.History {
		if h.Detection == nil || h.Detection.ID != "Okta.BruteForceLogins" {
			t.Errorf("history holds %+v", h)
		}
	}
}
