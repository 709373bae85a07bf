package main

import (
	"path/filepath"
	"testing"
	"time"
)

func TestReconcilerInvestigatesMissedDeliveries(t *testing.T) {
	p := startPanther(t)
	// Panther created this alert ten minutes ago, but its webhook never
	// reached the service (it was down longer than Panther's retries).
	missed := sampleAlert(t)
	missed.ID = "0123456789abcdef0123456789abcdef"
	missed.CreatedAt = time.Now().Add(-10 * time.Minute)
	p.AddAlert(missed)

	db := filepath.Join(t.TempDir(), "rec.db")
	vars := testEnv(p, db)
	vars["PANTHER_TRIAGE_RECONCILE_EVERY"] = "1s"
	startServe(t, vars)
	q := openQueueDB(t, db)
	eventually(t, 30*time.Second, "the missed alert's comment", func() bool { return len(p.Comments(missed.ID)) == 1 })
	// Two later runs leave it alone: they complete, and the queue holds no
	// investigation to run.
	runs := q.completedJobs(t, "reconcile_alerts")
	eventually(t, 30*time.Second, "two more reconciler runs", func() bool { return q.completedJobs(t, "reconcile_alerts") >= runs+2 })
	drained(t, q, 30*time.Second)
	if n := len(p.Comments(missed.ID)); n != 1 {
		t.Fatalf("%d comments on the missed alert; want 1", n)
	}
}
