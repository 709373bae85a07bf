package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// probeEvery is how long the outcome of a write stands for the database's
// ability to write: past it, or after a failed write, Ping writes a probe
// row, at most once per probeEvery. So readiness follows real writes
// without a probe per check, and one failure is confirmed (or cleared) by
// the next probe rather than flipping readiness on every request.
const probeEvery = 5 * time.Second

// NotWritableError is Ping's answer when the database answers but its
// last write, or a probe write, failed: a full disk, a read-only file or
// a PostgreSQL in recovery.
type NotWritableError struct {
	// At is when the failed write was tried.
	At  time.Time
	Err error
}

func (e *NotWritableError) Error() string {
	return fmt.Sprintf("store: the database cannot write (last write at %s): %v", e.At.UTC().Format(time.RFC3339), e.Err)
}

func (e *NotWritableError) Unwrap() error { return e.Err }

// NotWritable marks the error for /readyz, which tells it from a database
// that does not answer.
func (e *NotWritableError) NotWritable() bool { return true }

// writeHealth keeps the outcome of the store's latest write and of its
// latest probe.
type writeHealth struct {
	mu       sync.Mutex
	at       time.Time // when the latest write was tried
	err      error     // its failure, nil when it succeeded
	probedAt time.Time
	probeErr error
}

// note records the outcome of a write. A write given up by its caller or
// lost to another replica says nothing about the database and is not
// noted.
func (h *writeHealth) note(at time.Time, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errRaced) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if at.Before(h.at) {
		return
	}
	h.at, h.err = at, err
}

// check answers whether the database can write. The latest write
// decides while it is recent and succeeded; otherwise a probe write does,
// at most one per probeEvery. A failed write is reported only once a
// probe failed too, so one refused statement does not flip readiness.
func (h *writeHealth) check(ctx context.Context, now time.Time, probe func(context.Context) error) error {
	h.mu.Lock()
	if h.err == nil && now.Sub(h.at) < probeEvery {
		h.mu.Unlock()
		return nil
	}
	if now.Sub(h.probedAt) < probeEvery {
		at, err := h.probedAt, h.probeErr
		h.mu.Unlock()
		if err != nil {
			return &NotWritableError{At: at, Err: err}
		}
		return nil
	}
	h.probedAt = now
	h.mu.Unlock()

	err := probe(ctx)
	h.mu.Lock()
	h.probeErr = err
	h.mu.Unlock()
	h.note(now, err)
	if err != nil {
		// A probe that outlived the caller's deadline counts as a
		// failure: a database too slow to take one row is not ready.
		return &NotWritableError{At: now, Err: err}
	}
	return nil
}

// probeWrite rewrites the probe row.
func (s *Store) probeWrite(ctx context.Context) error {
	return s.be.inTx(ctx, func(q querier, _ insertFunc) error {
		return q.exec(ctx, `INSERT INTO triage_probe (id, written_at) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at`, s.cfg.Now().UnixMilli())
	})
}
