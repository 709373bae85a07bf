package investigate

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// Attempt is one try of a queued job, as the queue hands it over.
type Attempt struct {
	JobID int64
	// Number counts the tries from 1; Max is the most there will be.
	Number, Max int
	// QueuedAt is when the job was queued.
	QueuedAt time.Time
}

// last says whether no try follows this one.
func (a Attempt) last() bool { return a.Number >= a.Max }

// Next is what the queue does with a job after an attempt.
type Next struct {
	Action NextAction
	// After is how long a handed-back job waits.
	After time.Duration
	// Err is why the attempt did not finish the job.
	Err error
}

// NextAction is the queue's next move for a job.
type NextAction int

// The queue's next moves.
const (
	// Finished: the job is done.
	Finished NextAction = iota
	// RetryLater: try again after the queue's backoff, using up an attempt.
	RetryLater
	// HandBack: run again After, without using up an attempt.
	HandBack
	// GiveUp: never run again; the record says why.
	GiveUp
)

// Runner runs the attempts of the queue's three job kinds and keeps each
// alert's record up to date: running, then done, skipped, failed, or
// queued for a retry. It knows nothing of the queue that calls it; package
// jobs adapts it to river.
type Runner struct {
	inv *Investigator
	rec Recorder
	log zerolog.Logger
	now func() time.Time
}

// NewRunner returns the runner of investigation jobs.
func NewRunner(inv *Investigator, rec Recorder, log zerolog.Logger) *Runner {
	return &Runner{inv: inv, rec: rec, log: log, now: inv.opts.Now}
}

// Investigate runs an attempt of an InvestigateJob.
func (r *Runner) Investigate(ctx context.Context, job triage.InvestigateJob, a Attempt) Next {
	return r.attempt(ctx, job.QueuedAlert, a, kindInvestigation, func(ctx context.Context) (Result, error) {
		return r.inv.Investigate(ctx, Request{AlertID: job.AlertID, JobID: a.JobID, LastAttempt: a.last(),
			DetectionID: job.DetectionID, ReceivedAt: job.ReceivedAt})
	})
}

// Repeat runs an attempt of a RepeatJob. While the storm's leader is still
// being investigated, the job is handed back to wait for its verdict (up to
// maxLeaderWait); once the leader is done, the comment links to it. If the
// leader failed or is gone, this alert is investigated instead.
func (r *Runner) Repeat(ctx context.Context, job triage.RepeatJob, a Attempt) Next {
	l, err := r.rec.Investigation(ctx, job.RepeatOf)
	switch {
	case err == nil && (l.State == triage.StateQueued || l.State == triage.StateRunning) && r.now().Sub(a.QueuedAt) < maxLeaderWait:
		return Next{Action: HandBack, After: leaderPoll}
	case err == nil && l.State == triage.StateDone:
		return r.attempt(ctx, job.QueuedAlert, a, kindRepeat, func(ctx context.Context) (Result, error) {
			return r.inv.Repeat(ctx, job.AlertID, a.JobID, l)
		})
	}
	return r.Investigate(ctx, triage.InvestigateJob{QueuedAlert: job.QueuedAlert}, a)
}

// OverBudget runs an attempt of an OverBudgetJob: a comment that says
// which budget stopped the investigation.
func (r *Runner) OverBudget(ctx context.Context, job triage.OverBudgetJob, a Attempt) Next {
	return r.attempt(ctx, job.QueuedAlert, a, kindNotice, func(ctx context.Context) (Result, error) {
		return r.inv.Notice(ctx, job.AlertID, a.JobID, job.Reason)
	})
}

// attempt runs one attempt of a job of an alert and keeps its record:
// running before, then what run ended with, or what decide makes of its
// error.
func (r *Runner) attempt(ctx context.Context, q triage.QueuedAlert, a Attempt, kind string, run func(context.Context) (Result, error)) Next {
	start := r.now()
	log := r.log.With().Str("alert_id", logcap.String(q.AlertID)).Int64("job_id", a.JobID).Int("attempt", a.Number).Logger()

	rec, err := r.rec.Investigation(ctx, q.AlertID)
	if err != nil && !errors.Is(err, triage.ErrNoRecord) {
		return Next{Action: RetryLater, Err: err}
	}
	if rec.JobID != 0 && rec.JobID != a.JobID {
		// A later delivery of the same alert owns the record now.
		rec = triage.Record{}
	}
	rec.AlertID, rec.JobID, rec.DetectionID = q.AlertID, a.JobID, q.DetectionID
	rec.State, rec.Attempts, rec.Reason, rec.Error = triage.StateRunning, a.Number, "", ""
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = start
	}
	rec.UpdatedAt = start
	if err := r.rec.SaveRecord(ctx, rec); err != nil {
		return Next{Action: RetryLater, Err: err}
	}

	out, err := run(ctx)
	rec.UpdatedAt = r.now()
	if err != nil {
		return r.failed(ctx, log, rec, kind, a, start, err)
	}
	out.Apply(&rec)
	rec.Timings["total"] = rec.UpdatedAt.Sub(start).Round(time.Millisecond).String()
	if err := r.rec.SaveRecord(ctx, rec); err != nil {
		return Next{Action: RetryLater, Err: err}
	}
	r.observeResult(kind, out, rec.UpdatedAt.Sub(start))
	log.Info().Str("state", rec.State).Str("verdict", rec.Verdict).Bool("posted", out.Posted).
		Str("comment_id", rec.CommentID).Dur("duration", rec.UpdatedAt.Sub(start)).Str("reason", logcap.String(out.Reason)).
		Msg("investigation finished")
	return Next{Action: Finished}
}

// failed records an attempt that ended in error and says what the queue
// does next.
func (r *Runner) failed(ctx context.Context, log zerolog.Logger, rec triage.Record, kind string, a Attempt, start time.Time, err error) Next {
	d := decide(err, errors.Is(ctx.Err(), context.Canceled), a.last(), rec.UpdatedAt.Sub(rec.CreatedAt), r.inv.opts.AuthRetryWindow)
	rec.State = d.state
	if d.state == triage.StateFailed {
		rec.Error = d.reason
	} else {
		rec.Reason = d.reason
	}
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if serr := r.rec.SaveRecord(saveCtx, rec); serr != nil {
		log.Error().Str("error", logcap.Error(serr)).Msg("save investigation record")
	}
	r.observeFailure(kind, rec, rec.UpdatedAt.Sub(start))
	if d.unreadable != "" {
		if o, ok := r.inv.opts.Observer.(UnreadableObserver); ok {
			o.AlertUnreadable(d.unreadable)
		}
	}
	if rec.State == triage.StateFailed {
		if rl, ok := r.rec.(DeliveryReleaser); ok {
			if rerr := rl.ReleaseDelivery(saveCtx, rec.AlertID, a.JobID); rerr != nil {
				log.Error().Str("error", logcap.Error(rerr)).Msg("release the delivery for a redelivery")
			}
		}
		ev := log.Error().Str("error", logcap.Error(err))
		if d.unreadable != "" {
			ev = ev.Str("cause", d.unreadable)
		}
		ev.Msg("investigation failed")
		return Next{Action: GiveUp, Err: err}
	}
	log.Warn().Str("error", logcap.Error(err)).Msg("investigation will be retried")
	if d.snooze >= 0 {
		return Next{Action: HandBack, After: d.snooze, Err: err}
	}
	return Next{Action: RetryLater, Err: err}
}
