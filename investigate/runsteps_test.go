package investigate

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// funcStep is a step made of a function, for the runner's tests.
type funcStep struct {
	name  string
	after []string
	run   func(ctx context.Context, c *Case) ([]triage.Finding, error)
}

func (s funcStep) Name() string    { return s.name }
func (s funcStep) After() []string { return s.after }
func (s funcStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	return s.run(ctx, c)
}

// When an investigation is cancelled, a step whose wait was cut short never
// ran, so a step after it must not run either: the step both wait on may
// still be writing the case. (A step two levels down used to run now and
// then, and the race detector saw it read what the first was writing.)
func TestCancelledWaitDoesNotRunLaterSteps(t *testing.T) {
	var ranLate atomic.Int32
	steps := []Step{
		funcStep{name: "slow", run: func(ctx context.Context, c *Case) ([]triage.Finding, error) {
			<-ctx.Done()
			time.Sleep(5 * time.Millisecond) // still busy with the case
			return nil, ctx.Err()
		}},
		funcStep{name: "middle", after: []string{"slow"}, run: func(context.Context, *Case) ([]triage.Finding, error) { return nil, nil }},
		funcStep{name: "late", after: []string{"middle"}, run: func(context.Context, *Case) ([]triage.Finding, error) {
			ranLate.Add(1)
			return nil, nil
		}},
		funcStep{name: "flaky", run: func(context.Context, *Case) ([]triage.Finding, error) {
			return nil, &panther.APIError{Op: "alert", Status: 503, Message: "unavailable"}
		}},
	}
	inv := New(nil, steps, Options{}, zerolog.Nop())
	for range 40 {
		_, _, err := inv.runSteps(t.Context(), &Case{Alert: &panther.Alert{}}, false)
		if err == nil {
			t.Fatal("a transient failure did not fail the run")
		}
	}
	if n := ranLate.Load(); n > 0 {
		t.Fatalf("a step ran %d times after its dependency's wait was cancelled", n)
	}
}
