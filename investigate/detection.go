package investigate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/panther"
)

// DetectionSource reads a detection by the alert's type and detection ID.
type DetectionSource interface {
	Detection(ctx context.Context, alertType, id string) (*panther.Detection, error)
}

// Detection returns the step that reads the alert's detection: its
// description, runbook, tags, MITRE ATT&CK mappings, dedup period and
// threshold.
func Detection(src DetectionSource) Step { return &detectionStep{src: src} }

type detectionStep struct{ src DetectionSource }

func (s *detectionStep) Name() string { return StepDetection }

func (s *detectionStep) Run(ctx context.Context, c *Case) ([]Finding, error) {
	ref := c.Alert.Detection
	if ref == nil || ref.ID == "" {
		return []Finding{{Step: StepDetection, Kind: "no_detection", Title: "The alert has no detection (system error)", Severity: WeightInfo}}, nil
	}
	d, err := s.src.Detection(ctx, ref.Type, ref.ID)
	if errors.Is(err, panther.ErrNotFound) {
		return []Finding{{
			Step: StepDetection, Kind: "detection_missing", Severity: WeightInfo,
			Title:    fmt.Sprintf("Detection %s no longer exists", ref.ID),
			Evidence: []Evidence{{Kind: "detection", Ref: ref.ID}},
		}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read detection %s: %w", ref.ID, err)
	}
	c.Detection = d
	name := cmp.Or(d.DisplayName, ref.Name, d.ID)
	f := Finding{
		Step: StepDetection, Kind: "detection", Severity: WeightInfo,
		Title:    fmt.Sprintf("Detection %s (%s, %s)", name, d.ID, strings.TrimSuffix(d.Kind, "s")),
		Detail:   d.Description,
		Evidence: []Evidence{{Kind: "detection", Ref: d.ID}},
	}
	out := []Finding{f}
	if tactics := mitre(d.Reports); len(tactics) > 0 {
		out = append(out, Finding{
			Step: StepDetection, Kind: "mitre", Severity: WeightInfo,
			Title:    "MITRE ATT&CK: " + strings.Join(tactics, ", "),
			Evidence: []Evidence{{Kind: "detection", Ref: d.ID}},
		})
	}
	return out, nil
}

// mitre lists the detection's MITRE ATT&CK mappings, sorted.
func mitre(reports map[string][]string) []string {
	var out []string
	for framework, ids := range reports {
		if strings.Contains(strings.ToUpper(framework), "MITRE") {
			out = append(out, ids...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
