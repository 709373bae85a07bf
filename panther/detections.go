package panther

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
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

// Detection collections of the REST API.
const (
	CollectionRules          = "rules"
	CollectionSimpleRules    = "simple-rules"
	CollectionScheduledRules = "scheduled-rules"
	CollectionPolicies       = "policies"
)

// collections is the order detections are looked for in when the alert's
// type does not name a collection first.
var collections = []string{CollectionRules, CollectionSimpleRules, CollectionScheduledRules, CollectionPolicies}

// collectionsFor returns the REST collections to try for an alert type: the
// one its type names first (a RULE alert may come from a rule or a simple
// rule, kept apart by Panther), then every other.
func collectionsFor(alertType string) []string {
	var first []string
	switch alertType {
	case "RULE", "RULE_ERROR":
		first = []string{CollectionRules, CollectionSimpleRules}
	case "SCHEDULED_RULE", "SCHEDULED_RULE_ERROR":
		first = []string{CollectionScheduledRules}
	case "POLICY":
		first = []string{CollectionPolicies}
	}
	out := slices.Clone(first)
	for _, c := range collections {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Permission names the API token permission, as the Console shows it, that
// reading a detection collection needs.
func Permission(collection string) string {
	if collection == CollectionPolicies {
		return PermViewPolicies
	}
	return PermViewRules
}

// Permissions as the Console names them.
const (
	PermReadAlerts     = "Read Alerts"
	PermManageAlerts   = "Manage Alerts"
	PermViewRules      = "View Rules"
	PermViewPolicies   = "View Policies"
	PermQueryDataLake  = "Query Data Lake"
	PermViewLogSources = "View Log Sources"
	PermReadUserInfo   = "Read User Info"
	PermReadTokenInfo  = "Read API Token Info"
)

// DetectionLookupError reports that no collection served the detection.
// errors.Is matches ErrForbidden when some collection refused the token
// (Denied), ErrNotFound otherwise.
type DetectionLookupError struct {
	ID string
	// Denied are the collections that answered 403.
	Denied []string
}

// Error implements error.
func (e *DetectionLookupError) Error() string {
	if len(e.Denied) == 0 {
		return fmt.Sprintf("panther: get detection %s: %s", e.ID, ErrNotFound)
	}
	return fmt.Sprintf("panther: get detection %s: not found where the token may read, and %s refused it (%s)",
		e.ID, strings.Join(e.Denied, ", "), ErrForbidden)
}

// Is implements errors.Is for ErrNotFound, ErrForbidden and ErrUnauthorized.
func (e *DetectionLookupError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return len(e.Denied) == 0
	case ErrForbidden, ErrUnauthorized:
		return len(e.Denied) > 0
	}
	return false
}

// Detection reads the detection an alert came from through REST, trying
// first the collection the alert's type names (/rules/{id} and then
// /simple-rules/{id} for RULE, /scheduled-rules/{id} for SCHEDULED_RULE,
// /policies/{id} for POLICY), then the others. A 404 means "not that
// kind"; a 403 means the token may not read that collection, and the search
// goes on. The detection says which collection answered (Kind) and which
// refused the token (Denied). When none has it, the error is a
// *DetectionLookupError. For a policy, LogTypes holds its resource types.
func (c *Client) Detection(ctx context.Context, alertType, id string) (*Detection, error) {
	var denied []string
	for _, kind := range collectionsFor(alertType) {
		var d restDetection
		err := c.rest(ctx, "detection", "GET", "/"+kind+"/"+url.PathEscape(id), nil, nil, &d)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case errors.Is(err, ErrForbidden):
			denied = append(denied, kind)
			continue
		case err != nil:
			return nil, fmt.Errorf("panther: get detection %s from %s: %w", id, kind, err)
		}
		logTypes := d.LogTypes
		if len(logTypes) == 0 {
			logTypes = d.ResourceTypes
		}
		return &Detection{
			ID:                 cmp.Or(d.ID, id),
			Kind:               kind,
			Denied:             denied,
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
	return nil, &DetectionLookupError{ID: id, Denied: denied}
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
