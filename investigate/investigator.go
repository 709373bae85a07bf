package investigate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/logcap"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// Panther is what the investigator itself reads from and writes to Panther;
// steps declare their own, narrower needs.
type Panther interface {
	Alert(ctx context.Context, id string) (*panther.Alert, error)
	Comments(ctx context.Context, alertID string) ([]panther.Comment, error)
	AddComment(ctx context.Context, alertID, body, format string) (panther.Comment, error)
}

// AlertReader reads an alert together with the first page of its events
// and its detection's recent alerts, in one request; *panther.Client
// implements it. An Investigator whose Panther implements it uses it, and
// its steps reuse what it read.
type AlertReader interface {
	ReadAlert(ctx context.Context, req panther.AlertRequest) (*panther.AlertRead, error)
}

// Request is one investigation to run.
type Request struct {
	AlertID     string
	JobID       int64
	LastAttempt bool
	// DetectionID and ReceivedAt come from the delivery, when known: with
	// them the detection's alert history is read with the alert itself.
	DetectionID string
	ReceivedAt  time.Time
}

// Options configure an Investigator.
type Options struct {
	// Statuses are the alert statuses investigated; others are skipped.
	// Default OPEN, TRIAGED.
	Statuses []string
	// Sections are the comment's sections. Default DefaultSections.
	Sections []string
	// Format is the comment format, PLAIN_TEXT (default) or HTML.
	Format string
	// DryRun investigates and records but writes nothing to Panther.
	DryRun bool
	// StepTimeout bounds each step. Default 30 seconds.
	StepTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Narrator, when set, writes the summary and next steps from the
	// findings. Default nil: the summary is built from the findings alone.
	Narrator Narrator
	// ConsoleURL is Panther's console base URL, for links to other alerts
	// in comments. Default empty: alert IDs without links.
	ConsoleURL string
	// PublicURL is this service's external base URL, for the link to the
	// full report (<PublicURL>/investigations/<alertId>) in comments.
	// Default empty: no link.
	PublicURL string
	// WriteBack changes the alert after the comment, by verdict, through
	// Writer. Default none.
	WriteBack WriteBack
	Writer    Writer
	// Observer is told what the worker did, for metrics. Default nil:
	// nothing is told.
	Observer Observer
	// AuthRetryWindow is how long a job keeps retrying while Panther
	// rejects the token (HTTP 401) before it fails with "token rejected".
	// Default DefaultAuthRetryWindow.
	AuthRetryWindow time.Duration
}

// DefaultStepTimeout bounds each step unless Options.StepTimeout says
// otherwise.
const DefaultStepTimeout = 30 * time.Second

// Investigator runs the steps on an alert, decides, and comments.
type Investigator struct {
	pc    Panther
	steps []Step
	opts  Options
	log   zerolog.Logger
}

