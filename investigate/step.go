package investigate

import (
	"context"
	"sync"
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

// A Timed step names its own timeout, for steps that wait on slow work
// (a data lake search) longer than the investigator's default.
type Timed interface {
	Timeout() time.Duration
}

// Cost is what an investigation spent beyond plain API reads.
type Cost struct {
	// LakeSearches is how many data lake searches ran; LakeCached how many
	// were answered from the cache instead.
	LakeSearches int `json:"lakeSearches"`
	LakeCached   int `json:"lakeCached"`
	// BytesScanned is what the searches that ran scanned.
	BytesScanned float64 `json:"bytesScanned"`
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

	// read is what the investigator read with the alert, for steps to
	// reuse: the first page of events, the detection's recent alerts.
	read *panther.AlertRead

	mu   sync.Mutex
	cost Cost
}

// AddCost adds to what the investigation spent; steps call it concurrently.
func (c *Case) AddCost(d Cost) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cost.LakeSearches += d.LakeSearches
	c.cost.LakeCached += d.LakeCached
	c.cost.BytesScanned += d.BytesScanned
}

// Cost returns what the investigation spent so far.
func (c *Case) Cost() Cost {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cost
}
