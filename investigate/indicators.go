package investigate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/triage"
)

// Indicators returns the step that extracts and ranks the indicators of the
// alert's events and context (see ExtractIndicators).
func Indicators() Step { return indicatorsStep{} }

type indicatorsStep struct{}

func (indicatorsStep) Name() string    { return triage.StepIndicators }
func (indicatorsStep) After() []string { return []string{triage.StepEvents} }

func (indicatorsStep) Run(_ context.Context, c *Case) ([]triage.Finding, error) {
	c.Indicators = ExtractIndicators(c.Events, c.Alert.Context)
	if len(c.Indicators) == 0 {
		return []triage.Finding{{Step: triage.StepIndicators, Kind: "no_indicators", Title: "No indicators found in the events or alert context", Weight: triage.WeightInfo}}, nil
	}
	return []triage.Finding{{Step: triage.StepIndicators, Kind: "indicator_count", Weight: triage.WeightInfo, Title: countIndicators(c.Indicators)}}, nil
}

// countIndicators says how many indicators of each kind were found, e.g.
// "5 indicators: 1 public ip, 2 aws_arn, 2 username".
func countIndicators(inds []Indicator) string {
	counts := map[string]int{}
	for _, ind := range inds {
		kind := ind.Kind
		if ind.Class != "" {
			kind = ind.Class + " " + kind
		}
		counts[kind]++
	}
	parts := make([]string, 0, len(counts))
	for kind, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, kind))
	}
	slices.Sort(parts)
	return fmt.Sprintf("%d indicators: %s", len(inds), strings.Join(parts, ", "))
}