// New returns an investigator that runs steps in dependency order,
// concurrently where they do not depend on each other. It panics on a step
// list that names an unknown or circular dependency, a wiring mistake.
func New(pc Panther, steps []Step, opts Options, log zerolog.Logger) *Investigator {
	if len(opts.Statuses) == 0 {
		opts.Statuses = []string{"OPEN", "TRIAGED"}
	}
	if len(opts.Sections) == 0 {
		opts.Sections = DefaultSections
	}
	if opts.Format == "" {
		opts.Format = panther.FormatPlainText
	}
	if opts.StepTimeout <= 0 {
		opts.StepTimeout = DefaultStepTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AuthRetryWindow <= 0 {
		opts.AuthRetryWindow = DefaultAuthRetryWindow
	}
	if err := checkOrder(steps); err != nil {
		panic(err)
	}
	return &Investigator{pc: pc, steps: steps, opts: opts, log: log}
}

// Result is what one run of an investigation ended with.
type Result struct {
	// State is done or skipped.
	State string
	// Reason says why a run was skipped.
	Reason string
	Report Report
	// Comment is the rendered body; CommentID the posted (or found) comment.
	Comment   string
	CommentID string
	// Posted is false when the comment was already there, or in dry run.
	Posted bool
}

// Apply writes the outcome into rec: state, verdict, findings, comment and
// step timings.
func (o Result) Apply(rec *triage.Record) {
	rec.State, rec.Reason, rec.Error = o.State, o.Reason, ""
	rec.Comment, rec.CommentID = o.Comment, o.CommentID
	rec.Timings = map[string]string{}
	if o.State != triage.StateDone {
		return
	}
	r := o.Report
	rec.Title, rec.Severity = r.Alert.Title, r.Alert.Severity
	if r.Alert.Detection != nil && rec.DetectionID == "" {
		rec.DetectionID = r.Alert.Detection.ID
	}
	rec.Verdict, rec.Confidence, rec.Summary = r.Verdict.Label, r.Verdict.Confidence, r.Summary
	rec.Findings, rec.Cost, rec.Narrative = r.Findings, r.Cost, r.Narrative
	rec.Story, rec.NextSteps, rec.Tuning, rec.Why = r.Story, r.NextSteps, r.Tuning, r.Why
	rec.Digest, rec.Precedent = r.Digest, r.Precedent
	for step, d := range r.Timings {
		rec.Timings[step] = d.Round(time.Millisecond).String()
	}
}

// Run investigates one alert for one job. lastAttempt turns transient step
// failures into findings instead of errors, so that the final try still
// comments with what it could gather. A transient error from reading the
// alert, listing or posting comments is returned for the job to retry.
func (inv *Investigator) Run(ctx context.Context, alertID string, jobID int64, lastAttempt bool) (Result, error) {
	return inv.Investigate(ctx, Request{AlertID: alertID, JobID: jobID, LastAttempt: lastAttempt})
}

// Investigate is Run with what the delivery said about the alert.
func (inv *Investigator) Investigate(ctx context.Context, req Request) (Result, error) {
	alertID, jobID, lastAttempt := req.AlertID, req.JobID, req.LastAttempt
	ctx = inv.log.With().Str("alert_id", logcap.String(alertID)).Int64("job_id", jobID).Logger().WithContext(ctx)
	read, skip, err := inv.read(ctx, req)
	if err != nil || skip != nil {
		return ptrOr(skip), err
	}
	alert := read.Alert

	c := &Case{Alert: alert, Now: inv.opts.Now(), read: read}
	findings, timings, err := inv.runSteps(ctx, c, lastAttempt)
	if err != nil {
		return Result{}, fmt.Errorf("investigate %s: %w", alertID, err)
	}
	if alert.RESTError != nil {
		findings = append(findings, triage.Finding{
			Step: "alert", Kind: "alert_context_missing", Weight: triage.WeightMissing,
			Title: "The alert's context and event count could not be read (REST " + restReason(alert.RESTError) + ")",
		})
	}
	SortFindings(findings)
	c.Dispositions.Detection = cmp.Or(c.Dispositions.Detection, detectionID(alert))
	verdict := Decide(findings, c.Dispositions.Prior())
	report := Report{
		AlertID: alertID, JobID: jobID, Alert: alert, Verdict: verdict,
		Findings: findings, Indicators: c.Indicators, Detection: c.Detection, Digest: c.Digest, Precedent: c.Precedent,
		Timings: timings, Cost: c.Cost(), ConsoleURL: inv.opts.ConsoleURL, PublicURL: inv.opts.PublicURL,
	}
	report.Summary = Summarize(report, c)
	Brief(&report, c)
	if inv.opts.Narrator != nil {
		inv.narrate(ctx, &report)
	}
	out := Result{State: triage.StateDone, Report: report, Comment: Render(report, inv.opts.Sections, inv.opts.Format)}
	out, err = inv.finish(ctx, alertID, jobID, out)
	if err != nil {
		return Result{}, err
	}
	if err := inv.writeBack(ctx, alertID, verdict.Label); err != nil {
		return Result{}, fmt.Errorf("investigate %s: %w", alertID, err)
	}
	return out, nil
}

// narrateTimeout bounds the narrator's call.
const narrateTimeout = 60 * time.Second

// narrate asks the narrator for the summary. Whatever it answers, the
// verdict stays; when it fails, the summary built from the findings stays.
func (inv *Investigator) narrate(ctx context.Context, r *Report) {
	ctx, cancel := context.WithTimeout(ctx, narrateTimeout)
	defer cancel()
	n, err := inv.opts.Narrator.Narrate(ctx, *r)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Str("error", logcap.Error(err)).Msg("narrative discarded; keeping the summary built from the findings")
		return
	}
	r.Summary, r.Narrative = n.Summary, &n
}

