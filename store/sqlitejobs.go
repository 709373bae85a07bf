package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// insertSQLite adds jobs to river's table with one plain multi-row INSERT
// and reads their IDs back from it (RETURNING), writing each row exactly as
// river's own insert does (TestSQLiteJobsAsRiverWritesThem compares them
// column by column). River's insert for SQLite hands the jobs over as one
// JSON array that the statement takes apart with a dozen json_extract
// calls a row: it was about a third of the committer's CPU, the intake's
// one serial step. Jobs that can run at once are announced to the workers
// as river announces them (an insert notification for their queue).
func insertSQLite(ctx context.Context, driver riverdriver.Driver[*sql.Tx], tx *sql.Tx, q querier, jobs []river.InsertManyParams) (map[string]int64, error) {
	args := make([]any, 0, 5*len(jobs))
	var values strings.Builder
	available := false
	for i, j := range jobs {
		enc, err := json.Marshal(j.Args)
		if err != nil {
			return nil, fmt.Errorf("encode job args: %w", err)
		}
		opts := j.InsertOpts
		if opts == nil {
			opts = &river.InsertOpts{}
		}
		// As river: a job given a time is scheduled, even one in the past,
		// and the database's clock stamps the rest.
		state, scheduled := rivertype.JobStateAvailable, any(nil)
		if !opts.ScheduledAt.IsZero() {
			state, scheduled = rivertype.JobStateScheduled, sqliteTime(opts.ScheduledAt)
		} else {
			available = true
		}
		maxAttempts := opts.MaxAttempts
		if maxAttempts == 0 {
			maxAttempts = river.MaxAttemptsDefault
		}
		if i > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "(jsonb($%d), datetime('now', 'subsec'), $%d, $%d, jsonb('{}'), %d, '%s', coalesce($%d, datetime('now', 'subsec')), $%d, jsonb('[]'))",
			n+1, n+2, n+3, river.PriorityDefault, river.QueueDefault, n+4, n+5)
		args = append(args, string(enc), j.Args.Kind(), maxAttempts, scheduled, string(state))
	}
	out := make(map[string]int64, len(jobs))
	err := scanRows(ctx, q, `INSERT INTO river_job (args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags)
		VALUES `+values.String()+`
		RETURNING id, coalesce(json_extract(args, '$.alert_id'), '')`, args, func(r rows) error {
		var id int64
		var alertID string
		err := r.Scan(&id, &alertID)
		out[alertID] = id
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) != len(jobs) {
		return nil, fmt.Errorf("inserted %d jobs, read back %d", len(jobs), len(out))
	}
	if available {
		err := driver.UnwrapExecutor(tx).NotifyMany(ctx, &riverdriver.NotifyManyParams{
			Payload: []string{fmt.Sprintf(`{"queue": %q}`, river.QueueDefault)},
			Topic:   "river_insert",
		})
		if err != nil {
			return nil, fmt.Errorf("announce jobs: %w", err)
		}
	}
	return out, nil
}

// sqliteTime is a time as river keeps it in SQLite: text that sorts and
// compares as SQLite's own date functions write it.
func sqliteTime(t time.Time) string {
	return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
}
