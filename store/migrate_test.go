package store_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// rawDB runs SQL on a test database outside the store.
type rawDB interface {
	exec(t *testing.T, q string, args ...any)
	strings(t *testing.T, q string) []string
	close()
}

type sqliteRaw struct{ db *sql.DB }

func (r sqliteRaw) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := r.db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (r sqliteRaw) strings(t *testing.T, q string) []string {
	t.Helper()
	rows, err := r.db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	return scanStrings(t, rows)
}

func (r sqliteRaw) close() { _ = r.db.Close() }

type pgRaw struct{ conn *pgx.Conn }

func (r pgRaw) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := r.conn.Exec(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (r pgRaw) strings(t *testing.T, q string) []string {
	t.Helper()
	rows, err := r.conn.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	return scanStrings(t, rows)
}

// scanStrings reads a one-column result of either driver.
func scanStrings(t *testing.T, rows interface {
	Next() bool
	Scan(dest ...any) error
}) []string {
	t.Helper()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func (r pgRaw) close() { _ = r.conn.Close(context.Background()) }

func openRaw(t *testing.T, dsn string) rawDB {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres") {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return pgRaw{conn}
	}
	db, err := sql.Open("sqlite", "file:"+dsn)
	if err != nil {
		t.Fatal(err)
	}
	return sqliteRaw{db}
}

// columns lists the store's own tables and their columns with types, as
// "table.column type", sorted.
func columns(t *testing.T, dsn string) []string {
	t.Helper()
	r := openRaw(t, dsn)
	defer r.close()
	var out []string
	if strings.HasPrefix(dsn, "postgres") {
		out = r.strings(t, `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'triage_%'`)
		out = append(out, r.strings(t, `SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'triage_%'`)...)
	} else {
		out = r.strings(t, `SELECT m.name || '.' || p.name || ' ' || p.type || ' ' || p."notnull" || ' ' || coalesce(p.dflt_value, '') || ' ' || p.pk
			FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name LIKE 'triage_%'`)
		out = append(out, r.strings(t, `SELECT name || ' ' || tbl_name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'triage_%'`)...)
	}
	slices.Sort(out)
	return out
}

// TestMigrateUpgradesTheSchemaBeforeMigrations creates a database with the
// DDL every start ran before versioned migrations (the fixture
// testdata/schema-before-migrations.sql), holding a delivery, a storm and a
// record, then opens the store on it: the migrations apply, the data
// stays (a redelivery is still a duplicate, the record reads back), and
// the schema ends up the same as a fresh database's. Opening again
// applies nothing.
func TestMigrateUpgradesTheSchemaBeforeMigrations(t *testing.T) {
	fixture, err := os.ReadFile("testdata/schema-before-migrations.sql")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		r := openRaw(t, dsn)
		for _, stmt := range strings.Split(string(fixture), ";\n") {
			if s := strings.TrimSpace(stripComments(stmt)); s != "" {
				r.exec(t, s)
			}
		}
		at := c.Now().UnixMilli()
		r.exec(t, `INSERT INTO triage_delivery (alert_id, accepted_at, job_id, detection_id, mode, payload) VALUES ('old1', $1, 77, 'D', '', '{}')`, at)
		r.exec(t, `INSERT INTO triage_storm (detection_id, title_key, leader_alert_id, started_at) VALUES ('D', 'root login', 'old1', $1)`, at)
		r.exec(t, `INSERT INTO triage_investigation (alert_id, job_id, detection_id, state, record, created_at, updated_at)
			VALUES ('old1', 77, 'D', 'done', '{"alertId":"old1","jobId":77,"state":"done","verdict":"benign"}', $1, $1)`, at)
		// Before records had a reason, skip reasons were stored as errors.
		r.exec(t, `INSERT INTO triage_investigation (alert_id, job_id, detection_id, state, record, created_at, updated_at)
			VALUES ('old-skip', 78, 'D', 'skipped', '{"alertId":"old-skip","jobId":78,"state":"skipped","attempts":1,"error":"alert status is CLOSED"}', $1, $1),
			('old-fail', 79, 'D', 'failed', '{"alertId":"old-fail","jobId":79,"state":"failed","attempts":3,"error":"panther: 403"}', $1, $1)`, at)
		r.close()

		s := open(t, dsn, c)
		got, err := s.Enqueue(t.Context(), delivery("old1"))
		if err != nil || !got.Duplicate || got.JobID != 77 {
			t.Errorf("redelivery of an alert accepted before the upgrade: %+v, %v; want a duplicate of job 77", got, err)
		}
		rec, err := s.Investigation(t.Context(), "old1")
		if err != nil || rec.State != triage.StateDone || rec.Verdict != "benign" {
			t.Errorf("record from before the upgrade: %+v, %v", rec, err)
		}
		if rec, err := s.Investigation(t.Context(), "old-skip"); err != nil || rec.Reason != "alert status is CLOSED" || rec.Error != "" {
			t.Errorf("skipped record from before the upgrade: reason %q, error %q, %v; want its error as its reason", rec.Reason, rec.Error, err)
		}
		if rec, err := s.Investigation(t.Context(), "old-fail"); err != nil || rec.Error != "panther: 403" || rec.Reason != "" {
			t.Errorf("failed record from before the upgrade: reason %q, error %q, %v; want its error kept", rec.Reason, rec.Error, err)
		}
		s.Close()

		r = openRaw(t, dsn)
		versions := r.strings(t, `SELECT CAST(version AS TEXT) || ' ' || name FROM triage_migration ORDER BY version`)
		storms := r.strings(t, `SELECT leader_alert_id FROM triage_storm`)
		r.close()
		if len(versions) < 3 || versions[0] != "1 initial" {
			t.Errorf("applied migrations = %q", versions)
		}
		if len(storms) != 0 {
			t.Errorf("storms keyed on titles survived the upgrade: %q", storms)
		}

		again, err := store.Open(t.Context(), store.Config{DSN: dsn, Now: c.Now}, zerolog.Nop())
		if err != nil {
			t.Fatalf("second open: %v", err)
		}
		again.Close()
		r = openRaw(t, dsn)
		if n := r.strings(t, `SELECT CAST(count(*) AS TEXT) FROM triage_migration`); n[0] != itoa(len(versions)) {
			t.Errorf("a second open applied migrations again: %s rows, want %d", n[0], len(versions))
		}
		r.close()

		fresh := freshDSN(t, dsn)
		if f, err := store.Open(t.Context(), store.Config{DSN: fresh, Now: c.Now}, zerolog.Nop()); err != nil {
			t.Fatal(err)
		} else {
			f.Close()
		}
		if up, want := columns(t, dsn), columns(t, fresh); len(want) < 20 || !slices.Equal(up, want) {
			t.Errorf("upgraded schema differs from a fresh one:\n got %q\nwant %q", up, want)
		}
	})
}

// freshDSN returns an empty database of the same kind as dsn.
func freshDSN(t *testing.T, dsn string) string {
	if strings.HasPrefix(dsn, "postgres") {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}

func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }
