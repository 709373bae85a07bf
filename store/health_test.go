package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
)

// TestPingReportsADatabaseThatCannotWrite makes SQLite's one connection
// read-only, as a full disk would make every write fail: Ping, which
// /readyz calls, turns to a NotWritableError once a write or a probe has
// failed, and back to nil once a probe succeeds again.
func TestPingReportsADatabaseThatCannotWrite(t *testing.T) {
	c := newClock()
	s := open(t, storetest.SQLite(t), c)
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("fresh store: Ping = %v", err)
	}

	s.Exec(t, "PRAGMA query_only = ON")
	if _, err := s.Enqueue(ctx, delivery("w1")); err == nil {
		t.Fatal("Enqueue on a read-only database succeeded")
	}
	c.Advance(10 * time.Second)
	err := s.Ping(ctx)
	var nw *store.NotWritableError
	if !errors.As(err, &nw) || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("Ping after failed writes = %v, want a NotWritableError saying why", err)
	}
	if err := s.Ping(ctx); !errors.As(err, &nw) {
		t.Errorf("second Ping within the probe interval = %v, want the same answer", err)
	}

	s.Exec(t, "PRAGMA query_only = OFF")
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping changed its answer before the probe interval passed")
	}
	c.Advance(10 * time.Second)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping once writes work again = %v, want nil", err)
	}
}

// TestSQLiteJournalSizeLimit checks that the WAL is truncated after
// checkpoints: journal_size_limit is set on the connection.
func TestSQLiteJournalSizeLimit(t *testing.T) {
	s := open(t, storetest.SQLite(t), newClock())
	if got := s.Pragma(t, "journal_size_limit"); got != "67108864" {
		t.Errorf("journal_size_limit = %s, want 67108864 (64 MiB)", got)
	}
}
