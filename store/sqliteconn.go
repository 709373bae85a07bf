package store

import (
	"context"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// The SQLite driver parses a statement on every call that does not go
// through a prepared statement, and river's statements never do: its
// batch insert alone cost about 0.9 ms of parsing per batch, about a
// seventh of the intake's CPU. So every SQLite connection the store opens
// keeps the statements it ran prepared, keyed by their text, and runs them
// again by binding new arguments. This serves river's statements and the
// store's own alike, in or out of a transaction.

// maxCachedStmts bounds the statements a connection keeps prepared: list
// queries are built from their filters, and a batch's statements from its
// size. Past it, one that is not in use is dropped for the newcomer.
const maxCachedStmts = 512

// stmtConnector opens SQLite connections that keep their statements
// prepared.
type stmtConnector struct {
	dsn string
	drv *sqlite.Driver
}

func newStmtConnector(dsn string) stmtConnector {
	return stmtConnector{dsn: dsn, drv: &sqlite.Driver{}}
}

func (c stmtConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c stmtConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what the store needs of a driver connection of modernc's.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a connection that runs each statement through a prepared
// one of its own. database/sql uses a connection from one goroutine at a
// time, rows included, so the cache needs no lock.
type cachingConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement; busy while rows read from it are
// open, when a second use of the same text is prepared apart.
type cachedStmt struct {
	st interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool
}

func newCachingConn(c driver.Conn) (driver.Conn, error) {
	sc, ok := c.(sqliteConn)
	if !ok {
		_ = c.Close()
		return nil, errors.New("sqlite: the driver's connection lacks a method the store needs")
	}
	return &cachingConn{sqliteConn: sc, stmts: map[string]*cachedStmt{}}, nil
}

// stmt returns the prepared statement for query, preparing it the first
// time; nil when it is in use, or when it could not be prepared (the
// caller then runs the query unprepared, and sees the error there).
func (c *cachingConn) stmt(ctx context.Context, query string) *cachedStmt {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil
		}
		return cs
	}
	ds, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		_ = ds.Close()
		return nil
	}
	if len(c.stmts) >= maxCachedStmts {
		for q, old := range c.stmts {
			if !old.busy {
				_ = old.st.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	cs := &cachedStmt{st: st}
	c.stmts[query] = cs
	return cs
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs := c.stmt(ctx, query)
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return cs.st.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.stmt(ctx, query)
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	r, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	rs, ok := r.(sqliteRows)
	if !ok {
		_ = r.Close()
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	cs.busy = true
	return &cachedRows{sqliteRows: rs, st: cs}, nil
}

// Close closes the prepared statements, then the connection.
func (c *cachingConn) Close() error {
	for q, cs := range c.stmts {
		_ = cs.st.Close()
		delete(c.stmts, q)
	}
	return c.sqliteConn.Close()
}

// sqliteRows is what modernc's rows offer beside driver.Rows.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows frees its statement for the next use when closed.
type cachedRows struct {
	sqliteRows
	st *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.sqliteRows.Close()
	r.st.busy = false
	return err
}

var (
	_ driver.Connector = stmtConnector{}
	_ sqliteConn       = (*cachingConn)(nil)
	_ sqliteRows       = (*cachedRows)(nil)
)
