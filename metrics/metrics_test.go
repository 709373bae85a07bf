package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/handler"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/metrics"
	"github.com/panther-triage/panther-triage/metrics/metricstest"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/triage"
)

// The metrics implement what each package asks for.
var (
	_ handler.DeliveryObserver = (*metrics.Metrics)(nil)
	_ investigate.Observer     = (*metrics.Metrics)(nil)
	_ metrics.Queue            = (*store.Store)(nil)
	_                          = panther.WithObserver((*metrics.Metrics)(nil).PantherCall)
)

// scrape serves m's handler once and parses the answer.
func scrape(t *testing.T, m *metrics.Metrics) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, rec.Body.String())
	}
	return rec.Code, fams
}

// value sums the series of a family whose labels include want (see
// metricstest.Value). It fails when the family is missing.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	if _, ok := fams[name]; !ok {
		t.Fatalf("no metric %s", name)
	}
	var labels []string
	for k, v := range want {
		labels = append(labels, k+"="+v)
	}
	return metricstest.Value(fams, name, labels...)
}

func TestCounts(t *testing.T) {
	m := metrics.New(zerolog.Nop())
	m.Delivery("queued", "")
	m.Delivery("queued", "")
	m.Delivery("rejected", "unauthorized")
	m.JobFinished("investigation", "done", "benign", true, 2*time.Second)
	m.JobFinished("investigation", "retry", "", false, time.Second)
	m.JobFinished("repeat", "done", "benign", true, time.Second)
	m.JobFinished("notice", "skipped", "", true, time.Second)
	m.JobFinished("notice", "retry", "", false, time.Second)
	m.StepFinished("events", "ok", 30*time.Millisecond)
	m.StepFinished("events", "failed", 30*time.Millisecond)
	m.PantherCall("alert", 200, nil, 10*time.Millisecond)
	m.PantherCall("alert", 429, &panther.RateLimitError{Op: "alert", Wait: time.Second}, 10*time.Millisecond)
	m.PantherCall("comments", 0, context.DeadlineExceeded, time.Second)
	m.DataLakeQuery("succeeded", 2048)
	m.DataLakeQuery("cached", 0)
	m.EnrichmentCall("greynoise", "ok")
	m.EnrichmentCacheHit("greynoise")

	code, fams := scrape(t, m)
	if code != http.StatusOK {
		t.Fatalf("scrape: %d", code)
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"panther_triage_deliveries_total", map[string]string{"outcome": "queued"}, 2},
		{"panther_triage_deliveries_total", map[string]string{"outcome": "duplicate"}, 0},
		{"panther_triage_deliveries_total", map[string]string{"outcome": "rejected", "code": "unauthorized"}, 1},
		{"panther_triage_investigations_total", map[string]string{"state": "done", "verdict": "benign"}, 1},
		{"panther_triage_investigations_total", map[string]string{"state": "retry"}, 1},
		{"panther_triage_investigations_total", nil, 2},
		{"panther_triage_investigation_duration_seconds", map[string]string{"state": "done"}, 1},
		{"panther_triage_comments_posted_total", nil, 3},
		{"panther_triage_comments_posted_total", map[string]string{"kind": "notice"}, 1},
		{"panther_triage_storm_repeats_total", nil, 1},
		{"panther_triage_budget_skips_total", nil, 1},
		{"panther_triage_step_duration_seconds", map[string]string{"step": "events"}, 2},
		{"panther_triage_step_duration_seconds", map[string]string{"step": "events", "outcome": "failed"}, 1},
		{"panther_triage_panther_api_calls_total", map[string]string{"operation": "alert"}, 2},
		{"panther_triage_panther_api_calls_total", map[string]string{"operation": "comments", "status": "none"}, 1},
		{"panther_triage_panther_api_errors_total", map[string]string{"operation": "alert", "status": "429", "class": "rate_limited"}, 1},
		{"panther_triage_panther_api_errors_total", map[string]string{"operation": "comments", "class": "transient"}, 1},
		{"panther_triage_panther_api_duration_seconds", nil, 3},
		{"panther_triage_datalake_queries_total", nil, 2},
		{"panther_triage_datalake_scanned_bytes_total", nil, 2048},
		{"panther_triage_enrichment_calls_total", map[string]string{"provider": "greynoise"}, 1},
		{"panther_triage_enrichment_cache_hits_total", map[string]string{"provider": "greynoise"}, 1},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

// fakeQueue is a Queue whose answer the test sets.
type fakeQueue struct {
	stats triage.QueueStats
	err   error
}

func (f *fakeQueue) QueueStats(context.Context) (triage.QueueStats, error) { return f.stats, f.err }

func TestQueue(t *testing.T) {
	m := metrics.New(zerolog.Nop())
	q := &fakeQueue{stats: triage.QueueStats{
		Jobs:            map[string]int64{"available": 3, "running": 1, "completed": 7},
		OldestAvailable: 42 * time.Second,
	}}
	m.WatchQueue(q)
	m.Delivery("queued", "")

	_, fams := scrape(t, m)
	for state, want := range map[string]float64{"available": 3, "running": 1, "completed": 7} {
		if got := value(t, fams, "panther_triage_queue_jobs", map[string]string{"state": state}); got != want {
			t.Errorf("queue_jobs{state=%s} = %v; want %v", state, got, want)
		}
	}
	if got := value(t, fams, "panther_triage_queue_oldest_available_job_age_seconds", nil); got != 42 {
		t.Errorf("oldest available age = %v; want 42", got)
	}

	// A database that does not answer costs the queue metrics, not the
	// scrape.
	q.err = errors.New("database is locked")
	code, fams := scrape(t, m)
	if code != http.StatusOK {
		t.Fatalf("scrape with a failing queue: %d; want 200", code)
	}
	if _, ok := fams["panther_triage_queue_jobs"]; ok {
		t.Error("queue metrics served although the queue failed")
	}
	if got := value(t, fams, "panther_triage_deliveries_total", map[string]string{"outcome": "queued"}); got != 1 {
		t.Errorf("deliveries after a failed queue read = %v; want 1", got)
	}
}
