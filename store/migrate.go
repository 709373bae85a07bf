package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrationFiles are the store's own migrations, beside river's:
// migrations/NNNN_name.sql runs on both databases; a migration that needs
// a dialect of its own is written twice, as NNNN_name.sqlite.sql and
// NNNN_name.postgres.sql. A migration is never edited once released; a
// change is a new file with the next number.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered step of the schema.
type migration struct {
	version int
	name    string
	stmts   []string
}

// loadMigrations returns the migrations for the dialect ("sqlite" or
// "postgres"), in order.
func loadMigrations(dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]migration{}
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		if d := path.Ext(base); d != "" {
			if d[1:] != dialect {
				continue
			}
			base = strings.TrimSuffix(base, d)
		}
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name it NNNN_name.sql", e.Name())
		}
		if prev, dup := byVersion[v]; dup {
			return nil, fmt.Errorf("migration %s: version %d is also %s", e.Name(), v, prev.name)
		}
		text, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		byVersion[v] = migration{version: v, name: name, stmts: splitStatements(string(text))}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %d is missing", i+1)
		}
	}
	return out, nil
}

// splitStatements splits a migration file into its statements: each ends
// with ";" at the end of a line. Lines starting with "--" are comments.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); stmt != "" {
				out = append(out, stmt)
			}
			cur.Reset()
		}
	}
	if stmt := strings.TrimSpace(cur.String()); stmt != "" {
		out = append(out, stmt)
	}
	return out
}

// migrationTable records which of the store's migrations a database has.
const migrationTable = `CREATE TABLE IF NOT EXISTS triage_migration (
	version    BIGINT PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// applyMigrations runs, each in its own transaction, the migrations the
// database does not have yet. The caller holds the migration lock.
func applyMigrations(ctx context.Context, b backend, ms []migration, nowMs int64) error {
	if err := b.db().exec(ctx, migrationTable); err != nil {
		return fmt.Errorf("migration table: %w", err)
	}
	for _, m := range ms {
		err := b.inTx(ctx, func(q querier, _ insertFunc) error {
			var n int
			if err := q.queryRow(ctx, `SELECT count(*) FROM triage_migration WHERE version = $1`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range m.stmts {
				if err := q.exec(ctx, stmt); err != nil {
					return err
				}
			}
			return q.exec(ctx, `INSERT INTO triage_migration (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, nowMs)
		})
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}
