package investigate

import (
	"context"
	"fmt"
)

// Indicators returns the step that extracts and ranks the indicators of the
// alert's events and context (see ExtractIndicators).
func Indicators() Step { return indicatorsStep{} }

type indicatorsStep struct{}

func (indicatorsStep) Name() string    { return "indicators" }
func (indicatorsStep) After() []string { return []string{"events"} }

// topIndicators is how many indicators get a finding each.
const topIndicators = 5

func (indicatorsStep) Run(_ context.Context, c *Case) ([]Finding, error) {
	c.Indicators = ExtractIndicators(c.Events, c.Alert.Context)
	if len(c.Indicators) == 0 {
		return []Finding{{Step: "indicators", Kind: "no_indicators", Title: "No indicators found in the events or alert context", Severity: WeightInfo}}, nil
	}
	var out []Finding
	for _, ind := range c.Indicators[:min(topIndicators, len(c.Indicators))] {
		f := Finding{Step: "indicators", Kind: ind.Kind, Severity: WeightInfo, Title: describeIndicator(ind)}
		for _, r := range ind.RowIDs {
			f.Evidence = append(f.Evidence, Evidence{Kind: "event", Ref: r})
		}
		out = append(out, f)
	}
	return out, nil
}

func describeIndicator(ind Indicator) string {
	what := ind.Kind
	if ind.Class != "" {
		what = ind.Class + " " + what
	}
	where := fmt.Sprintf("in %d event(s)", ind.Events)
	if ind.Events == 0 {
		where = "in the alert context"
	}
	return fmt.Sprintf("%s %s %s", what, ind.Value, where)
}
