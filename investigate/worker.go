package investigate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/logcap"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// UnreadableObserver is told when an alert could not be read at all for a
// reason every alert shares (a wrong URL, a token refused or without Read
// Alerts), for a metric an operator alerts on. An Observer may implement it.
type UnreadableObserver interface {
	AlertUnreadable(class string)
}

// DefaultAuthRetryWindow is how long a job retries while Panther rejects
// the token (HTTP 401), since a new token takes a few minutes to work.
const DefaultAuthRetryWindow = 10 * time.Minute

// decision is what becomes of a job attempt that ended in error.
type decision struct {
	state, reason string
	// snooze, when not negative, hands the job back for that long without
	// using up an attempt; otherwise a retry uses one.
	snooze time.Duration
	// unreadable is the class of a failure to read the alert that every
	// alert would share, for the operator.
	unreadable string
}

// decide maps an attempt's error to the record's state and the queue's
// next move: a pure function. interrupted says the process is stopping;
// sinceFirst is how long the job has been tried.
func decide(err error, interrupted, lastAttempt bool, sinceFirst, authWindow time.Duration) decision {
	if authWindow <= 0 {
		authWindow = DefaultAuthRetryWindow
	}
	var readErr *ReadError
	reading := errors.As(err, &readErr)
	class := panther.Classify(err)
	wait, rateLimited := panther.RetryAfter(err)
	switch {
	case interrupted:
		return decision{state: triage.StateQueued, reason: "interrupted by shutdown; will resume", snooze: 0}
	case rateLimited:
		// Even on the last attempt: waiting out a 429 uses up no attempt,
		// so it is never a reason to give up.
		return decision{state: triage.StateQueued, reason: "rate limited by Panther; retrying", snooze: wait}
	case class == panther.ClassTokenRejected && sinceFirst < authWindow:
		// A new token is refused for a few minutes: wait, with a pause
		// that grows with the time already waited.
		return decision{state: triage.StateQueued, reason: "Panther rejected the API token (HTTP 401); retrying, a new token takes a few minutes",
			snooze: min(max(sinceFirst/4, 5*time.Second), time.Minute)}
	case class == panther.ClassTokenRejected:
		return decision{state: triage.StateFailed, unreadable: string(class), snooze: -1,
			reason: fmt.Sprintf("token rejected: run `panther-triage check` (Panther answered HTTP 401 for %s)", authWindow)}
	case reading && (class == panther.ClassWrongURL || class == panther.ClassForbidden || class == panther.ClassPermanent):
		return decision{state: triage.StateFailed, unreadable: string(class), snooze: -1,
			reason: err.Error() + "; every alert fails alike until the URL or the token is fixed: run `panther-triage check`"}
	case (class == panther.ClassTransient || errors.Is(err, context.DeadlineExceeded)) && !lastAttempt:
		return decision{state: triage.StateQueued, reason: "retrying: " + err.Error(), snooze: -1}
	}
	return decision{state: triage.StateFailed, reason: err.Error(), snooze: -1}
}

// How a storm follower waits for its leader's verdict.
const (
	leaderPoll    = 3 * time.Second
	maxLeaderWait = time.Hour
)

// Recorder keeps investigation records.
type Recorder interface {
	Investigation(ctx context.Context, alertID string) (triage.Record, error)
	SaveRecord(ctx context.Context, rec triage.Record) error
}

// DeliveryReleaser ends the dedup window of an alert whose investigation
// failed for good, so that Panther's redelivery (or a resend by hand)
// starts a new job. The store implements it.
type DeliveryReleaser interface {
	ReleaseDelivery(ctx context.Context, alertID string, jobID int64) error
}

// Worker is the queue worker that runs one investigation per job and keeps
// its record up to date.
type Worker struct {
	river.WorkerDefaults[triage.Job]
	inv *Investigator
	rec Recorder
	log zerolog.Logger
	now func() time.Time
}

// NewWorker returns the investigation worker.
func NewWorker(inv *Investigator, rec Recorder, log zerolog.Logger) *Worker {
	return &Worker{inv: inv, rec: rec, log: log, now: inv.opts.Now}
}

