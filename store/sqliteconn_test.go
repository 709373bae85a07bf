package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func openCachingDB(t *testing.T) *sql.DB {
	t.Helper()
	db := sql.OpenDB(newStmtConnector("file:" + filepath.Join(t.TempDir(), "c.db")))
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// A statement whose rows are still open is run again, with other
// arguments, while reading them: the second use gets a statement of its
// own, and both read their own rows.
func TestCachingConnNestedUseOfOneStatement(t *testing.T) {
	db := openCachingDB(t)
	ctx := t.Context()
	for k := range 3 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, k, fmt.Sprint("v", k)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	const q = `SELECT k, v FROM t WHERE k >= $1 ORDER BY k`
	outer, err := tx.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var k int
		var v string
		if err := outer.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := tx.QueryRowContext(ctx, q, 2).Scan(new(int), &inner); err != nil {
			t.Fatal(err)
		}
		got = append(got, v+"/"+inner)
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "[v0/v2 v1/v2 v2/v2]"; fmt.Sprint(got) != want {
		t.Fatalf("read %v, want %s", got, want)
	}
	// Closed, the statement serves the next query again.
	var v string
	if err := tx.QueryRowContext(ctx, q, 1).Scan(new(int), &v); err != nil || v != "v1" {
		t.Fatalf("after the nested use: %q, %v", v, err)
	}
}

// Past maxCachedStmts distinct statements the connection still answers
// each one, and keeps no more than the bound.
func TestCachingConnBound(t *testing.T) {
	db := openCachingDB(t)
	ctx := t.Context()
	for i := range maxCachedStmts + 10 {
		var n int
		if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + count(*) FROM t`, i)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != i {
			t.Fatalf("query %d answered %d", i, n)
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		if n := len(dc.(*cachingConn).stmts); n > maxCachedStmts {
			return fmt.Errorf("%d statements kept, bound %d", n, maxCachedStmts)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A statement that fails to prepare fails as it would unprepared, and a
// script of several statements runs whole.
func TestCachingConnErrorsAndScripts(t *testing.T) {
	db := openCachingDB(t)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `SELECT nope FROM nowhere`); err == nil {
		t.Fatal("a bad statement ran")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (1, 'a'); INSERT INTO t (k, v) VALUES (2, 'b')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d, %v; want 2", n, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, 1, "dup"); err == nil {
		t.Fatal("a duplicate key was inserted")
	}
	// The statement that failed runs again.
	if _, err := db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, $2)`, 3, "c"); err != nil {
		t.Fatal(err)
	}
}
