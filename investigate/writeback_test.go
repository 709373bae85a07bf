package investigate

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/panther"
)

// fakeWriter records write-back calls.
type fakeWriter struct {
	status, assignee map[string]string
	err              error
}

var _ Writer = (*fakeWriter)(nil)

func (f *fakeWriter) UpdateAlertStatus(_ context.Context, ids []string, status string) error {
	f.status[ids[0]] = status
	return f.err
}

func (f *fakeWriter) AssignAlerts(_ context.Context, ids []string, user string) error {
	f.assignee[ids[0]] = user
	return f.err
}

func TestWriteBack(t *testing.T) {
	status, err := ParseVerdictMap("benign=resolved, malicious=TRIAGED", []string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"})
	if err != nil {
		t.Fatal(err)
	}
	assignee, err := ParseVerdictMap("malicious=user-42", nil)
	if err != nil {
		t.Fatal(err)
	}
	// GreyNoise saw the address attacking: malicious on its own.
	tor := []panther.Event{{"p_row_id": "r1", "p_enrichment": map[string]any{"greynoise_noise": map[string]any{"p_any_ip_addresses": map[string]any{"ip": "185.220.101.4", "classification": "malicious"}}}}}
	for name, tt := range map[string]struct {
		events       []panther.Event
		dryRun       bool
		wantStatus   string
		wantAssignee string
	}{
		"malicious":    {tor, false, "TRIAGED", "user-42"},
		"inconclusive": {nil, false, "", ""},
		"dry run":      {tor, true, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			pc := &fakePanther{events: func(string) ([]panther.Event, error) { return tt.events, nil }}
			w := &fakeWriter{status: map[string]string{}, assignee: map[string]string{}}
			inv := New(pc, []Step{Events(pc, 10), Indicators(), Enrichment(nil)}, Options{
				DryRun: tt.dryRun, Writer: w, WriteBack: WriteBack{Status: status, Assignee: assignee},
				Now: func() time.Time { return time.Now() },
			}, zerolog.Nop())
			if _, err := inv.Run(t.Context(), "a1", 1, false); err != nil {
				t.Fatal(err)
			}
			if w.status["a1"] != tt.wantStatus || w.assignee["a1"] != tt.wantAssignee {
				t.Fatalf("status %q, assignee %q; want %q, %q", w.status["a1"], w.assignee["a1"], tt.wantStatus, tt.wantAssignee)
			}
		})
	}
	t.Run("a failed write-back retries the job, the comment stays single", func(t *testing.T) {
		pc := &fakePanther{events: func(string) ([]panther.Event, error) { return tor, nil }}
		w := &fakeWriter{status: map[string]string{}, assignee: map[string]string{}, err: &panther.APIError{Op: "x", Status: 503}}
		inv := New(pc, []Step{Events(pc, 10), Indicators(), Enrichment(nil)}, Options{Writer: w, WriteBack: WriteBack{Status: status}}, zerolog.Nop())
		_, err := inv.Run(t.Context(), "a1", 1, false)
		if !panther.IsTransient(err) {
			t.Fatalf("err = %v; want the transient write-back error", err)
		}
		w.err = nil
		if _, err := inv.Run(t.Context(), "a1", 1, false); err != nil || len(pc.comments) != 1 {
			t.Fatalf("retry: %v, %d comments", err, len(pc.comments))
		}
	})
}

func TestParseVerdictMapErrors(t *testing.T) {
	for _, in := range []string{"benign", "harmless=RESOLVED", "benign=DONE"} {
		if _, err := ParseVerdictMap(in, []string{"RESOLVED"}); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if m, err := ParseVerdictMap("", nil); err != nil || len(m) != 0 {
		t.Errorf("empty: %v, %v", m, err)
	}

}
