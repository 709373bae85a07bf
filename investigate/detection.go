package investigate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
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

func (s *detectionStep) Name() string { return triage.StepDetection }

func (s *detectionStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	ref := c.Alert.Detection
	if ref == nil || ref.ID == "" {
		return []triage.Finding{systemErrorFinding(c.Alert)}, nil
	}
	d, err := s.src.Detection(ctx, ref.Type, ref.ID)
	if ref.Deleted || errors.Is(err, panther.ErrNotFound) {
		return []triage.Finding{{
			Step: triage.StepDetection, Kind: "detection_missing", Weight: triage.WeightInfo,
			Title: fmt.Sprintf("Detection %s no longer exists", ref.ID),
			Detail: "Its description, runbook and MITRE ATT&CK mapping could not be read, so this report judges the events alone. " +
				"Its earlier alerts are still read by its ID, but it will raise no new ones: if it was deleted by mistake, what it detected now goes unseen.",
			Evidence: []triage.Evidence{{Kind: "detection", Ref: ref.ID}},
		}}, nil
	}
	if le := (*panther.DetectionLookupError)(nil); errors.As(err, &le) && len(le.Denied) > 0 {
		return []triage.Finding{deniedFinding(ref.ID, le.Denied, triage.WeightMissing)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read detection %s: %w", ref.ID, err)
	}
	c.Detection = d
	name := cmp.Or(d.DisplayName, ref.Name, d.ID)
	f := triage.Finding{
		Step: triage.StepDetection, Kind: "detection", Weight: triage.WeightInfo,
		Title:    fmt.Sprintf("Detection %s (%s, %s)", name, d.ID, strings.TrimSuffix(d.Kind, "s")),
		Detail:   d.Description,
		Evidence: []triage.Evidence{{Kind: "detection", Ref: d.ID}},
	}
	out := []triage.Finding{f}
	if len(d.Denied) > 0 {
		out = append(out, deniedFinding(ref.ID, d.Denied, triage.WeightInfo))
	}
	if tactics := mitre(d.Reports); len(tactics) > 0 {
		out = append(out, triage.Finding{
			Step: triage.StepDetection, Kind: "mitre", Weight: triage.WeightInfo,
			Title:    "MITRE ATT&CK: " + strings.Join(tactics, ", "),
			Evidence: []triage.Evidence{{Kind: "detection", Ref: d.ID}},
		})
	}
	return out, nil
}

// deniedFinding says which detection collections refused the token, and
// the permission each needs.
func deniedFinding(id string, denied []string, w triage.Weight) triage.Finding {
	var perms []string
	for _, c := range denied {
		perms = append(perms, panther.Permission(c))
	}
	slices.Sort(perms)
	perms = slices.Compact(perms)
	return triage.Finding{
		Step: "detection", Kind: "missing_permission", Weight: w,
		Title: fmt.Sprintf("The API token lacks %s: detection %s could not be looked up in %s",
			strings.Join(perms, " and "), id, strings.Join(denied, ", ")),
		Evidence: []triage.Evidence{{Kind: "detection", Ref: id}},
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

// systemErrors say, per Panther system error type, what failed and what may
// go undetected because of it.
var systemErrors = map[string]struct{ failed, unseen string }{
	"SOURCE_NO_DATA": {"a log source has stopped sending data",
		"detections on its log types cannot fire until data flows again, so activity in the gap goes unseen; check the source's credentials, permissions and the service it reads from"},
	"SOURCE_CLASSIFICATION_FAILURES": {"a log source sends events Panther cannot parse",
		"those events are not stored or matched, so detections on them miss; check the schema the source is attached to"},
	"SOURCE_PERMISSION_DENIED": {"Panther cannot read a log source",
		"its logs are not ingested, so detections on them cannot fire; check the IAM role or credentials of the source"},
	"DESTINATION_DELIVERY_FAILURE": {"Panther could not deliver alerts to a destination",
		"alerts meant for it (tickets, chat, this service) may not have arrived; check the destination's URL and credentials and replay what was missed"},
	"RULE_ERROR": {"a detection raised an error while running",
		"events that made it fail were not judged, so what it should detect may go unseen; read the error and fix the detection"},
	"POLICY_ERROR": {"a policy raised an error while evaluating resources",
		"resources it could not evaluate are not checked; read the error and fix the policy"},
	"SCHEDULED_QUERY_ERROR": {"a scheduled query failed",
		"scheduled rules on it did not run for that period; read the query's error and rerun it"},
}

// systemErrorFinding says what a system-error alert reports: what failed,
// which component, and what may go undetected because of it.
func systemErrorFinding(a *panther.Alert) triage.Finding {
	f := triage.Finding{Step: triage.StepDetection, Kind: "system_error", Weight: triage.WeightInfo}
	se := a.SystemError
	if se == nil {
		f.Kind, f.Title = "no_detection", "The alert has no detection and names no system error"
		return f
	}
	what := cmp.Or(text(a.Context["sourceLabel"]), text(a.Context["destinationName"]), text(a.Context["detectionId"]), strings.ToLower(strings.ReplaceAll(se.RelatedComponent, "_", " ")))
	known, ok := systemErrors[se.Type]
	if !ok {
		known.failed = "Panther reported a system error (" + se.Type + ")"
		known.unseen = "part of the pipeline may not be working, so alerts may be missing; read the error in Panther's System Health page"
	}
	f.Title = fmt.Sprintf("System health: %s (%s)", known.failed, what)
	f.Detail = "What may go undetected: " + known.unseen + "."
	return f
}
