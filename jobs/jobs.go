// Package jobs runs the service's work on river's queue: one args type and
// one worker per job kind, and the periodic jobs. It is the only place
// besides the store that knows river; the work itself lives in the
// packages that own it (investigate, reconcile, agreement), which know
// nothing of the queue.
//
// A job kind is added in three places: its args type with a stable Kind
// (in triage for the jobs the intake queues, or in the package that owns
// the work), its worker here, and its registration in Workers.
package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/panther-triage/panther-triage/agreement"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/reconcile"
	"github.com/panther-triage/panther-triage/triage"
)

// Deps are what the workers run. Reconciler and Agreement may be nil when
// their jobs are off.
type Deps struct {
	Runner     *investigate.Runner
	Reconciler *reconcile.Reconciler
	Agreement  *agreement.Checker
}

// Workers returns a worker for every job kind.
func Workers(d Deps) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &investigateWorker{run: d.Runner})
	river.AddWorker(w, &repeatWorker{run: d.Runner})
	river.AddWorker(w, &overBudgetWorker{run: d.Runner})
	if d.Reconciler != nil {
		river.AddWorker(w, &reconcileWorker{r: d.Reconciler})
	}
	if d.Agreement != nil {
		river.AddWorker(w, &agreementWorker{c: d.Agreement})
	}
	return w
}

// Periodic returns the periodic jobs that are on. One replica at a time,
// the queue's leader, schedules them.
func Periodic(d Deps) []*river.PeriodicJob {
	var out []*river.PeriodicJob
	if d.Reconciler != nil && d.Reconciler.Every() > 0 {
		// The first run comes at once: deliveries missed while the service
		// was down are the ones most worth finding.
		out = append(out, periodic(d.Reconciler.Every(), reconcile.Job{}, true))
	}
	if d.Agreement != nil && d.Agreement.Every() > 0 {
		out = append(out, periodic(d.Agreement.Every(), agreement.Job{}, false))
	}
	return out
}

func periodic(every time.Duration, args river.JobArgs, runOnStart bool) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{RunOnStart: runOnStart, ID: args.Kind()})
}

// attemptOf is what the runner needs of a job row.
func attemptOf(j *rivertype.JobRow) investigate.Attempt {
	return investigate.Attempt{JobID: j.ID, Number: j.Attempt, Max: j.MaxAttempts, QueuedAt: j.CreatedAt}
}

// control turns the runner's next move into river's control flow: nil
// completes the job, a JobSnooze hands it back without using up an
// attempt, a JobCancel ends it for good, and any other error retries it
// on the queue's backoff.
func control(n investigate.Next) error {
	switch n.Action {
	case investigate.Finished:
		return nil
	case investigate.HandBack:
		return river.JobSnooze(max(n.After, 0))
	case investigate.GiveUp:
		return river.JobCancel(n.Err)
	}
	return n.Err
}

type investigateWorker struct {
	river.WorkerDefaults[triage.InvestigateJob]
	run *investigate.Runner
}

func (w *investigateWorker) Work(ctx context.Context, j *river.Job[triage.InvestigateJob]) error {
	return control(w.run.Investigate(ctx, j.Args, attemptOf(j.JobRow)))
}

type repeatWorker struct {
	river.WorkerDefaults[triage.RepeatJob]
	run *investigate.Runner
}

func (w *repeatWorker) Work(ctx context.Context, j *river.Job[triage.RepeatJob]) error {
	return control(w.run.Repeat(ctx, j.Args, attemptOf(j.JobRow)))
}

type overBudgetWorker struct {
	river.WorkerDefaults[triage.OverBudgetJob]
	run *investigate.Runner
}

func (w *overBudgetWorker) Work(ctx context.Context, j *river.Job[triage.OverBudgetJob]) error {
	return control(w.run.OverBudget(ctx, j.Args, attemptOf(j.JobRow)))
}

type reconcileWorker struct {
	river.WorkerDefaults[reconcile.Job]
	r *reconcile.Reconciler
}

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[reconcile.Job]) error {
	_, err := w.r.Run(ctx)
	return err
}

type agreementWorker struct {
	river.WorkerDefaults[agreement.Job]
	c *agreement.Checker
}

func (w *agreementWorker) Work(ctx context.Context, _ *river.Job[agreement.Job]) error {
	_, err := w.c.Run(ctx)
	return err
}
