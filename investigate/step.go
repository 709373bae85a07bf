package investigate

import (
	"context"
	"sync"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// A Step inspects a case and reports what it found. It must honour ctx.
type Step interface {
	Name() string
	Run(ctx context.Context, c *Case) ([]triage.Finding, error)
}

// A Dependent step runs only after the steps it names have finished, and may
// then read what they put in the case.
type Dependent interface {
	After() []string
}

// A Timed step names its own timeout, for steps that wait on slow work
// (a data lake search) longer than the investigator's default.
type Timed interface {
	Timeout() time.Duration
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
	// Digest is the events read as actions: who did what to what, from
	// where, and how it ended. The events step sets it together with
	// Events; it is never nil once that step has run.
	Digest *triage.Digest
	// Dispositions are how analysts closed the detection's earlier alerts,
	// read by the history step; Decide takes its prior from them.
	Dispositions Dispositions
	// Detection is the rule, scheduled rule or policy, read by the detection
	// step; nil when the alert has none or it could not be read.
	Detection *panther.Detection
	// Indicators are ranked by the indicators step, most frequent first.
	Indicators []Indicator
	// DetectionAlerts are the detection's alerts of the 7 days before this
	// one, newest first; NearbyAlerts the alerts of every detection created
	// within 24 hours either side of it (this one left out), listed when it
	// has indicators worth looking for. The history step lists both.
	DetectionAlerts []panther.Alert
	NearbyAlerts    []panther.Alert
	// Precedent is what earlier and nearby alerts say about this one, read
	// by the precedent step; nil when that step did not run.
	Precedent *triage.Precedent
	// Baseline is the top actor's last 30 days, read by the baseline step;
	// nil when that step did not run or had no actor.
	Baseline *Baseline

	// read is what the investigator read with the alert, for steps to
	// reuse: the first page of events, the detection's recent alerts.
	read *panther.AlertRead

	mu   sync.Mutex
	cost triage.Cost
}

// AddCost adds to what the investigation spent; steps call it concurrently.
func (c *Case) AddCost(d triage.Cost) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cost.LakeSearches += d.LakeSearches
	c.cost.LakeCached += d.LakeCached
	c.cost.BytesScanned += d.BytesScanned
	c.cost.LakePolls += d.LakePolls
	c.cost.AlertReads += d.AlertReads
	c.cost.AlertReadsCached += d.AlertReadsCached
}

// Cost returns what the investigation spent so far.
func (c *Case) Cost() triage.Cost {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cost
}
