package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"

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

// sqlTx runs statements in a database/sql transaction. SQLite (modernc)
// parses a statement on every call otherwise, which costs more than running
// most of this package's statements, so statements are prepared: once per
// process in the store's cache, or, the first time one runs, once per
// transaction (it joins the cache after the transaction, see stmtCache).
type sqlTx struct {
	tx    *sql.Tx
	cache *stmtCache
	stmts map[string]*sql.Stmt
}

func newSQLTx(tx *sql.Tx, cache *stmtCache) *sqlTx {
	return &sqlTx{tx: tx, cache: cache, stmts: map[string]*sql.Stmt{}}
}

// stmt returns q prepared for the transaction; the transaction's end
// closes it (a cached statement stays prepared on its connection).
func (s *sqlTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if shared := s.cache.lookup(q); shared != nil {
		st = s.tx.StmtContext(ctx, shared)
	} else {
		var err error
		if st, err = s.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	s.stmts[q] = st
	return st, nil
}

func (s *sqlTx) exec(ctx context.Context, q string, args ...any) error {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

func (s *sqlTx) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *sqlTx) query(ctx context.Context, q string, args ...any) (rows, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	r, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

// stmtCache keeps statements prepared on the store's *sql.DB, whose one
// connection every transaction then reuses them on. A statement can only
// be prepared on the DB outside a transaction (inside, the connection is
// taken), so a transaction notes the ones it missed and they are prepared
// when it has ended.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	missing map[string]bool
}

// maxCachedStmts bounds the cache: list queries are built from their
// filters, and the budget read from the size of its batch.
const maxCachedStmts = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, missing: map[string]bool{}}
}

// lookup returns the prepared statement q, or nil after noting it missing.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[q]
	if st == nil && len(c.m)+len(c.missing) < maxCachedStmts {
		c.missing[q] = true
	}
	return st
}

// fill prepares the statements noted missing. Call it outside any
// transaction.
func (c *stmtCache) fill(ctx context.Context) {
	c.mu.Lock()
	var qs []string
	for q := range c.missing {
		qs = append(qs, q)
	}
	clear(c.missing)
	c.mu.Unlock()
	for _, q := range qs {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // it runs unprepared, as before
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok {
			_ = st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

// close closes the cached statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// errRow is a row whose Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

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
	_ querier = (*sqlTx)(nil)
	_ querier = pgDB{}
	_ rows    = sqlRows{}
	_ row     = errRow{}
	_         = (*pgxpool.Pool)(nil)
)
