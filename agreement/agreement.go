// Package agreement measures whether analysts agree with the service: it
// reads, some time after each investigation, how the alert ended in Panther
// (RESOLVED, read with the analysts' comment, or CLOSED, which the console
// calls Invalid: a false positive) and records whether that matches the
// verdict, per detection, so users can see where to trust the service.
package agreement

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// Lister lists the alerts Panther created in a time range, with statuses,
// and the comments on an alert (the reason analysts resolved it).
type Lister interface {
	AlertsBetween(ctx context.Context, after, before time.Time, max int) ([]panther.Alert, error)
	Comments(ctx context.Context, alertID string) ([]panther.Comment, error)
}

// Store is where verdicts are read and outcomes recorded.
type Store interface {
	PendingVerdicts(ctx context.Context, since time.Time, max int) ([]triage.VerdictRow, error)
	SaveOutcome(ctx context.Context, r triage.VerdictRow, status string, agree bool) error
}

// DefaultEvery is how often the service reads analysts' verdicts unless
// configured otherwise.
const DefaultEvery = time.Hour

// Config says how often and how far back outcomes are read.
type Config struct {
	// Every is how often; off when zero. The service runs it every
	// DefaultEvery.
	Every time.Duration
	// Lookback is how old an investigation may be and still be checked.
	// Default 14 days.
	Lookback time.Duration
	// Max bounds the verdicts checked and alerts listed per run. Default 2000.
	Max int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Judge reads how analysts judged an ended alert from its status and
	// comments: a triage.Disposition* value, and the comment that gives
	// the reason. The service passes investigate.JudgeAlert. Required.
	Judge func(status string, comments []panther.Comment) (disposition string, reason *triage.ClosingComment)
}

// Job is the periodic agreement job.
type Job struct{}

// Kind is the job's stable name in the queue.
func (Job) Kind() string { return "verdict_agreement" }

// Checker records how alerts ended.
type Checker struct {
	cfg  Config
	list Lister
	st   Store
	log  zerolog.Logger
}

// New returns the agreement worker.
func New(cfg Config, list Lister, st Store, log zerolog.Logger) *Checker {
	if cfg.Lookback <= 0 {
		cfg.Lookback = 14 * 24 * time.Hour
	}
	if cfg.Max <= 0 {
		cfg.Max = 2000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg, list: list, st: st, log: log}
}

// Agrees says whether how analysts ended an alert agrees with a verdict,
// and whether they ended it at all. CLOSED (Invalid) agrees with benign.
// RESOLVED only means handled: it agrees with malicious or suspicious only
// when the analysts' comment says true positive, and with benign when it
// says the activity was expected. disposition is how analysts judged it
// (Config.Judge).
func Agrees(verdict, status, disposition string) (agree, final bool) {
	switch status {
	case "RESOLVED", "CLOSED":
		switch disposition {
		case triage.DispositionTruePositive:
			return verdict == triage.VerdictMalicious || verdict == triage.VerdictSuspicious, true
		case triage.DispositionFalsePositive:
			return verdict == triage.VerdictBenign, true
		}
		return false, true
	}
	return false, false
}

// Run checks the pending verdicts once and returns how many outcomes it
// recorded.
func (w *Checker) Run(ctx context.Context) (int, error) {
	now := w.cfg.Now()
	pending, err := w.st.PendingVerdicts(ctx, now.Add(-w.cfg.Lookback), w.cfg.Max)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	// The alerts were created a little before their investigations.
	alerts, err := w.list.AlertsBetween(ctx, pending[0].CreatedAt.Add(-24*time.Hour), now, w.cfg.Max)
	if err != nil {
		return 0, fmt.Errorf("agreement: %w", err)
	}
	status := make(map[string]string, len(alerts))
	for _, a := range alerts {
		status[a.ID] = a.Status
	}
	n := 0
	for _, r := range pending {
		st := status[r.AlertID]
		var comments []panther.Comment
		if st == "RESOLVED" {
			if comments, err = w.list.Comments(ctx, r.AlertID); err != nil {
				return n, fmt.Errorf("agreement: %w", err)
			}
		}
		disposition, _ := w.cfg.Judge(st, comments)
		agree, final := Agrees(r.Verdict, st, disposition)
		if !final {
			continue
		}
		if err := w.st.SaveOutcome(ctx, r, status[r.AlertID], agree); err != nil {
			return n, err
		}
		n++
	}
	w.log.Info().Int("checked", len(pending)).Int("recorded", n).Msg("verdict agreement updated")
	return n, nil
}

// Every is how often the checker runs; 0 when it is off.
func (w *Checker) Every() time.Duration { return w.cfg.Every }
