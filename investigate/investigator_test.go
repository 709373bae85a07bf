package investigate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// fakePanther is a Panther of function fields; unset ones answer with
// defaults that hold one open alert.
type fakePanther struct {
	mu       sync.Mutex
	comments []panther.Comment
	alert    func(id string) (*panther.Alert, error)
	events   func(id string) ([]panther.Event, error)
	add      func(body string) error
}

var (
	_ Panther         = (*fakePanther)(nil)
	_ EventSource     = (*fakePanther)(nil)
	_ DetectionSource = (*fakePanther)(nil)
)

func (f *fakePanther) Alert(_ context.Context, id string) (*panther.Alert, error) {
	if f.alert != nil {
		return f.alert(id)
	}
	return &panther.Alert{ID: id, Title: "Root login", Severity: "HIGH", Status: "OPEN", Type: "RULE",
		Detection: &panther.DetectionRef{ID: "AWS.Console.RootLogin", Type: "RULE"}, EventCount: 2}, nil
}

func (f *fakePanther) AlertEvents(_ context.Context, id string, max int) ([]panther.Event, error) {
	if f.events != nil {
		return f.events(id)
	}
	return []panther.Event{
		{"p_row_id": "row-1", "p_log_type": "AWS.CloudTrail", "p_event_time": "2026-11-23 09:00:00.000", "p_any_ip_addresses": []any{"185.220.101.4"}},
		{"p_row_id": "row-2", "p_log_type": "AWS.CloudTrail", "p_event_time": "2026-11-23 09:05:00.000", "p_any_ip_addresses": []any{"185.220.101.4"}},
	}, nil
}

func (f *fakePanther) Detection(_ context.Context, _, id string) (*panther.Detection, error) {
	return &panther.Detection{ID: id, Kind: "rules", DisplayName: "Root Console Login", Reports: map[string][]string{"MITRE ATT&CK": {"TA0004:T1078"}}}, nil
}

func (f *fakePanther) Comments(_ context.Context, alertID string) ([]panther.Comment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]panther.Comment(nil), f.comments...), nil
}