// Work implements river.Worker. A transient failure returns the error so the
// queue retries with backoff (after a 429, not before its Retry-After); a
// permanent one cancels the job and records why.
func (w *Worker) Work(ctx context.Context, job *river.Job[triage.Job]) error {
	start := w.now()
	alertID := job.Args.AlertID
	log := w.log.With().Str("alert_id", logcap.String(alertID)).Int64("job_id", job.ID).Int("attempt", job.Attempt).Logger()

	var leader *triage.Record
	if job.Args.Mode == triage.ModeRepeat {
		l, err := w.rec.Investigation(ctx, job.Args.RepeatOf)
		switch {
		case err == nil && (l.State == triage.StateQueued || l.State == triage.StateRunning) && start.Sub(job.CreatedAt) < maxLeaderWait:
			// The storm's leader is still being investigated: link to its
			// verdict once there is one.
			return river.JobSnooze(leaderPoll)
		case err == nil && l.State == triage.StateDone:
			leader = &l
		}
		// Otherwise the leader failed or is gone: investigate this one.
	}

	rec, err := w.rec.Investigation(ctx, alertID)
	if err != nil && !errors.Is(err, triage.ErrNoRecord) {
		return err
	}
	if rec.JobID != 0 && rec.JobID != job.ID {
		// A later delivery of the same alert owns the record now.
		rec = triage.Record{}
	}
	rec.AlertID, rec.JobID, rec.DetectionID = alertID, job.ID, job.Args.DetectionID
	rec.State, rec.Attempts, rec.Reason, rec.Error = triage.StateRunning, job.Attempt, "", ""
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = start
	}
	rec.UpdatedAt = start
	if err := w.rec.SaveRecord(ctx, rec); err != nil {
		return err
	}

	lastAttempt := job.Attempt >= job.MaxAttempts
	var out Result
	kind := kindInvestigation
	switch {
	case leader != nil:
		kind = kindRepeat
		out, err = w.inv.Repeat(ctx, alertID, job.ID, *leader)
	case job.Args.Mode == triage.ModeOverBudget:
		kind = kindNotice
		out, err = w.inv.Notice(ctx, alertID, job.ID, job.Args.Reason)
	default:
		out, err = w.inv.Investigate(ctx, Request{AlertID: alertID, JobID: job.ID, LastAttempt: lastAttempt,
			DetectionID: job.Args.DetectionID, ReceivedAt: job.Args.ReceivedAt})
	}
	rec.UpdatedAt = w.now()
	if err != nil {
		d := decide(err, errors.Is(ctx.Err(), context.Canceled), lastAttempt, rec.UpdatedAt.Sub(rec.CreatedAt), w.inv.opts.AuthRetryWindow)
		rec.State = d.state
		if d.state == triage.StateFailed {
			rec.Error = d.reason
		} else {
			rec.Reason = d.reason
		}
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if serr := w.rec.SaveRecord(saveCtx, rec); serr != nil {
			log.Error().Str("error", logcap.Error(serr)).Msg("save investigation record")
		}
		w.observeFailure(kind, rec, rec.UpdatedAt.Sub(start))
		if d.unreadable != "" {
			if o, ok := w.inv.opts.Observer.(UnreadableObserver); ok {
				o.AlertUnreadable(d.unreadable)
			}
		}
		if rec.State == triage.StateFailed {
			if rl, ok := w.rec.(DeliveryReleaser); ok {
				if rerr := rl.ReleaseDelivery(saveCtx, alertID, job.ID); rerr != nil {
					log.Error().Str("error", logcap.Error(rerr)).Msg("release the delivery for a redelivery")
				}
			}
			ev := log.Error().Str("error", logcap.Error(err))
			if d.unreadable != "" {
				ev = ev.Str("cause", d.unreadable)
			}
			ev.Msg("investigation failed")
			return river.JobCancel(err)
		}
		log.Warn().Str("error", logcap.Error(err)).Msg("investigation will be retried")
		if d.snooze >= 0 {
			// Handed back to the queue without using up an attempt.
			return river.JobSnooze(d.snooze)
		}
		return err
	}

	out.Apply(&rec)
	rec.Timings["total"] = rec.UpdatedAt.Sub(start).Round(time.Millisecond).String()
	if err := w.rec.SaveRecord(ctx, rec); err != nil {
		return err
	}
	w.observeOutcome(kind, out, rec.UpdatedAt.Sub(start))
	log.Info().Str("outcome", rec.State).Str("verdict", rec.Verdict).Bool("posted", out.Posted).
		Str("comment_id", rec.CommentID).Dur("duration", rec.UpdatedAt.Sub(start)).Str("reason", logcap.String(out.Reason)).
		Msg("investigation finished")
	return nil
}
