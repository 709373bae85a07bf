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

func (s *detectionStep) Name() string { return "detection" }

func (s *detectionStep) Run(ctx context.Context, c *Case) ([]Finding, error) {
	ref := c.Alert.Detection
	if ref == nil || ref.ID == "" {
		return []Finding{{Step: "detection", Kind: "no_detection", Title: "The alert has no detection (system error)", Severity: WeightInfo}}, nil
	}
	d, err := s.src.Detection(ctx, ref.Type, ref.ID)
	if errors.Is(err, panther.ErrNotFound) {
		return []Finding{{
			Step: "detection", Kind: "detection_missing", Severity: WeightInfo,
			Title:    fmt.Sprintf("Detection %s no longer exists", ref.ID),
			Evidence: []Evidence{{Kind: "detection", Ref: ref.ID}},
		}}, nil
	}
	if le := (*panther.DetectionLookupError)(nil); errors.As(err, &le) && len(le.Denied) > 0 {
		return []Finding{deniedFinding(ref.ID, le.Denied, WeightMissing)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read detection %s: %w", ref.ID, err)
	}
	c.Detection = d
	name := cmp.Or(d.DisplayName, ref.Name, d.ID)
	f := Finding{
		Step: "detection", Kind: "detection", Severity: WeightInfo,
		Title:    fmt.Sprintf("Detection %s (%s, %s)", name, d.ID, strings.TrimSuffix(d.Kind, "s")),
		Detail:   d.Description,
		Evidence: []Evidence{{Kind: "detection", Ref: d.ID}},
	}
	out := []Finding{f}
	if len(d.Denied) > 0 {
		out = append(out, deniedFinding(ref.ID, d.Denied, WeightInfo))
	}
	if tactics := mitre(d.Reports); len(tactics) > 0 {
		out = append(out, Finding{
			Step: "detection", Kind: "mitre", Severity: WeightInfo,
			Title:    "MITRE ATT&CK: " + strings.Join(tactics, ", "),
			Evidence: []Evidence{{Kind: "detection", Ref: d.ID}},
		})
	}
	return out, nil
}

// deniedFinding says which detection collections refused the token, and
// the permission each needs.
func deniedFinding(id string, denied []string, w Weight) Finding {
	var perms []string
	for _, c := range denied {
		perms = append(perms, panther.Permission(c))
	}
	slices.Sort(perms)
	perms = slices.Compact(perms)
	return Finding{
		Step: "detection", Kind: "missing_permission", Severity: w,
		Title: fmt.Sprintf("The API token lacks %s: detection %s could not be looked up in %s",
			strings.Join(perms, " and "), id, strings.Join(denied, ", ")),
		Evidence: []Evidence{{Kind: "detection", Ref: id}},
	}
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
