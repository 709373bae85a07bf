package handler

import (
	"context"
	"sync"

	"github.com/panther-triage/panther-triage/triage"
)

// fakeStore is a hand-written Enqueuer, Pinger and Records whose behaviour
// each test sets through its function fields. A nil field fails the test
// that reaches it (see setup). It counts and keeps Enqueue calls.
type fakeStore struct {
	EnqueueFunc        func(ctx context.Context, d triage.Delivery) (triage.Enqueued, error)
	PingFunc           func(ctx context.Context) error
	InvestigationFunc  func(ctx context.Context, alertID string) (triage.Record, error)
	InvestigationsFunc func(ctx context.Context, limit int) ([]triage.Record, error)
	// ListFunc, when set, answers Summaries with the whole query;
	// otherwise the records InvestigationsFunc answers for the limit are
	// filtered and summarised, as the store does in SQL.
	ListFunc func(ctx context.Context, q triage.ListQuery) (triage.SummaryPage, error)

	mu        sync.Mutex
	enqueued  []triage.Delivery
	lastQuery triage.ListQuery
}

var (
	_ Enqueuer = (*fakeStore)(nil)
	_ Pinger   = (*fakeStore)(nil)
	_ Records  = (*fakeStore)(nil)
)

func (f *fakeStore) Enqueue(ctx context.Context, d triage.Delivery) (triage.Enqueued, error) {
	f.mu.Lock()
	f.enqueued = append(f.enqueued, d)
	f.mu.Unlock()
	return f.EnqueueFunc(ctx, d)
}

func (f *fakeStore) Ping(ctx context.Context) error { return f.PingFunc(ctx) }

func (f *fakeStore) Investigation(ctx context.Context, alertID string) (triage.Record, error) {
	return f.InvestigationFunc(ctx, alertID)
}

func (f *fakeStore) Summaries(ctx context.Context, q triage.ListQuery) (triage.SummaryPage, error) {
	if f.ListFunc != nil {
		return f.ListFunc(ctx, q)
	}
	f.mu.Lock()
	f.lastQuery = q
	f.mu.Unlock()
	recs, err := f.InvestigationsFunc(ctx, q.Limit)
	page := triage.SummaryPage{}
	for _, r := range recs {
		if (q.State == "" || r.State == q.State) && (q.Verdict == "" || r.Verdict == q.Verdict) {
			page.Summaries = append(page.Summaries, summarize(r))
		}
	}
	return page, err
}

// query is the last query Summaries answered.
func (f *fakeStore) query() triage.ListQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastQuery
}

func (f *fakeStore) VerdictCounts(ctx context.Context, state string) (map[string]int, error) {
	recs, err := f.InvestigationsFunc(ctx, 1<<30)
	counts := map[string]int{}
	for _, r := range recs {
		if state == "" || r.State == state {
			counts[r.Verdict]++
		}
	}
	return counts, err
}

// summarize is the summary of a record, as the store makes it.
func summarize(r triage.Record) triage.Summary {
	title, cut := r.Title, false
	if rs := []rune(title); len(rs) > triage.SummaryTitleMax {
		title, cut = string(rs[:triage.SummaryTitleMax]), true
	}
	return triage.Summary{
		AlertID: r.AlertID, JobID: r.JobID, DetectionID: r.DetectionID, Title: title, TitleCut: cut,
		Severity: r.Severity, State: r.State, Verdict: r.Verdict, Confidence: r.Confidence, Attempts: r.Attempts, CommentID: r.CommentID,
		Reason: r.StateReason(), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// calls returns the deliveries Enqueue was called with.
func (f *fakeStore) calls() []triage.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]triage.Delivery(nil), f.enqueued...)
}

// fakeFilter is a Filter whose answer the test sets.
type fakeFilter struct {
	FilterFunc func(d triage.Delivery) string
}

var _ Filter = (*fakeFilter)(nil)

func (f *fakeFilter) Filter(d triage.Delivery) string { return f.FilterFunc(d) }
