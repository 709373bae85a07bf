package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// insertFunc adds investigation jobs, in one statement, inside the
// transaction it was handed with, and returns their IDs by alert ID.
type insertFunc func(ctx context.Context, jobs []river.InsertManyParams) (map[string]int64, error)

// backend is everything that differs between SQLite and PostgreSQL. The rest
// of the package is written once against it.
type backend interface {
	db() querier
	inTx(ctx context.Context, fn func(q querier, insert insertFunc) error) error
	// migrate brings river's tables and the store's own up to date.
	migrate(ctx context.Context, nowMs int64) error
	newClient(cfg *river.Config) (runner, error)
	// writers is how many transactions that write are worth running at
	// once.
	writers() int
	// versionQuery, when not "", reads in a transaction a number that
	// changes whenever another connection has changed the database
	// (SQLite's data_version): what this process wrote itself is then
	// all that changed. PostgreSQL's replicas share the database: "".
	versionQuery() string
	ping(ctx context.Context) error
	close()
}

// runner is a river client that works jobs, seen without its transaction type.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// riverBackend implements backend for one river driver.
type riverBackend[TTx any] struct {
	dialect string // "sqlite" or "postgres": which migration files apply
	driver  riverdriver.Driver[TTx]
	pool    querier
	begin   func(ctx context.Context) (TTx, querier, error)
	// insert adds jobs in a transaction, see insertFunc.
	insert   func(ctx context.Context, tx TTx, q querier, jobs []river.InsertManyParams) (map[string]int64, error)
	commit   func(ctx context.Context, tx TTx) error
	rollback func(ctx context.Context, tx TTx) error
	// lock, when set, serialises migrations of replicas that start together.
	lock    func(ctx context.Context) (unlock func(), err error)
	pingDB  func(ctx context.Context) error
	closeDB func()
	nWriter int
	version string
}

func (b *riverBackend[TTx]) db() querier { return b.pool }

func (b *riverBackend[TTx]) ping(ctx context.Context) error { return b.pingDB(ctx) }

func (b *riverBackend[TTx]) writers() int { return b.nWriter }

func (b *riverBackend[TTx]) versionQuery() string { return b.version }

func (b *riverBackend[TTx]) close() { b.closeDB() }

func (b *riverBackend[TTx]) inTx(ctx context.Context, fn func(q querier, insert insertFunc) error) error {
	tx, q, err := b.begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	insert := func(ctx context.Context, jobs []river.InsertManyParams) (map[string]int64, error) {
		return b.insert(ctx, tx, q, jobs)
	}
	if err := fn(q, insert); err != nil {
		_ = b.rollback(ctx, tx)
		return err
	}
	if err := b.commit(ctx, tx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (b *riverBackend[TTx]) migrate(ctx context.Context, nowMs int64) error {
	if b.lock != nil {
		unlock, err := b.lock(ctx)
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer unlock()
	}
	migrator, err := rivermigrate.New(b.driver, nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	// Each river version runs in its own transaction: some PostgreSQL
	// migrations cannot share one.
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	ms, err := loadMigrations(b.dialect)
	if err != nil {
		return err
	}
	return applyMigrations(ctx, b, ms, nowMs)
}

func (b *riverBackend[TTx]) newClient(cfg *river.Config) (runner, error) {
	return river.NewClient(b.driver, cfg)
}

// openBackend opens the database named by dsn: a postgres:// or
// postgresql:// URL, otherwise a SQLite file path.
func openBackend(ctx context.Context, dsn string) (backend, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (backend, error) {
	// WAL with synchronous=FULL: a committed transaction is on disk, which is
	// what a 2xx to Panther promises. journal_size_limit truncates the WAL
	// file back to walSizeLimit after each checkpoint, so one burst does not
	// leave it large.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=journal_size_limit(" + strconv.Itoa(walSizeLimit) + ")&_txlock=immediate"
	db := sql.OpenDB(newStmtConnector(dsn))
	// SQLite allows one writer; river and this package share one connection
	// rather than fail with SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	driver := riversqlite.New(db)
	return &riverBackend[*sql.Tx]{
		dialect: "sqlite",
		driver:  driver,
		pool:    sqlDB{db},
		begin: func(ctx context.Context) (*sql.Tx, querier, error) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return nil, nil, err
			}
			return tx, sqlDB{tx}, nil
		},
		insert: func(ctx context.Context, tx *sql.Tx, q querier, jobs []river.InsertManyParams) (map[string]int64, error) {
			return insertSQLite(ctx, driver, tx, q, jobs)
		},
		commit:   func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback: func(_ context.Context, tx *sql.Tx) error { return tx.Rollback() },
		pingDB:   db.PingContext,
		closeDB:  func() { _ = db.Close() },
		nWriter:  1, // one connection
		version:  "PRAGMA data_version",
	}, nil
}

func openPostgres(ctx context.Context, url string) (backend, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", redactURL(err, url))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", redactURL(err, url))
	}
	driver := riverpgxv5.New(pool)
	inserter, err := river.NewClient(driver, &river.Config{FetchCooldown: insertNotifyCooldown})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &riverBackend[pgx.Tx]{
		dialect: "postgres",
		driver:  driver,
		pool:    pgDB{pool},
		begin: func(ctx context.Context) (pgx.Tx, querier, error) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				return nil, nil, err
			}
			return tx, pgDB{tx}, nil
		},
		insert: func(ctx context.Context, tx pgx.Tx, _ querier, jobs []river.InsertManyParams) (map[string]int64, error) {
			res, err := inserter.InsertManyTx(ctx, tx, jobs)
			if err != nil {
				return nil, err
			}
			return jobsByAlert(res)
		},
		commit:   func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		rollback: func(ctx context.Context, tx pgx.Tx) error { return tx.Rollback(ctx) },
		lock: func(ctx context.Context) (func(), error) {
			// A session lock on one connection: a second replica starting at
			// the same time waits here until the first has migrated.
			conn, err := pool.Acquire(ctx)
			if err != nil {
				return nil, err
			}
			if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
				conn.Release()
				return nil, err
			}
			return func() {
				_, _ = conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLockKey)
				conn.Release()
			}, nil
		},
		pingDB:  pool.Ping,
		closeDB: pool.Close,
		nWriter: 4,
	}, nil
}

// walSizeLimit is SQLite's journal_size_limit, in bytes (64 MiB).
const walSizeLimit = 64 << 20

// insertNotifyCooldown is how often, at most, the inserting client tells
// the workers that a queue has new jobs (LISTEN/NOTIFY on PostgreSQL, a
// table river polls every 50 ms on SQLite). At river's default of 100 ms, a
// delivery that followed another within 100 ms was not announced and waited
// for the workers' next poll (FetchPollInterval, 500 ms). With group commit
// a notice goes out at most once per batch.
const insertNotifyCooldown = 5 * time.Millisecond

// migrationLockKey names the advisory lock that serialises migrations.
const migrationLockKey int64 = 7251003419

// redactURL keeps a password in the database URL out of an error message.
func redactURL(err error, url string) error {
	msg := err.Error()
	if i := strings.Index(url, "://"); i >= 0 {
		if at := strings.LastIndex(url, "@"); at > i {
			cred := url[i+3 : at]
			if c := strings.Index(cred, ":"); c >= 0 {
				msg = strings.ReplaceAll(msg, cred[c+1:], "***")
			}
		}
	}
	return fmt.Errorf("%s", msg)
}
