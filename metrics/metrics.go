package metrics

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/panther"
)

const namespace = "panther_triage"

// Buckets of the duration histograms, in seconds.
var (
	investigationBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	stepBuckets          = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
	apiBuckets           = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
)

// Metrics is every metric of the service, registered on its own registry.
// Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log zerolog.Logger

	deliveries           *prometheus.CounterVec
	investigations       *prometheus.CounterVec
	investigationSeconds *prometheus.HistogramVec
	stepSeconds          *prometheus.HistogramVec
	comments             *prometheus.CounterVec
	budgetSkips          prometheus.Counter
	stormRepeats         prometheus.Counter
	apiCalls             *prometheus.CounterVec
	apiErrors            *prometheus.CounterVec
	alertUnreadable      *prometheus.CounterVec
	apiSeconds           *prometheus.HistogramVec
	lakeQueries          *prometheus.CounterVec
	lakeBytes            prometheus.Counter
	enrichCalls          *prometheus.CounterVec
	enrichCacheHits      *prometheus.CounterVec
}

// New returns the service's metrics on a new registry, with the Go runtime
// and process collectors. Errors while serving a scrape go to log.
func New(log zerolog.Logger) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_total",
			Help: "Webhook deliveries by outcome: queued, duplicate, filtered, test, or rejected with the error code answered (code).",
		}, []string{"outcome", "code"}),
		investigations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "investigations_total",
			Help: "Investigation attempts by the state they ended in (done, skipped, failed, retry) and, when done, the verdict.",
		}, []string{"state", "verdict"}),
		investigationSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "investigation_duration_seconds",
			Help:    "How long one investigation attempt took, by the state it ended in.",
			Buckets: investigationBuckets,
		}, []string{"state"}),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "step_duration_seconds",
			Help:    "How long each investigation step took, by step and outcome (ok, failed, timeout).",
			Buckets: stepBuckets,
		}, []string{"step", "outcome"}),
		comments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "comments_posted_total",
			Help: "Comments posted on Panther alerts, by kind: investigation, repeat (a storm alert linked to an earlier one), notice (not investigated: over budget).",
		}, []string{"kind"}),
		budgetSkips: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "budget_skips_total",
			Help: "Alerts not investigated because an hourly budget ran out (they get a short notice instead).",
		}),
		stormRepeats: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "storm_repeats_total",
			Help: "Alerts not investigated again because they repeat one of the same detection and title investigated within the window.",
		}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "panther_api_calls_total",
			Help: "Panther API requests by operation and HTTP status (none: no response).",
		}, []string{"operation", "status"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "panther_api_errors_total",
			Help: "Failed Panther API requests by operation, HTTP status (none: no response) and class: rate_limited, transient, not_found, unauthorized, cancelled, permanent.",
		}, []string{"operation", "status", "class"}),
		alertUnreadable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "alert_unreadable_total",
			Help: "Investigations failed because the alert could not be read for a reason every alert shares, by class: wrong_url, token_rejected, forbidden, permanent. Run panther-triage check.",
		}, []string{"class"}),
		apiSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "panther_api_duration_seconds",
			Help:    "Panther API request latency by operation.",
			Buckets: apiBuckets,
		}, []string{"operation"}),
		lakeQueries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "datalake_queries_total",
			Help: "Data lake queries by outcome: succeeded, failed, timeout, cancelled, cached, over_budget.",
		}, []string{"outcome"}),
		lakeBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "datalake_scanned_bytes_total",
			Help: "Bytes the data lake reported scanning for this service's queries.",
		}),
		enrichCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "enrichment_calls_total",
			Help: "Calls to enrichment providers by provider and outcome: ok, not_found, rate_limited, error.",
		}, []string{"provider", "outcome"}),
		enrichCacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "enrichment_cache_hits_total",
			Help: "Enrichment lookups answered from the cache, by provider.",
		}, []string{"provider"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.deliveries, m.investigations, m.investigationSeconds, m.stepSeconds,
		m.comments, m.budgetSkips, m.stormRepeats,
		m.apiCalls, m.apiErrors, m.apiSeconds, m.alertUnreadable,
		m.lakeQueries, m.lakeBytes, m.enrichCalls, m.enrichCacheHits,
	)
	// The common series exist from the start, at zero, so that rates and
	// alerts on them work before the first event.
	for _, o := range []string{"queued", "duplicate", "filtered", "test"} {
		m.deliveries.WithLabelValues(o, "")
	}
	m.deliveries.WithLabelValues("rejected", "unauthorized")
	for _, v := range []string{"malicious", "suspicious", "benign", "inconclusive"} {
		m.investigations.WithLabelValues("done", v)
	}
	for _, s := range []string{"skipped", "failed", "retry"} {
		m.investigations.WithLabelValues(s, "")
	}
	for _, k := range []string{"investigation", "repeat", "notice"} {
		m.comments.WithLabelValues(k)
	}
	return m
}

