package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// Group commit. A transaction per delivery tops out near 1–1.5k
// deliveries a second on SQLite, bound by the CPU that river and SQLite
// spend per statement and per commit rather than by fsync; one
// transaction for many deliveries parses river's insert once and commits
// once. So Enqueue hands its delivery to a committer, which takes every
// delivery waiting at that moment (up to maxBatch) into one transaction and
// answers each caller once it committed: a 2xx still means committed.
// Deliveries that arrive while a transaction runs wait for the next one,
// so batches grow with the load and a lone delivery waits for nobody.

const (
	// maxBatch is the most deliveries one transaction takes.
	maxBatch = 32
	// batchWindow is how long a batch waits for more deliveries, under
	// load.
	batchWindow = time.Millisecond
	// batchTimeout bounds one batch's transaction.
	batchTimeout = 10 * time.Second
)

// errClosed answers deliveries handed to a closed store.
var errClosed = errors.New("store: closed")

// batcher runs the committers of one store.
type batcher struct {
	s *Store
	// reqs is unbuffered: a delivery is handed over only to a committer
	// that will answer it, so none is stranded when the store closes.
	reqs      chan *enqueueReq
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// enqueueReq is one Enqueue call waiting for its transaction.
type enqueueReq struct {
	ctx  context.Context
	a    arrival
	done chan enqueueResult // buffered: the committer never waits on it
}

type enqueueResult struct {
	out triage.Enqueued
	err error
}

// newBatcher starts committers committers: one for SQLite, which has one
// writer anyway; a few for PostgreSQL, whose transactions run in parallel.
func newBatcher(s *Store, committers int) *batcher {
	b := &batcher{s: s, reqs: make(chan *enqueueReq), closed: make(chan struct{})}
	for range max(committers, 1) {
		b.wg.Go(b.loop)
	}
	return b
}

// enqueue hands a delivery to a committer and waits for its answer. A
// caller that gives up early gets ctx's error, though its delivery may
// still commit: the intake then answers 503, and Panther's retry is a
// duplicate.
func (b *batcher) enqueue(ctx context.Context, d triage.Delivery, now time.Time) (triage.Enqueued, error) {
	r := &enqueueReq{ctx: ctx, a: arrival{d: d, at: now}, done: make(chan enqueueResult, 1)}
	select {
	case b.reqs <- r:
	case <-b.closed:
		return triage.Enqueued{}, fmt.Errorf("store: enqueue alert %s: %w", d.AlertID, errClosed)
	case <-ctx.Done():
		return triage.Enqueued{}, fmt.Errorf("store: enqueue alert %s: %w", d.AlertID, ctx.Err())
	}
	select {
	case res := <-r.done:
		return res.out, res.err
	case <-ctx.Done():
		return triage.Enqueued{}, fmt.Errorf("store: enqueue alert %s: %w", d.AlertID, ctx.Err())
	}
}

// close stops the committers after their current transactions.
func (b *batcher) close() {
	b.closeOnce.Do(func() { close(b.closed) })
	b.wg.Wait()
}

// loop is one committer: it takes a delivery, then every other one already
// waiting, up to maxBatch, and commits them together. When the batch
// before held more than one delivery, deliveries are arriving together:
// until the batch is as large as the one before, it waits up to
// batchWindow after the first for more, since callers answered by the
// last commit are sending their next ones. (Waiting for a full batch
// instead left the committer idle for the whole window whenever fewer
// callers than maxBatch were sending.) A delivery alone, under no load,
// waits for nobody.
func (b *batcher) loop() {
	batch := make([]*enqueueReq, 0, maxBatch)
	window := time.NewTimer(batchWindow)
	window.Stop()
	last := 0
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.closed:
			return
		}
		if last > 1 {
			window.Reset(batchWindow)
		}
	collect:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
				continue
			default:
			}
			if last <= 1 || len(batch) >= last {
				break
			}
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			case <-window.C:
				break collect
			case <-b.closed:
				break collect
			}
		}
		window.Stop()
		last = len(batch)
		b.commit(batch)
	}
}

// commit stores a batch in one transaction and answers each caller. When
// the transaction fails, each delivery is tried alone, so that one the
// database refuses does not fail the others (a lone delivery is tried
// again after a race with another replica, see enqueueAlone).
func (b *batcher) commit(batch []*enqueueReq) {
	reqs := make([]*enqueueReq, 0, len(batch))
	as := make([]arrival, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- enqueueResult{err: fmt.Errorf("store: enqueue alert %s: %w", r.a.d.AlertID, err)}
			continue
		}
		reqs = append(reqs, r)
		as = append(as, r.a)
	}
	if len(reqs) == 0 {
		return
	}
	out, err := b.enqueueAll(as)
	if err == nil {
		for i, r := range reqs {
			r.done <- enqueueResult{out: out[i]}
		}
		return
	}
	for _, r := range reqs {
		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		out, err := b.s.enqueueAlone(ctx, r.a, claimWithinWindow)
		cancel()
		r.done <- enqueueResult{out: out, err: err}
	}
}

func (b *batcher) enqueueAll(as []arrival) ([]triage.Enqueued, error) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	return b.s.enqueueAll(ctx, as, claimWithinWindow)
}
