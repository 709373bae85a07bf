package investigate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/triage"
)

// Writer changes alerts in Panther after an investigation: the write-back
// policies, off unless configured.
type Writer interface {
	UpdateAlertStatus(ctx context.Context, ids []string, status string) error
	AssignAlerts(ctx context.Context, ids []string, userID string) error
}

// WriteBack says what to change on an alert, by verdict: its status (e.g.
// benign → RESOLVED) and its assignee (a Panther user ID).
type WriteBack struct {
	Status   map[string]string
	Assignee map[string]string
}

// ParseVerdictMap reads "verdict=value,verdict=value" (e.g.
// "benign=RESOLVED"); allowed, when set, lists the values accepted.
func ParseVerdictMap(s string, allowed []string) (map[string]string, error) {
	out := map[string]string{}
	verdicts := []string{triage.VerdictMalicious, triage.VerdictSuspicious, triage.VerdictBenign, triage.VerdictInconclusive}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case !ok || v == "":
			return nil, fmt.Errorf("%q is not verdict=value", part)
		case !slices.Contains(verdicts, k):
			return nil, fmt.Errorf("%q: unknown verdict %q (want one of %s)", part, k, strings.Join(verdicts, ", "))
		case allowed != nil && !slices.Contains(allowed, strings.ToUpper(v)):
			return nil, fmt.Errorf("%q: %q is not one of %s", part, v, strings.Join(allowed, ", "))
		}
		if allowed != nil {
			v = strings.ToUpper(v)
		}
		out[k] = v
	}
	return out, nil
}

// writeBack applies the policies for a decided verdict. Both calls are
// idempotent, so a retried job may repeat them.
func (inv *Investigator) writeBack(ctx context.Context, alertID, verdict string) error {
	wb := inv.opts.WriteBack
	if inv.opts.DryRun || inv.opts.Writer == nil {
		return nil
	}
	if status, ok := wb.Status[verdict]; ok {
		if err := inv.opts.Writer.UpdateAlertStatus(ctx, []string{alertID}, status); err != nil {
			return fmt.Errorf("write back status: %w", err)
		}
	}
	if user, ok := wb.Assignee[verdict]; ok {
		if err := inv.opts.Writer.AssignAlerts(ctx, []string{alertID}, user); err != nil {
			return fmt.Errorf("write back assignee: %w", err)
		}
	}
	return nil
}
