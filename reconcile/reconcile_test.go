package reconcile_test

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/filter"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/reconcile"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

func TestReconcileEnqueuesOnlyAlertsNeverDelivered(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	srv := panthersim.New(panthersim.WithClock(func() time.Time { return now }))
	srv.Start()
	t.Cleanup(srv.Close)
	seeds := panthersim.DefaultSeeds()
	add := func(id, severity string, age time.Duration) {
		s := seeds[0]
		s.ID, s.Severity, s.CreatedAt = id, severity, now.Add(-age)
		srv.AddAlert(s)
	}
	add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "HIGH", 30*time.Minute) // delivered by webhook
	add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2", "HIGH", 40*time.Minute) // webhook never arrived
	add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3", "INFO", 40*time.Minute) // filtered by severity
	add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa4", "HIGH", 2*time.Minute)  // too young: its webhook is on the way
	add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5", "HIGH", 5*time.Hour)    // older than the lookback

	st, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t), Now: func() time.Time { return now }}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if _, err := st.Enqueue(t.Context(), triage.Delivery{AlertID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", Payload: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	f, err := filter.New(filter.Config{Severities: []string{"HIGH", "CRITICAL"}})
	if err != nil {
		t.Fatal(err)
	}
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	w := reconcile.New(reconcile.Config{Every: time.Minute, Now: func() time.Time { return now }}, pc, st, f, zerolog.Nop())

	res, err := w.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Enqueued != 1 || res.Filtered != 1 {
		t.Fatalf("first run: %+v; want 1 enqueued (the missed alert), 1 filtered", res)
	}
	rec, err := st.Investigation(t.Context(), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2")
	if err != nil || rec.State != triage.StateQueued {
		t.Fatalf("missed alert record: %+v, %v; want queued", rec, err)
	}
	if res, _ := w.Run(t.Context()); res.Enqueued != 0 {
		t.Fatalf("second run enqueued %d; want 0", res.Enqueued)
	}
}

// TestReconcileCoversEveryAlertType lists every listing type: a system
// error and a detection error whose webhooks never arrived are enqueued when
// the filters accept their types, not only rule, scheduled rule and policy
// alerts.
func TestReconcileCoversEveryAlertType(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	srv := panthersim.New(panthersim.WithClock(func() time.Time { return now }))
	srv.Start()
	t.Cleanup(srv.Close)
	for _, s := range panthersim.DefaultSeeds() {
		switch s.Type {
		case "SYSTEM_ERROR":
			s.ID, s.CreatedAt = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1", now.Add(-30*time.Minute)
			srv.AddAlert(s)
		case "RULE":
			s.ID, s.CreatedAt = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2", now.Add(-30*time.Minute)
			s.Type, s.Events = "RULE_ERROR", nil
			srv.AddAlert(s)
		case "POLICY":
			s.ID, s.CreatedAt = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb3", now.Add(-30*time.Minute)
			srv.AddAlert(s)
		}
	}
	st, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t), Now: func() time.Time { return now }}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	f, err := filter.New(filter.Config{Types: []string{"POLICY", "RULE_ERROR", "SYSTEM_ERROR"}})
	if err != nil {
		t.Fatal(err)
	}
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	w := reconcile.New(reconcile.Config{Every: time.Minute, Now: func() time.Time { return now }}, pc, st, f, zerolog.Nop())
	res, err := w.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Enqueued != 3 {
		t.Fatalf("run: %+v; want the policy alert, the detection error and the system error enqueued", res)
	}
}
