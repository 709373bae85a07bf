package investigate

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/triage"
)

type budgetStep struct {
	name    string
	after   []string
	timeout time.Duration
}

func (s budgetStep) Name() string                                         { return s.name }
func (s budgetStep) After() []string                                      { return s.after }
func (s budgetStep) Timeout() time.Duration                               { return s.timeout }
func (s budgetStep) Run(context.Context, *Case) ([]triage.Finding, error) { return nil, nil }

// The attempt budget adds the reads before the steps, the heaviest chain
// of steps (each to its own timeout), and every try of the comment post
// with its marker check.
func TestAttemptBudget(t *testing.T) {
	steps := []Step{
		budgetStep{name: "lake", after: []string{"actions"}, timeout: time.Minute}, // listed before what it waits on
		budgetStep{name: "events"},
		budgetStep{name: "actions", after: []string{"events"}},
		budgetStep{name: "alone", timeout: 2 * time.Minute},
	}
	read, write := 4*time.Second, 15*time.Second
	posts := 3*(read+write) + 200*time.Millisecond + 400*time.Millisecond
	for _, tt := range []struct {
		name string
		opts Options
		want time.Duration
	}{
		{"the lone step is the longest", Options{StepTimeout: 10 * time.Second}, 2*read + 2*time.Minute + posts},
		{"the chain is the longest", Options{StepTimeout: 40 * time.Second}, 2*read + 40*time.Second + 40*time.Second + time.Minute + posts},
		{"write-back adds a read and a write", Options{StepTimeout: 10 * time.Second, WriteBack: WriteBack{Status: map[string]string{"benign": "RESOLVED"}}},
			2*read + 2*time.Minute + posts + read + write},
	} {
		inv := New(nil, steps, tt.opts, zerolog.Nop())
		if got := inv.AttemptBudget(read, write); got != tt.want {
			t.Errorf("%s: AttemptBudget = %s; want %s", tt.name, got, tt.want)
		}
	}
}