// Registry is the registry the metrics are on, for collectors added later.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' exposition format. A collector
// that fails (the queue's database, say) is logged and left out; the rest
// is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:      m.reg,
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      logAdapter{m.log},
	})
}

// Delivery counts one webhook delivery: outcome queued, duplicate,
// filtered, test or rejected; code is a rejected delivery's error code
// (invalid_json, unauthorized, …), else empty. It implements
// handler.DeliveryObserver.
func (m *Metrics) Delivery(outcome, code string) {
	m.deliveries.WithLabelValues(outcome, code).Inc()
}

// JobFinished counts one ended investigation job attempt. kind is
// investigation, repeat (a storm alert linked to an earlier one) or notice
// (a budget ran out); state is done, skipped, failed or retry; verdict is
// set for done investigations; posted says a comment was posted. It
// implements investigate.Observer.
func (m *Metrics) JobFinished(kind, state, verdict string, posted bool, d time.Duration) {
	if posted {
		m.comments.WithLabelValues(kind).Inc()
	}
	switch kind {
	case "repeat":
		if state == "done" {
			m.stormRepeats.Inc()
		}
	case "notice":
		if state == "done" || state == "skipped" {
			m.budgetSkips.Inc()
		}
	default:
		m.investigations.WithLabelValues(state, verdict).Inc()
		m.investigationSeconds.WithLabelValues(state).Observe(d.Seconds())
	}
}

// StepFinished records how long one investigation step took; outcome is
// ok, failed or timeout. It implements investigate.Observer.
func (m *Metrics) StepFinished(step, outcome string, d time.Duration) {
	m.stepSeconds.WithLabelValues(step, outcome).Observe(d.Seconds())
}

// PantherCall counts one Panther API request. Its signature is the one
// panther.WithObserver takes: panther.WithObserver(m.PantherCall).
func (m *Metrics) PantherCall(op string, status int, err error, d time.Duration) {
	code := "none"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	m.apiCalls.WithLabelValues(op, code).Inc()
	m.apiSeconds.WithLabelValues(op).Observe(d.Seconds())
	if err != nil {
		m.apiErrors.WithLabelValues(op, code, errorClass(err)).Inc()
	}
}

// errorClass sorts a Panther API error into a few bounded classes, by
// panther.Classify; a rejected token and a missing permission both count as
// unauthorized, and a wrong URL as permanent, as they always have.
func errorClass(err error) string {
	switch c := panther.Classify(err); c {
	case panther.ClassTokenRejected, panther.ClassForbidden:
		return "unauthorized"
	case panther.ClassWrongURL:
		return "permanent"
	default:
		return string(c)
	}
}

// AlertUnreadable counts an investigation that failed because the alert
// could not be read for a reason every alert shares (investigate's
// UnreadableObserver).
func (m *Metrics) AlertUnreadable(class string) {
	m.alertUnreadable.WithLabelValues(class).Inc()
}

// DataLakeQuery counts one data lake query and the bytes it scanned;
// outcome is succeeded, failed, timeout, cancelled, cached (answered from
// the cache, no query run) or over_budget (not run).
func (m *Metrics) DataLakeQuery(outcome string, bytesScanned int64) {
	m.lakeQueries.WithLabelValues(outcome).Inc()
	if bytesScanned > 0 {
		m.lakeBytes.Add(float64(bytesScanned))
	}
}

// EnrichmentCall counts one call to an enrichment provider (abuseipdb,
// greynoise, virustotal, …); outcome is ok, not_found, rate_limited or
// error.
func (m *Metrics) EnrichmentCall(provider, outcome string) {
	m.enrichCalls.WithLabelValues(provider, outcome).Inc()
}

// EnrichmentCacheHit counts one enrichment lookup answered from the cache.
func (m *Metrics) EnrichmentCacheHit(provider string) {
	m.enrichCacheHits.WithLabelValues(provider).Inc()
}

// logAdapter hands promhttp's error log to zerolog.
type logAdapter struct{ log zerolog.Logger }

func (l logAdapter) Println(v ...any) {
	l.log.Warn().Msg(fmt.Sprint(v...))
}
