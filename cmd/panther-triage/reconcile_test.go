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

	vars := serviceEnv(p, filepath.Join(t.TempDir(), "rec.db"))
	vars["PANTHER_TRIAGE_RECONCILE_EVERY"] = "1s"
	startServe(t, vars)
	waitFor(t, "the missed alert's comment", func() bool { return len(p.Comments(missed.ID)) == 1 })
	// Later runs leave it alone.
	time.Sleep(2500 * time.Millisecond)
	if n := len(p.Comments(missed.ID)); n != 1 {
		t.Fatalf("%d comments on the missed alert; want 1", n)
	}
}
