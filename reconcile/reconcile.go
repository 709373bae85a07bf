// Package reconcile finds alerts whose webhook never reached this service
// (it was down for longer than Panther's retries, or a delivery was lost)
// by listing recent alerts through Panther's API, and enqueues those that
// pass the filters and were never delivered, through the same store path as
// the webhook.
package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/logcap"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// Lister lists the alerts Panther created in a time range, one listing
// type (panther.Listings) at a time.
type Lister interface {
	ListAlerts(ctx context.Context, listing string, after, before time.Time, max int) ([]panther.Alert, error)
}

// Enqueuer stores a delivery and its job unless the alert was ever delivered.
type Enqueuer interface {
	EnqueueMissed(ctx context.Context, d triage.Delivery) (triage.Enqueued, error)
}

// Filter decides whether an alert is investigated; "" means yes.
type Filter interface {
	Filter(d triage.Delivery) string
}

// Config says how far back the reconciler looks.
type Config struct {
	// Every is how often it runs; it is off when zero.
	Every time.Duration
	// Lookback is how far back alerts are listed. Default 2 hours, longer
	// than Panther's retries of a failed delivery.
	Lookback time.Duration
	// Grace leaves out alerts younger than this, whose webhook is likely on
	// its way. Default 5 minutes.
	Grace time.Duration
	// Max bounds the alerts listed per run and listing type. Default 1000.
	Max int
	// Listings are the listing types read, so that every alert type the
	// filters accept is covered. Default panther.Listings: rules, scheduled
	// rules and policies, detection errors, system errors.
	Listings []string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Job is the periodic reconcile job.
type Job struct{}

// Kind is the job's stable name in the queue.
func (Job) Kind() string { return "reconcile_alerts" }

// Reconciler lists recent alerts and enqueues the missed ones.
type Reconciler struct {
	cfg    Config
	list   Lister
	q      Enqueuer
	filter Filter
	log    zerolog.Logger
}

// New returns the reconcile worker.
func New(cfg Config, list Lister, q Enqueuer, f Filter, log zerolog.Logger) *Reconciler {
	if cfg.Lookback <= 0 {
		cfg.Lookback = 2 * time.Hour
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Minute
	}
	if cfg.Max <= 0 {
		cfg.Max = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Listings) == 0 {
		cfg.Listings = panther.Listings
	}
	return &Reconciler{cfg: cfg, list: list, q: q, filter: f, log: log}
}

// Result counts what one run did.
type Result struct {
	Listed, Filtered, Enqueued int
}

// Run reconciles once.
func (w *Reconciler) Run(ctx context.Context) (Result, error) {
	now := w.cfg.Now()
	var alerts []panther.Alert
	for _, l := range w.cfg.Listings {
		got, err := w.list.ListAlerts(ctx, l, now.Add(-w.cfg.Lookback), now.Add(-w.cfg.Grace), w.cfg.Max)
		if err != nil {
			return Result{}, fmt.Errorf("reconcile: %w", err)
		}
		alerts = append(alerts, got...)
	}
	res := Result{Listed: len(alerts)}
	for _, a := range alerts {
		d := delivery(a, now)
		if reason := w.filter.Filter(d); reason != "" {
			res.Filtered++
			continue
		}
		got, err := w.q.EnqueueMissed(ctx, d)
		if err != nil {
			return res, fmt.Errorf("reconcile: %w", err)
		}
		if !got.Duplicate {
			res.Enqueued++
			w.log.Info().Str("alert_id", logcap.String(a.ID)).Int64("job_id", got.JobID).Msg("reconcile: enqueued an alert whose webhook never arrived")
		}
	}
	w.log.Info().Int("listed", res.Listed).Int("filtered", res.Filtered).Int("enqueued", res.Enqueued).Msg("reconcile finished")
	return res, nil
}

// delivery is the webhook delivery Panther would have sent for a.
func delivery(a panther.Alert, now time.Time) triage.Delivery {
	d := triage.Delivery{
		AlertID:    a.ID,
		Severity:   a.Severity,
		Type:       a.Type,
		Title:      a.Title,
		CreatedAt:  a.CreatedAt.UTC().Format(time.RFC3339Nano),
		ReceivedAt: now,
	}
	if a.Detection != nil {
		d.DetectionID, d.Name = a.Detection.ID, a.Detection.Name
	}
	d.Payload, _ = json.Marshal(map[string]any{
		"source": "reconciler", "alertId": d.AlertID, "id": d.DetectionID, "severity": d.Severity,
		"type": d.Type, "title": d.Title, "createdAt": d.CreatedAt,
	})
	return d
}

// Every is how often the reconciler runs; 0 when it is off.
func (w *Reconciler) Every() time.Duration { return w.cfg.Every }
