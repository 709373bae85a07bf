package investigate

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/logcap"
	"github.com/panther-triage/panther-triage/panther"
)

// How a storm follower waits for its leader's verdict.
const (
	leaderPoll    = 3 * time.Second
	maxLeaderWait = time.Hour
)

// Recorder keeps investigation records.
type Recorder interface {
	Investigation(ctx context.Context, alertID string) (Record, error)
	SaveRecord(ctx context.Context, rec Record) error
}

// Worker is the queue worker that runs one investigation per job and keeps
// its record up to date.
type Worker struct {
	river.WorkerDefaults[Job]
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
func (w *Worker) Work(ctx context.Context, job *river.Job[Job]) error {
	start := w.now()
	alertID := job.Args.AlertID
	log := w.log.With().Str("alert_id", logcap.String(alertID)).Int64("job_id", job.ID).Int("attempt", job.Attempt).Logger()

	var leader *Record
	if job.Args.Mode == ModeRepeat {
		l, err := w.rec.Investigation(ctx, job.Args.RepeatOf)
		switch {
		case err == nil && (l.State == StateQueued || l.State == StateRunning) && start.Sub(job.CreatedAt) < maxLeaderWait:
			// The storm's leader is still being investigated: link to its
			// verdict once there is one.
			return river.JobSnooze(leaderPoll)
		case err == nil && l.State == StateDone:
			leader = &l
		}
		// Otherwise the leader failed or is gone: investigate this one.
	}

	rec, err := w.rec.Investigation(ctx, alertID)
	if err != nil && !errors.Is(err, ErrNoRecord) {
		return err
	}
	if rec.JobID != 0 && rec.JobID != job.ID {
		// A later delivery of the same alert owns the record now.
		rec = Record{}
	}
	rec.AlertID, rec.JobID, rec.DetectionID = alertID, job.ID, job.Args.DetectionID
	rec.State, rec.Attempts, rec.Error = StateRunning, job.Attempt, ""
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = start
	}
	rec.UpdatedAt = start
	if err := w.rec.SaveRecord(ctx, rec); err != nil {
		return err
	}

	lastAttempt := job.Attempt >= job.MaxAttempts
	var out Outcome
	kind := kindInvestigation
	switch {
	case leader != nil:
		kind = kindRepeat
		out, err = w.inv.Repeat(ctx, alertID, job.ID, *leader)
	case job.Args.Mode == ModeOverBudget:
		kind = kindNotice
		out, err = w.inv.Notice(ctx, alertID, job.ID, job.Args.Reason)
	default:
		out, err = w.inv.Run(ctx, alertID, job.ID, lastAttempt)
	}
	rec.UpdatedAt = w.now()
	if err != nil {
		var rl *panther.RateLimitError
		interrupted := errors.Is(ctx.Err(), context.Canceled)
		switch {
		case interrupted:
			rec.State, rec.Error = StateQueued, "interrupted by shutdown; will resume"
		case errors.As(err, &rl):
			// Even on the last attempt: waiting out a 429 uses up no
			// attempt, so it is never a reason to give up.
			rec.State, rec.Error = StateQueued, "rate limited by Panther; retrying"
		case panther.IsTransient(err) && !lastAttempt:
			rec.State, rec.Error = StateQueued, "retrying: "+err.Error()
		default:
			rec.State, rec.Error = StateFailed, err.Error()
		}
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if serr := w.rec.SaveRecord(saveCtx, rec); serr != nil {
			log.Error().Str("error", logcap.Error(serr)).Msg("save investigation record")
		}
		w.observeFailure(kind, rec, rec.UpdatedAt.Sub(start))
		if rec.State == StateFailed {
			log.Error().Str("error", logcap.Error(err)).Msg("investigation failed")
			return river.JobCancel(err)
		}
		log.Warn().Str("error", logcap.Error(err)).Msg("investigation will be retried")
		if interrupted {
			// Handed back to the queue at once, without using up an attempt.
			return river.JobSnooze(0)
		}
		if rl != nil {
			return river.JobSnooze(rl.RetryAfter)
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
