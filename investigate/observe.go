package investigate

import (
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// Observer is told what the runner did, for metrics; package metrics
// implements it. Its methods must be quick and safe for concurrent use.
type Observer interface {
	// JobFinished is called once per ended job attempt. kind is
	// investigation, repeat (a storm alert linked to the one investigated)
	// or notice (a budget ran out); state is done, skipped, failed or
	// retry; verdict is set for a done investigation; posted says whether a
	// comment was posted.
	JobFinished(kind, state, verdict string, posted bool, d time.Duration)
	// StepFinished is called for each step of a completed investigation:
	// outcome ok, or failed when the step became a "missing evidence"
	// finding.
	StepFinished(step, outcome string, d time.Duration)
}

// Job kinds as an Observer sees them.
const (
	kindInvestigation = "investigation"
	kindRepeat        = "repeat"
	kindNotice        = "notice"
)

// observeFailure reports an attempt that ended in error: failed for good,
// or back to the queue.
func (r *Runner) observeFailure(kind string, rec triage.Record, d time.Duration) {
	obs := r.inv.opts.Observer
	if obs == nil {
		return
	}
	state := "retry"
	if rec.State == triage.StateFailed {
		state = triage.StateFailed
	}
	obs.JobFinished(kind, state, "", false, d)
}

// observeResult reports an attempt that completed, and the steps it ran.
func (r *Runner) observeResult(kind string, out Result, d time.Duration) {
	obs := r.inv.opts.Observer
	if obs == nil {
		return
	}
	verdict := ""
	if out.State == triage.StateDone && kind == kindInvestigation {
		verdict = out.Report.Verdict.Label
	}
	obs.JobFinished(kind, out.State, verdict, out.Posted, d)
	failed := map[string]bool{}
	for _, f := range out.Report.Findings {
		if f.Kind == "step_failed" {
			failed[f.Step] = true
		}
	}
	for step, took := range out.Report.Timings {
		outcome := "ok"
		if failed[step] {
			outcome = "failed"
		}
		obs.StepFinished(step, outcome, took)
	}
}
