package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/panther-triage/panther-triage/triage"
)

// Queue reports the job queue's state; *store.Store implements it.
type Queue interface {
	QueueStats(ctx context.Context) (triage.QueueStats, error)
}

// queueTimeout bounds the queue query of one scrape.
const queueTimeout = 2 * time.Second

// WatchQueue adds the queue's depth by state and the age of its oldest
// available job, read from q on every scrape.
func (m *Metrics) WatchQueue(q Queue) {
	m.reg.MustRegister(&queueCollector{
		q: q,
		jobs: prometheus.NewDesc(namespace+"_queue_jobs",
			"Jobs in the queue by state (available, scheduled, running, retryable, pending, and the finished ones kept for a day: completed, cancelled, discarded).",
			[]string{"state"}, nil),
		oldest: prometheus.NewDesc(namespace+"_queue_oldest_available_job_age_seconds",
			"How long the oldest job ready to run has waited for a worker; 0 when none waits.",
			nil, nil),
	})
}

// queueCollector runs one cheap query per scrape.
type queueCollector struct {
	q            Queue
	jobs, oldest *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.oldest
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueTimeout)
	defer cancel()
	st, err := c.q.QueueStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.jobs, err)
		return
	}
	for state, n := range st.Jobs {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n), state)
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, st.OldestAvailable.Seconds())
}
