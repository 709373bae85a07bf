package agreement_test

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/agreement"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

func TestAgrees(t *testing.T) {
	tests := []struct {
		verdict, status, comment string
		agree, final             bool
	}{
		{"malicious", "RESOLVED", "Confirmed compromised credentials, escalated to IR.", true, true},
		{"suspicious", "RESOLVED", "True positive: the key was rotated.", true, true},
		{"malicious", "RESOLVED", "Expected: approved change ITREQ-1182.", false, true},
		{"malicious", "RESOLVED", "", false, true}, // handled, no stated verdict
		{"benign", "RESOLVED", "Legit, the QA account.", true, true},
		{"benign", "RESOLVED", "Not malicious: the admin's own laptop.", true, true},
		{"benign", "RESOLVED", "Incident opened.", false, true},
		{"benign", "CLOSED", "", true, true},
		{"malicious", "CLOSED", "", false, true},
		{"malicious", "OPEN", "", false, false},
		{"benign", "TRIAGED", "", false, false},
	}
	for _, tt := range tests {
		var comments []panther.Comment
		if tt.comment != "" {
			comments = []panther.Comment{
				{Body: tt.comment, CreatedBy: "sam@acme.io", CreatedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)},
				// The service's own comment never counts as the analysts' reason.
				{Body: "panther-triage: MALICIOUS (confidence 0.90)\nincident", CreatedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)},
			}
		}
		disposition, _ := investigate.JudgeAlert(tt.status, comments)
		if agree, final := agreement.Agrees(tt.verdict, tt.status, disposition); agree != tt.agree || final != tt.final {
			t.Errorf("Agrees(%s, %s, %q) = %v, %v", tt.verdict, tt.status, tt.comment, agree, final)
		}
	}
}

func TestAgreementPerDetection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		srv := panthersim.New(panthersim.WithClock(func() time.Time { return now }))
		srv.Start()
		t.Cleanup(srv.Close)
		st, err := store.Open(t.Context(), store.Config{DSN: dsn, Now: func() time.Time { return now }}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		base := panthersim.DefaultSeeds()[0]
		add := func(id, det, verdict, status string) {
			a := base
			a.ID, a.Status, a.CreatedAt = id, status, now.Add(-2*time.Hour)
			a.Origin.ID = det
			if status == "RESOLVED" && verdict == "malicious" {
				a.Comments = []panthersim.SeedComment{{Body: "True positive, escalated.", CreatedBy: "sam@acme.io", CreatedAt: now.Add(-time.Hour)}}
			}
			srv.AddAlert(a)
			rec := triage.Record{AlertID: id, DetectionID: det, State: triage.StateDone, Verdict: verdict, CreatedAt: now.Add(-time.Hour)}
			if err := st.SaveRecord(t.Context(), rec); err != nil {
				t.Fatal(err)
			}
		}
		add("a1", "A", "malicious", "RESOLVED")  // agree
		add("a2", "A", "benign", "CLOSED")       // agree
		add("a3", "A", "benign", "RESOLVED")     // disagree
		add("b1", "B", "suspicious", "CLOSED")   // disagree
		add("b2", "B", "malicious", "OPEN")      // not final yet
		add("b3", "B", "inconclusive", "CLOSED") // not counted
		pc := panther.New(srv.GraphQLURL(), "", srv.Token)
		w := agreement.New(agreement.Config{Every: time.Hour, Now: func() time.Time { return now }, Judge: investigate.JudgeAlert}, pc, st, zerolog.Nop())
		n, err := w.Run(t.Context())
		if err != nil || n != 4 {
			t.Fatalf("recorded %d, %v; want 4", n, err)
		}
		got, err := st.Agreements(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := []triage.Agreement{{DetectionID: "A", Agree: 2, Disagree: 1}, {DetectionID: "B", Agree: 0, Disagree: 1}}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("agreements %+v; want %+v", got, want)
		}
		// b2 is resolved later, without a comment that says true positive: a
		// disagreement, counted on the next run; the others are not read again.
		srv.SetStatus("b2", "RESOLVED")
		if n, _ := w.Run(t.Context()); n != 1 {
			t.Fatalf("second run recorded %d; want 1", n)
		}
	})
}
