// Package storetest gives tests a database to run the store on: a SQLite
// file in the test's temp dir, or a fresh PostgreSQL database on the server
// named by PANTHER_TRIAGE_TEST_POSTGRES (default the local server on
// 127.0.0.1:5432). PostgreSQL tests skip when no server answers, except under
// CI=true, where they fail.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgres is the server used when PANTHER_TRIAGE_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SQLite returns the path of a new SQLite database file for t.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "triage.db")
}

// Postgres creates an empty database for t and returns its URL; the
// database is dropped when t ends.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := adminURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true and did not answer at %s: %v", redact(admin), err)
		}
		t.Skipf("no PostgreSQL at %s (%v); start one or set PANTHER_TRIAGE_TEST_POSTGRES=postgres://… to run the PostgreSQL tests", redact(admin), err)
	}
	defer conn.Close(ctx)

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "triage_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(admin), err)
	}
	u.Path = "/" + name
	return u.String()
}

// TryPostgres is Postgres for a test that also runs without PostgreSQL:
// when no server answers (and CI is not "true") it returns false instead of
// skipping t.
func TryPostgres(t testing.TB) (string, bool) {
	t.Helper()
	if os.Getenv("CI") != "true" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL())
		if err != nil {
			t.Logf("no PostgreSQL at %s (%v): running without it", redact(adminURL()), err)
			return "", false
		}
		_ = conn.Close(ctx)
	}
	return Postgres(t), true
}

// adminURL is the server tests create their databases on.
func adminURL() string {
	if u := os.Getenv("PANTHER_TRIAGE_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultPostgres
}

// Each runs f once per backend, as subtests "sqlite" and "postgres".
func Each(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
