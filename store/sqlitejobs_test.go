package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/panther-triage/panther-triage/triage"
)

// The store writes river's job rows itself on SQLite (insertSQLite). Each
// column it writes must read back exactly as river's own insert writes it,
// for a job to run now and for one scheduled later, and the workers must be
// told of a job to run now as river tells them. A river upgrade that changes
// its rows fails here.
func TestSQLiteJobsAsRiverWritesThem(t *testing.T) {
	ctx := t.Context()
	be, err := openSQLite(ctx, filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer be.close()
	if err := be.migrate(ctx, time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	rb := be.(*riverBackend[*sql.Tx])
	client, err := river.NewClient(rb.driver, &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	jobs := []river.InsertManyParams{
		{Args: triage.InvestigateJob{QueuedAlert: triage.QueuedAlert{AlertID: "a-now", DetectionID: "D", ReceivedAt: later}},
			InsertOpts: &river.InsertOpts{MaxAttempts: 7}},
		{Args: triage.OverBudgetJob{QueuedAlert: triage.QueuedAlert{AlertID: "a-later", DetectionID: "D"}, Reason: "budget"},
			InsertOpts: &river.InsertOpts{MaxAttempts: 7, ScheduledAt: later}},
	}
	inTx := func(fn func(tx *sql.Tx, q querier) error) {
		t.Helper()
		tx, q, err := rb.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := fn(tx, q); err != nil {
			_ = tx.Rollback()
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	inTx(func(tx *sql.Tx, _ querier) error {
		_, err := client.InsertManyFastTx(ctx, tx, jobs)
		return err
	})
	theirs := jobRows(ctx, t, rb.pool)
	notices := countNotices(ctx, t, rb.pool)
	if notices == 0 {
		t.Fatal("river's insert of a job to run now announced nothing; the test no longer checks what it should")
	}
	if err := rb.pool.exec(ctx, `DELETE FROM river_job`); err != nil {
		t.Fatal(err)
	}
	var ids map[string]int64
	inTx(func(tx *sql.Tx, q querier) error {
		var err error
		ids, err = insertSQLite(ctx, rb.driver, tx, q, jobs)
		return err
	})
	ours := jobRows(ctx, t, rb.pool)
	if got := countNotices(ctx, t, rb.pool); got != 2*notices {
		t.Errorf("notifications after our insert = %d, want %d (as river's)", got, 2*notices)
	}
	if len(ours) != len(theirs) {
		t.Fatalf("rows: ours %d, river's %d", len(ours), len(theirs))
	}
	for alertID, want := range theirs {
		got, ok := ours[alertID]
		if !ok {
			t.Errorf("no row of ours for %s", alertID)
			continue
		}
		if got["id"] != ids[alertID] {
			t.Errorf("%s: returned ID %d, row ID %v", alertID, ids[alertID], got["id"])
		}
		for col := range want {
			if col == "id" {
				continue
			}
			if !reflect.DeepEqual(got[col], want[col]) {
				t.Errorf("%s: column %s = %#v, river writes %#v", alertID, col, got[col], want[col])
			}
		}
	}
}

// jobRows reads every column of river's job rows, by alert ID. Times
// stamped by the database's clock are compared by their format and by
// being recent, not by their value.
func jobRows(ctx context.Context, t *testing.T, q querier) map[string]map[string]any {
	t.Helper()
	rs, err := q.query(ctx, `SELECT *, json_extract(args, '$.alert_id') AS alert FROM river_job`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	sqlRows := rs.(interface{ Columns() ([]string, error) })
	cols, err := sqlRows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]any{}
		for i, c := range cols {
			row[c] = vals[i]
		}
		stamped := []string{"created_at"}
		if row["state"] == "available" {
			stamped = append(stamped, "scheduled_at")
		}
		for _, c := range stamped {
			at, ok := row[c].(time.Time) // the driver parses the text river keeps
			if !ok || time.Since(at).Abs() > time.Minute {
				t.Errorf("%s = %#v: not a time as river writes it, or not now", c, row[c])
			}
			row[c] = "now"
		}
		out[row["alert"].(string)] = row
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func countNotices(ctx context.Context, t *testing.T, q querier) int {
	t.Helper()
	var n int
	if err := q.queryRow(ctx, `SELECT count(*) FROM river_notification WHERE topic = 'river_insert'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