// Repeat comments on an alert that repeats one investigated a moment ago
// (same detection, same title: a storm) instead of investigating it again:
// the comment links the earlier alert and repeats its verdict.
func (inv *Investigator) Repeat(ctx context.Context, alertID string, jobID int64, earlier triage.Record) (Result, error) {
	alert, skip, err := inv.readAlert(ctx, alertID)
	if err != nil || skip != nil {
		return ptrOr(skip), err
	}
	v := Verdict{Label: earlier.Verdict, Confidence: earlier.Confidence}
	w := &writer{html: inv.opts.Format == panther.FormatHTML}
	w.line(Headline(v))
	where := earlier.AlertID
	if earlier.Link != "" {
		where += " (" + earlier.Link + ")"
	}
	summary := fmt.Sprintf("Not investigated again: this alert repeats alert %s of detection %s with the same title, investigated at %s. Its verdict applies here too.",
		where, earlier.DetectionID, earlier.UpdatedAt.UTC().Format(time.RFC3339))
	w.line(w.q(summary))
	w.line("")
	w.line(Marker(jobID, alertID))
	out := Result{State: triage.StateDone, Comment: w.String(), Report: Report{
		AlertID: alertID, JobID: jobID, Alert: alert, Verdict: v, Summary: summary,
		Findings: []triage.Finding{{Step: triage.StepStorm, Kind: "repeat", Weight: triage.WeightInfo, Title: summary,
			Evidence: []triage.Evidence{{Kind: "alert", Ref: earlier.AlertID}}}},
	}}
	return inv.finish(ctx, alertID, jobID, out)
}

// Notice comments on an alert that it was not investigated, and why (a
// budget ran out): never a silent drop.
func (inv *Investigator) Notice(ctx context.Context, alertID string, jobID int64, reason string) (Result, error) {
	_, skip, err := inv.readAlert(ctx, alertID)
	if err != nil || skip != nil {
		return ptrOr(skip), err
	}
	w := &writer{html: inv.opts.Format == panther.FormatHTML}
	w.line(w.q("panther-triage: NOT INVESTIGATED — " + reason))
	w.line("")
	w.line(Marker(jobID, alertID))
	out := Result{State: triage.StateSkipped, Reason: "not investigated: " + reason, Comment: w.String()}
	return inv.finish(ctx, alertID, jobID, out)
}

// restReason is a short reason for a failed REST read, safe to show.
func restReason(err error) string {
	var api *panther.APIError
	if errors.As(err, &api) {
		return fmt.Sprintf("answered HTTP %d", api.Status)
	}
	return "failed: " + stepError(err)
}

// readAlert reads the alert, or says why the job skips it (deleted, or a
// status not investigated).
func (inv *Investigator) readAlert(ctx context.Context, alertID string) (*panther.Alert, *Result, error) {
	r, skip, err := inv.read(ctx, Request{AlertID: alertID})
	if err != nil || skip != nil {
		return nil, skip, err
	}
	return r.Alert, nil, nil
}

