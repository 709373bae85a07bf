package panther

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
)

// restDetection holds the fields of REST's rule, scheduled rule, simple rule
// and policy that this service reads. Policies have resourceTypes where
// rules have logTypes, and no dedup period or threshold.
type restDetection struct {
	ID                 string              `json:"id"`
	DisplayName        string              `json:"displayName"`
	Description        string              `json:"description"`
	Runbook            string              `json:"runbook"`
	Severity           string              `json:"severity"`
	Tags               []string            `json:"tags"`
	LogTypes           []string            `json:"logTypes"`
	ResourceTypes      []string            `json:"resourceTypes"`
	Reports            map[string][]string `json:"reports"`
	DedupPeriodMinutes int                 `json:"dedupPeriodMinutes"`
	Threshold          int                 `json:"threshold"`
	Enabled            bool                `json:"enabled"`
}

// kindsFor returns the REST collections to try for an alert type: every
// collection a detection can live in when the type does not say.
func kindsFor(alertType string) []string {
	switch alertType {
	case "RULE":
		return []string{"rules"}
	case "SCHEDULED_RULE":
		return []string{"scheduled-rules"}
	case "POLICY":
		return []string{"policies"}
	}
	return []string{"rules", "scheduled-rules", "policies", "simple-rules"}
}

// Detection reads the detection an alert came from through REST:
// /rules/{id} for a RULE alert, /scheduled-rules/{id} for SCHEDULED_RULE,
// /policies/{id} for POLICY. For any other alert type it tries rules,
// scheduled rules, policies and simple rules in turn, a 404 meaning "not
// that kind". ErrNotFound when none has it. For a policy, LogTypes holds its
// resource types.
func (c *Client) Detection(ctx context.Context, alertType, id string) (*Detection, error) {
	for _, kind := range kindsFor(alertType) {
		var d restDetection
		err := c.rest(ctx, "detection", "GET", "/"+kind+"/"+url.PathEscape(id), nil, nil, &d)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("panther: get detection %s from %s: %w", id, kind, err)
		}
		logTypes := d.LogTypes
		if len(logTypes) == 0 {
			logTypes = d.ResourceTypes
		}
		return &Detection{
			ID:                 cmp.Or(d.ID, id),
			Kind:               kind,
			DisplayName:        d.DisplayName,
			Description:        d.Description,
			Runbook:            d.Runbook,
			Severity:           d.Severity,
			Tags:               d.Tags,
			LogTypes:           logTypes,
			Reports:            d.Reports,
			DedupPeriodMinutes: d.DedupPeriodMinutes,
			Threshold:          d.Threshold,
			Enabled:            d.Enabled,
		}, nil
	}
	return nil, fmt.Errorf("panther: get detection %s: %w", id, ErrNotFound)
}

// Version returns the deployed Panther version
// (query { generalSettings { pantherVersion } }): the cheap call that proves
// the URL and the token work.
func (c *Client) Version(ctx context.Context) (string, error) {
	var q struct {
		GeneralSettings struct {
			PantherVersion *string `graphql:"pantherVersion"`
		} `graphql:"generalSettings"`
	}
	if err := c.query(ctx, "version", "PantherTriageVersion", &q, nil); err != nil {
		return "", fmt.Errorf("panther: get version: %w", err)
	}
	return deref(q.GeneralSettings.PantherVersion), nil
}
