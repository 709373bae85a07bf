package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// querier is the little SQL this package runs itself, over database/sql
// (SQLite) or pgx (PostgreSQL). Statements use $1-style placeholders, which
// both accept.
type querier interface {
	exec(ctx context.Context, query string, args ...any) error
	queryRow(ctx context.Context, query string, args ...any) row
	query(ctx context.Context, query string, args ...any) (rows, error)
}

type row interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// errNoRows is what queryRow's Scan returns on both backends when nothing
// matched.
func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows)
}

// sqlDB runs statements through database/sql: a *sql.DB or a *sql.Tx.
type sqlDB struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (s sqlDB) exec(ctx context.Context, q string, args ...any) error {
	_, err := s.db.ExecContext(ctx, q, args...)
	return err
}

func (s sqlDB) queryRow(ctx context.Context, q string, args ...any) row {
	return s.db.QueryRowContext(ctx, q, args...)
}

func (s sqlDB) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// pgDB runs statements through pgx: a *pgxpool.Pool or a pgx.Tx.
type pgDB struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

func (p pgDB) exec(ctx context.Context, q string, args ...any) error {
	_, err := p.db.Exec(ctx, q, args...)
	return err
}

func (p pgDB) queryRow(ctx context.Context, q string, args ...any) row {
	return p.db.QueryRow(ctx, q, args...)
}

func (p pgDB) query(ctx context.Context, q string, args ...any) (rows, error) {
	return p.db.Query(ctx, q, args...)
}

var (
	_ querier = sqlDB{}
	_ querier = pgDB{}
	_ rows    = sqlRows{}
	_         = (*pgxpool.Pool)(nil)
)