// Read-ahead of the first request: the first page of events and the
// detection's alerts, newest first.
const (
	readEvents  = 50
	readHistory = 50
	// historySlack widens the history window read with the alert around
	// the delivery time, which follows the alert's creation.
	historySlack = time.Hour
)

// read reads the alert (with its first events and, when the delivery named
// the detection, the detection's recent alerts), or says why the job skips
// it: deleted (GraphQL says not found) or a status not investigated.
func (inv *Investigator) read(ctx context.Context, req Request) (*panther.AlertRead, *Result, error) {
	var (
		r   *panther.AlertRead
		err error
	)
	if ar, ok := inv.pc.(AlertReader); ok {
		pr := panther.AlertRequest{ID: req.AlertID, Events: readEvents}
		if req.DetectionID != "" {
			at := req.ReceivedAt
			if at.IsZero() {
				at = inv.opts.Now()
			}
			pr.DetectionID, pr.HistoryMax = req.DetectionID, readHistory
			pr.HistoryAfter, pr.HistoryBefore = at.Add(-detectionHistory-historySlack), at.Add(historySlack)
		}
		r, err = ar.ReadAlert(ctx, pr)
	} else {
		var a *panther.Alert
		a, err = inv.pc.Alert(ctx, req.AlertID)
		r = &panther.AlertRead{Alert: a}
	}
	if errors.Is(err, panther.ErrNotFound) {
		return nil, &Result{State: triage.StateSkipped, Reason: "alert not found in Panther (deleted?)"}, nil
	}
	if err != nil {
		return nil, nil, &ReadError{AlertID: req.AlertID, Err: err}
	}
	alert := r.Alert
	if !slices.Contains(inv.opts.Statuses, alert.Status) {
		return nil, &Result{State: triage.StateSkipped, Reason: fmt.Sprintf("alert status is %s; investigating only %s", alert.Status, strings.Join(inv.opts.Statuses, ", "))}, nil
	}
	return r, nil, nil
}

// ReadError reports that the alert itself could not be read. When its
// class is permanent (a wrong URL, a token without Read Alerts), every
// alert fails alike: the worker fails the record with a reason that points
// to `panther-triage check`.
type ReadError struct {
	AlertID string
	Err     error
}

// Error implements error.
func (e *ReadError) Error() string { return fmt.Sprintf("investigate %s: %v", e.AlertID, e.Err) }

// Unwrap returns the cause.
func (e *ReadError) Unwrap() error { return e.Err }

// finish posts the outcome's comment once, unless in dry run.
func (inv *Investigator) finish(ctx context.Context, alertID string, jobID int64, out Result) (Result, error) {
	if inv.opts.DryRun {
		return out, nil
	}
	var err error
	out.CommentID, out.Posted, err = inv.postOnce(ctx, alertID, jobID, out.Comment)
	if err != nil {
		return Result{}, fmt.Errorf("investigate %s: %w", alertID, err)
	}
	return out, nil
}

func ptrOr(o *Result) Result {
	if o == nil {
		return Result{}
	}
	return *o
}

// postOnce posts body unless a comment carrying this job's marker is
// already on the alert, which is the case when an earlier attempt posted and
// then died before the job was marked complete.
func (inv *Investigator) postOnce(ctx context.Context, alertID string, jobID int64, body string) (id string, posted bool, err error) {
	marker := Marker(jobID, alertID)
	for try := 1; ; try++ {
		comments, err := inv.pc.Comments(ctx, alertID)
		if err != nil {
			return "", false, fmt.Errorf("list comments: %w", err)
		}
		for _, c := range comments {
			if strings.Contains(c.Body, marker) {
				return c.ID, false, nil
			}
		}
		c, err := inv.pc.AddComment(ctx, alertID, body, inv.opts.Format)
		if err == nil {
			return c.ID, true, nil
		}
		// A post that failed transiently may still have landed: look for
		// the marker again before trying once more.
		_, rateLimited := panther.RetryAfter(err)
		if try >= postTries || panther.Classify(err) != panther.ClassTransient || rateLimited {
			return "", false, fmt.Errorf("post comment: %w", err)
		}
		t := time.NewTimer(time.Duration(try) * 200 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", false, fmt.Errorf("post comment: %w", err)
		}
	}
}

