package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/triage"
)

// A transaction that wrote its deliveries into the budget memo and then
// did not commit leaves them out of the counts: the next batch reads the
// memo again from the database.
func TestBudgetMemoForgetsWhatDidNotCommit(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s, err := Open(t.Context(), Config{DSN: filepath.Join(t.TempDir(), "memo.db"), Now: func() time.Time { return now }, MaxPerHour: 2}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if s.memo == nil {
		t.Fatal("no budget memo on SQLite")
	}
	add := func(id string) {
		t.Helper()
		if _, err := s.Enqueue(t.Context(), triage.Delivery{AlertID: id, DetectionID: "D", Title: id, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	add("a1")
	lost := []arrival{{d: triage.Delivery{AlertID: "lost", DetectionID: "D"}, at: now}}
	s.memo.settle(s.memo.wrote(lost, []int{0}), false)
	add("a2") // the second investigation in the hour: within the budget
	add("a3") // the third: over it
	modes := s.JobModes(t)
	if modes["a2"] != "" || !strings.HasPrefix(modes["a3"], triage.ModeOverBudget) {
		t.Errorf("modes %v; want a2 investigated and a3 over budget, the lost delivery not counted", modes)
	}
}