func (f *fakePanther) AddComment(_ context.Context, alertID, body, format string) (panther.Comment, error) {
	if f.add != nil {
		if err := f.add(body); err != nil {
			return panther.Comment{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := panther.Comment{ID: fmt.Sprintf("c%d", len(f.comments)+1), AlertID: alertID, Body: body, Format: format}
	f.comments = append(f.comments, c)
	return c, nil
}

// stepFunc is a Step made of a function.
type stepFunc struct {
	name  string
	after []string
	run   func(ctx context.Context, c *Case) ([]triage.Finding, error)
}

func (s stepFunc) Name() string    { return s.name }
func (s stepFunc) After() []string { return s.after }
func (s stepFunc) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	return s.run(ctx, c)
}

func newInvestigator(pc *fakePanther, extra ...Step) *Investigator {
	steps := append([]Step{Events(pc, 200), Indicators(), Detection(pc)}, extra...)
	return New(pc, steps, Options{Now: func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }}, zerolog.Nop())
}

func TestRunPostsOneCommentWithHeadlineAndMarker(t *testing.T) {
	pc := &fakePanther{}
	inv := newInvestigator(pc)
	out, err := inv.Run(t.Context(), "a1", 42, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.State != triage.StateDone || !out.Posted || len(pc.comments) != 1 {
		t.Fatalf("outcome %+v, %d comments; want one posted", out, len(pc.comments))
	}
	lines := strings.Split(strings.TrimSpace(pc.comments[0].Body), "\n")
	if !strings.HasPrefix(lines[0], "panther-triage: INCONCLUSIVE (confidence 0.50)") {
		t.Errorf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; last != "panther-triage run 42 · a1" {
		t.Errorf("last line %q", last)
	}
	if len(out.Report.Indicators) == 0 || out.Report.Indicators[0].Value != "185.220.101.4" {
		t.Errorf("indicator missing from the report (indicators must run after events): %+v", out.Report.Indicators)
	}
	if out.Report.Timings["events"] == 0 && out.Report.Timings["detection"] == 0 {
		t.Errorf("no step timings: %v", out.Report.Timings)
	}
}

func TestRunDoesNotRepostWhenMarkerIsThere(t *testing.T) {
	pc := &fakePanther{}
	inv := newInvestigator(pc)
	// The first attempt posts, then dies before the job is marked complete.
	if _, err := inv.Run(t.Context(), "a1", 7, false); err != nil {
		t.Fatal(err)
	}
	out, err := inv.Run(t.Context(), "a1", 7, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Posted || out.CommentID != "c1" || len(pc.comments) != 1 {
		t.Fatalf("retry posted again: %+v, %d comments", out, len(pc.comments))
	}
	// Another job of the same alert (after the dedup window) does comment.
	if out, _ := inv.Run(t.Context(), "a1", 8, false); !out.Posted || len(pc.comments) != 2 {
		t.Fatalf("new job did not comment: %+v", out)
	}
}

func TestRunSkips(t *testing.T) {
	tests := map[string]struct {
		alert  func(string) (*panther.Alert, error)
		reason string
	}{
		"closed": {func(id string) (*panther.Alert, error) {
			return &panther.Alert{ID: id, Status: "CLOSED"}, nil
		}, "alert status is CLOSED"},
		"deleted": {func(string) (*panther.Alert, error) {
			return nil, fmt.Errorf("get alert: %w", panther.ErrNotFound)
		}, "not found"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			pc := &fakePanther{alert: tt.alert}
			out, err := newInvestigator(pc).Run(t.Context(), "a1", 1, false)
			if err != nil || out.State != triage.StateSkipped || !strings.Contains(out.Reason, tt.reason) || len(pc.comments) != 0 {
				t.Fatalf("outcome %+v, %v, %d comments; want skipped (%s) without comment", out, err, len(pc.comments), tt.reason)
			}
		})
	}
}

func TestRunStepFailures(t *testing.T) {
	transient := &panther.APIError{Op: "x", Status: 503}
	if !panther.IsTransient(transient) {
		t.Fatal("test premise: a 503 is transient")
	}
	failing := func(err error) Step {
		return stepFunc{name: "flaky", run: func(context.Context, *Case) ([]triage.Finding, error) { return nil, err }}
	}
	t.Run("transient fails the run so the job retries", func(t *testing.T) {
		pc := &fakePanther{}
		_, err := newInvestigator(pc, failing(transient)).Run(t.Context(), "a1", 1, false)
		if !panther.IsTransient(err) || len(pc.comments) != 0 {
			t.Fatalf("err = %v, %d comments; want a transient error and no comment", err, len(pc.comments))
		}
	})
	t.Run("transient on the last attempt is missing evidence", func(t *testing.T) {
		pc := &fakePanther{}
		out, err := newInvestigator(pc, failing(transient)).Run(t.Context(), "a1", 1, true)
		if err != nil || !hasFinding(out.Report.Findings, "flaky", "step_failed") {
			t.Fatalf("err = %v, findings %+v; want a step_failed finding", err, out.Report.Findings)
		}
	})
	t.Run("permanent is missing evidence and keeps the verdict honest", func(t *testing.T) {
		pc := &fakePanther{}
		benign := stepFunc{name: "allowlist", run: func(context.Context, *Case) ([]triage.Finding, error) {
			return []triage.Finding{{Step: "allowlist", Kind: "vpn", Title: "known VPN", Weight: triage.WeightBenign}}, nil
		}}
		out, err := newInvestigator(pc, benign, failing(errors.New("boom"))).Run(t.Context(), "a1", 1, false)
		if err != nil || out.Report.Verdict.Label != triage.VerdictInconclusive {
			t.Fatalf("err = %v, verdict %+v; want inconclusive, not benign, with evidence missing", err, out.Report.Verdict)
		}
	})
	t.Run("slow step times out alone", func(t *testing.T) {
		pc := &fakePanther{}
		slow := stepFunc{name: "slow", run: func(ctx context.Context, _ *Case) ([]triage.Finding, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}
		inv := New(pc, []Step{Events(pc, 10), slow}, Options{StepTimeout: 50 * time.Millisecond}, zerolog.Nop())
		out, err := inv.Run(t.Context(), "a1", 1, true)
		if err != nil || !hasFinding(out.Report.Findings, "slow", "step_failed") || !hasFinding(out.Report.Findings, "events", "event_count") {
			t.Fatalf("err = %v, findings %+v", err, out.Report.Findings)
		}
	})
}

func TestRunIndependentStepsConcurrently(t *testing.T) {
	pc := &fakePanther{}
	started := make(chan string, 2)
	release := make(chan struct{})
	mk := func(name string) Step {
		return stepFunc{name: name, run: func(ctx context.Context, _ *Case) ([]triage.Finding, error) {
			started <- name
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return nil, nil
		}}
	}
	inv := New(pc, []Step{mk("a"), mk("b")}, Options{}, zerolog.Nop())
	done := make(chan error, 1)
	go func() { _, err := inv.Run(context.Background(), "a1", 1, false); done <- err }()
	for range 2 {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("independent steps did not both start before either finished")
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestDryRunPostsNothing(t *testing.T) {
	pc := &fakePanther{add: func(string) error { return errors.New("must not post") }}
	inv := New(pc, []Step{Events(pc, 10)}, Options{DryRun: true}, zerolog.Nop())
	out, err := inv.Run(t.Context(), "a1", 1, false)
	if err != nil || out.Posted || out.Comment == "" {
		t.Fatalf("dry run: %+v, %v", out, err)
	}
}

func TestNewRejectsBadWiring(t *testing.T) {
	for name, steps := range map[string][]Step{
		"unknown": {Indicators()},
		"cycle": {
			stepFunc{name: "a", after: []string{"b"}},
			stepFunc{name: "b", after: []string{"a"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New accepted a bad step list")
				}
			}()
			New(&fakePanther{}, steps, Options{}, zerolog.Nop())
		})
	}
}

func hasFinding(fs []triage.Finding, step, kind string) bool {
	for _, f := range fs {
		if f.Step == step && f.Kind == kind {
			return true
		}
	}
	return false
}

func TestPostRetriesAfterTransientFailureWithoutDuplicates(t *testing.T) {
	// A lost answer: the comment is stored but the call reports a 503.
	pc2 := &fakePanther{}
	lost := true
	pc2.add = func(string) error { return nil }
	wrapped := &lossyPanther{fakePanther: pc2, lose: &lost}
	inv2 := New(wrapped, []Step{Events(pc2, 10)}, Options{}, zerolog.Nop())
	out, err := inv2.Run(t.Context(), "a2", 4, false)
	if err != nil || len(pc2.comments) != 1 || out.Posted || out.CommentID == "" {
		t.Fatalf("lost answer: %+v, %v, %d comments; want the stored comment found, not a second", out, err, len(pc2.comments))
	}
}

// lossyPanther stores a comment, then reports a transient failure once.
type lossyPanther struct {
	*fakePanther
	lose *bool
}

func (l *lossyPanther) AddComment(ctx context.Context, alertID, body, format string) (panther.Comment, error) {
	c, err := l.fakePanther.AddComment(ctx, alertID, body, format)
	if err == nil && *l.lose {
		*l.lose = false
		return panther.Comment{}, &panther.APIError{Op: "add_comment", Status: 503}
	}
	return c, err
}

func TestRepeatAndNoticeStayOneShortParagraph(t *testing.T) {
	pc := &fakePanther{}
	inv := newInvestigator(pc)
	earlier := triage.Record{AlertID: "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1", DetectionID: "AWS.Console.RootLogin", Verdict: triage.VerdictMalicious, Confidence: 0.9,
		Link: "https://acme.runpanther.net/alerts/e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1", UpdatedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	rep, err := inv.Repeat(t.Context(), "a2", 7, earlier)
	if err != nil {
		t.Fatal(err)
	}
	note, err := inv.Notice(t.Context(), "a3", 8, "the hourly budget of 500 investigations ran out")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{rep.Comment, note.Comment} {
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if len(lines) > 4 || len(body) > 600 || !strings.HasPrefix(lines[0], "panther-triage: ") || !strings.HasPrefix(lines[len(lines)-1], "panther-triage run ") {
			t.Errorf("not one short paragraph (%d lines, %d characters):\n%s", len(lines), len(body), body)
		}
		if n := strings.Count(body, earlier.AlertID); n > 2 {
			t.Errorf("earlier alert ID written %d times:\n%s", n, body)
		}
	}
}

func TestApplyKeepsWhatTheCommentOpensWith(t *testing.T) {
	pc := &fakePanther{}
	inv := newInvestigator(pc)
	out, err := inv.Run(t.Context(), "a1", 42, false)
	if err != nil {
		t.Fatal(err)
	}
	var rec triage.Record
	out.Apply(&rec)
	if len(rec.Story) == 0 || len(rec.NextSteps) < 2 || rec.Digest == nil || rec.Comment == "" {
		t.Fatalf("record lacks the story, next steps or digest: %+v", rec)
	}
	if !strings.Contains(rec.Comment, rec.NextSteps[0]) {
		t.Fatalf("the comment does not carry the record's first next step %q:\n%s", rec.NextSteps[0], rec.Comment)
	}
}