// postTries is how often one attempt tries to post its comment.
const postTries = 3

// runSteps runs every step once its dependencies are done, each with its own
// timeout. A step's permanent failure becomes a "missing evidence" finding;
// a transient one fails the run unless this is the last attempt.
func (inv *Investigator) runSteps(ctx context.Context, c *Case, lastAttempt bool) ([]triage.Finding, map[string]time.Duration, error) {
	done := make(map[string]chan struct{}, len(inv.steps))
	for _, s := range inv.steps {
		done[s.Name()] = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu       sync.Mutex
		findings []triage.Finding
		timings  = map[string]time.Duration{}
		firstErr error
		wg       sync.WaitGroup
	)
	for _, s := range inv.steps {
		wg.Go(func() {
			defer close(done[s.Name()])
			if d, ok := s.(Dependent); ok {
				for _, dep := range d.After() {
					select {
					case <-done[dep]:
					case <-ctx.Done():
						return
					}
				}
			}
			// A step whose wait was cut short by the cancellation closes its
			// done channel without having run; what it would have written is
			// not there, and the steps it waits on may still be writing.
			if ctx.Err() != nil {
				return
			}
			timeout := inv.opts.StepTimeout
			if t, ok := s.(Timed); ok && t.Timeout() > 0 {
				timeout = t.Timeout()
			}
			stepCtx, stepCancel := context.WithTimeout(ctx, timeout)
			start := time.Now()
			fs, err := s.Run(stepCtx, c)
			stepCancel()
			elapsed := time.Since(start)

			mu.Lock()
			defer mu.Unlock()
			timings[s.Name()] = elapsed
			zerolog.Ctx(ctx).Debug().Str("step", s.Name()).Dur("duration", elapsed).Bool("failed", err != nil).Msg("step finished")
			switch {
			case err == nil:
				findings = append(findings, fs...)
			case ctx.Err() != nil:
				// The investigation itself was cancelled (shutdown).
				if firstErr == nil {
					firstErr = ctx.Err()
				}
			case panther.IsTransient(err) && !lastAttempt:
				if firstErr == nil {
					firstErr = fmt.Errorf("step %s: %w", s.Name(), err)
					cancel()
				}
			default:
				zerolog.Ctx(ctx).Warn().Str("error", logcap.Error(err)).Str("step", s.Name()).Msg("step failed; reported as missing evidence")
				findings = append(findings, triage.Finding{
					Step: s.Name(), Kind: "step_failed", Weight: triage.WeightMissing,
					Title: fmt.Sprintf("Step %s could not complete: %s", s.Name(), stepError(err)),
				})
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	return findings, timings, nil
}

// stepError is a short reason for a failed step, safe to show in a comment.
func stepError(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, panther.ErrUnauthorized):
		return "the API token lacks a permission"
	case panther.IsTransient(err):
		return "Panther's API kept failing"
	}
	return err.Error()
}

// checkOrder rejects dependencies on unknown steps and cycles.
func checkOrder(steps []Step) error {
	deps := map[string][]string{}
	for _, s := range steps {
		deps[s.Name()] = nil
		if d, ok := s.(Dependent); ok {
			deps[s.Name()] = d.After()
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("investigate: steps depend on each other in a cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if _, ok := deps[d]; !ok {
				return fmt.Errorf("investigate: step %s runs after %s, which is not configured", n, d)
			}
			if err := visit(d); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	for _, s := range steps {
		if err := visit(s.Name()); err != nil {
			return err
		}
	}
	return nil
}

// detectionID is the alert's detection ID, or "".
func detectionID(a *panther.Alert) string {
	if a == nil || a.Detection == nil {
		return ""
	}
	return a.Detection.ID
}
