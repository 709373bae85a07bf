package store_test

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

func TestQueueStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		// The queue stamps jobs with the real time; the store's clock runs
		// 90 seconds ahead, so the oldest available job looks 90 s old.
		ahead := func() time.Time { return time.Now().Add(90 * time.Second) }
		s, err := store.Open(t.Context(), store.Config{DSN: dsn, Now: ahead}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)

		empty, err := s.QueueStats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(empty.Jobs) != len(triage.QueueStates) || empty.Jobs["available"] != 0 || empty.OldestAvailable != 0 {
			t.Fatalf("empty queue: %+v; want every state at 0 and no age", empty)
		}

		for _, id := range []string{"q1", "q2", "q1"} { // the second q1 is a duplicate
			if _, err := s.Enqueue(t.Context(), delivery(id)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.QueueStats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got.Jobs["available"] != 2 || got.Jobs["running"] != 0 || got.Jobs["completed"] != 0 {
			t.Errorf("jobs = %v; want 2 available", got.Jobs)
		}
		if got.OldestAvailable < 80*time.Second || got.OldestAvailable > 5*time.Minute {
			t.Errorf("oldest available = %v; want about 90s", got.OldestAvailable)
		}
	})
}

func TestQueueStatsCountsScheduledJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s, err := store.Open(t.Context(), store.Config{DSN: dsn, Settle: time.Hour}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		if _, err := s.Enqueue(t.Context(), delivery("later")); err != nil {
			t.Fatal(err)
		}
		got, err := s.QueueStats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got.Jobs["scheduled"] != 1 || got.Jobs["available"] != 0 || got.OldestAvailable != 0 {
			t.Errorf("stats = %+v; want 1 scheduled, none available", got)
		}
	})
}
