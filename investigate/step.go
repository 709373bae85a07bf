package investigate

import (
	"context"
	"time"

	"github.com/panther-triage/panther-triage/panther"
)

// A Step inspects a case and reports what it found. It must honour ctx.
type Step interface {
	Name() string
	Run(ctx context.Context, c *Case) ([]Finding, error)
}

// A Dependent step runs only after the steps it names have finished, and may
// then read what they put in the case.
type Dependent interface {
	After() []string
}

// Case is what an investigation knows about one alert. The investigator
// fills Alert; steps fill the rest. A step writes only its own fields and
// reads another step's only when it runs After it.
type Case struct {
	Alert *panther.Alert
	// Now is when the investigation started.
	Now time.Time

	// Events are the alert's events, read by the events step.
	Events []panther.Event
	// Detection is the rule, scheduled rule or policy, read by the detection
	// step; nil when the alert has none or it could not be read.
	Detection *panther.Detection
	// Indicators are ranked by the indicators step, most frequent first.
	Indicators []Indicator
}
