package handler

import (
	"context"
	"sync"

	"github.com/panther-triage/panther-triage/investigate"
)

// fakeStore is a hand-written Enqueuer, Pinger and Records whose behaviour
// each test sets through its function fields. A nil field fails the test
// that reaches it (see setup). It counts and keeps Enqueue calls.
type fakeStore struct {
	EnqueueFunc        func(ctx context.Context, d investigate.Delivery) (investigate.Enqueued, error)
	PingFunc           func(ctx context.Context) error
	InvestigationFunc  func(ctx context.Context, alertID string) (investigate.Record, error)
	InvestigationsFunc func(ctx context.Context, limit int) ([]investigate.Record, error)
	// ListFunc, when set, answers Investigations with the whole query;
	// otherwise InvestigationsFunc answers with the limit alone.
	ListFunc func(ctx context.Context, q investigate.ListQuery) (investigate.RecordPage, error)

	mu       sync.Mutex
	enqueued []investigate.Delivery
}

var (
	_ Enqueuer = (*fakeStore)(nil)
	_ Pinger   = (*fakeStore)(nil)
	_ Records  = (*fakeStore)(nil)
)

func (f *fakeStore) Enqueue(ctx context.Context, d investigate.Delivery) (investigate.Enqueued, error) {
	f.mu.Lock()
	f.enqueued = append(f.enqueued, d)
	f.mu.Unlock()
	return f.EnqueueFunc(ctx, d)
}

func (f *fakeStore) Ping(ctx context.Context) error { return f.PingFunc(ctx) }

func (f *fakeStore) Investigation(ctx context.Context, alertID string) (investigate.Record, error) {
	return f.InvestigationFunc(ctx, alertID)
}

func (f *fakeStore) Investigations(ctx context.Context, q investigate.ListQuery) (investigate.RecordPage, error) {
	if f.ListFunc != nil {
		return f.ListFunc(ctx, q)
	}
	recs, err := f.InvestigationsFunc(ctx, q.Limit)
	return investigate.RecordPage{Records: recs}, err
}

// calls returns the deliveries Enqueue was called with.
func (f *fakeStore) calls() []investigate.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]investigate.Delivery(nil), f.enqueued...)
}

// fakeFilter is a Filter whose answer the test sets.
type fakeFilter struct {
	FilterFunc func(d investigate.Delivery) string
}

var _ Filter = (*fakeFilter)(nil)

func (f *fakeFilter) Filter(d investigate.Delivery) string { return f.FilterFunc(d) }
