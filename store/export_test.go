package store

import (
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/panther-triage/panther-triage/triage"
)

// JobModes (tests only) reads every queued job of an alert and says, per alert, what
// it will do: "" investigate, "repeat:<leader>", "over_budget: <reason>".
func (s *Store) JobModes(t *testing.T) map[string]string {
	t.Helper()
	args := "args::text" // PostgreSQL: jsonb
	if _, ok := s.be.(*riverBackend[*sql.Tx]); ok {
		args = "json(args)" // SQLite keeps JSONB blobs
	}
	rows, err := s.be.db().query(t.Context(), `SELECT kind, `+args+` FROM river_job ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var kind, raw string
		if err := rows.Scan(&kind, &raw); err != nil {
			t.Fatal(err)
		}
		var j struct {
			triage.QueuedAlert
			RepeatOf string `json:"repeat_of"`
			Reason   string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(raw), &j); err != nil {
			t.Fatal(err)
		}
		switch kind {
		case triage.KindRepeat:
			out[j.AlertID] = "repeat:" + j.RepeatOf
		case triage.KindOverBudget:
			out[j.AlertID] = "over_budget: " + j.Reason
		case triage.KindInvestigate:
			out[j.AlertID] = ""
		}
	}
	return out
}

// Exec (tests only) runs a statement on the store's own connection pool:
// on SQLite, its one connection.
func (s *Store) Exec(t *testing.T, q string) {
	t.Helper()
	if err := s.be.db().exec(t.Context(), q); err != nil {
		t.Fatal(err)
	}
}

// Pragma (tests only) reads a SQLite pragma on the store's connection.
func (s *Store) Pragma(t *testing.T, name string) string {
	t.Helper()
	var v string
	if err := s.be.db().queryRow(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// JobAlerts (tests only) maps each investigation job's ID to its alert.
func (s *Store) JobAlerts(t *testing.T) map[int64]string {
	t.Helper()
	args := "args::text"
	if _, ok := s.be.(*riverBackend[*sql.Tx]); ok {
		args = "json(args)"
	}
	rows, err := s.be.db().query(t.Context(), `SELECT id, `+args+` FROM river_job`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			t.Fatal(err)
		}
		var j triage.QueuedAlert
		if err := json.Unmarshal([]byte(raw), &j); err != nil {
			t.Fatal(err)
		}
		out[id] = j.AlertID
	}
	return out
}
