package store

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store/storetest"
)

// legacyJob is a job as releases before job kinds queued it: every
// delivery was an investigate_alert job, with a mode.
type legacyJob struct {
	AlertID  string `json:"alert_id"`
	Mode     string `json:"mode,omitempty"`
	RepeatOf string `json:"repeat_of,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (legacyJob) Kind() string { return "investigate_alert" }

// TestMigrationGivesQueuedJobsTheirKind queues jobs the old way, then runs
// migration 7 again: storm repeats and over-budget notices still to run
// become jobs of their own kinds, with their arguments.
func TestMigrationGivesQueuedJobsTheirKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s, err := Open(t.Context(), Config{DSN: dsn, Now: func() time.Time { return time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC) }}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		err = s.be.inTx(t.Context(), func(_ querier, insert insertFunc) error {
			_, err := insert(t.Context(), []river.InsertManyParams{
				{Args: legacyJob{AlertID: "lead"}},
				{Args: legacyJob{AlertID: "follower", Mode: "repeat", RepeatOf: "lead"}},
				{Args: legacyJob{AlertID: "late", Mode: "over_budget", Reason: "the budget is used up"}},
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		dialect := "sqlite"
		if strings.HasPrefix(dsn, "postgres") {
			dialect = "postgres"
		}
		ms, err := loadMigrations(dialect)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.version == 7 {
				for _, stmt := range m.stmts {
					if err := s.be.db().exec(t.Context(), stmt); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		want := map[string]string{"lead": "", "follower": "repeat:lead", "late": "over_budget: the budget is used up"}
		if got := s.JobModes(t); !maps.Equal(got, want) {
			t.Errorf("jobs after the migration = %q; want %q", got, want)
		}
	})
}
