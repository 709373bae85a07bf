package panther

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// alertFields is the GraphQL selection of an alert. Inside origin,
// Detection.type (DetectionType!) and SystemError.type (SystemErrorType!)
// cannot be merged, so Panther rejects the query unless both are aliased.
type alertFields struct {
	ID                   string  `graphql:"id"`
	Title                string  `graphql:"title"`
	Description          string  `graphql:"description"`
	Severity             string  `graphql:"severity"`
	Status               string  `graphql:"status"`
	Type                 string  `graphql:"type"`
	Reference            string  `graphql:"reference"`
	Runbook              string  `graphql:"runbook"`
	CreatedAt            string  `graphql:"createdAt"`
	UpdatedAt            *string `graphql:"updatedAt"`
	FirstEventOccurredAt *string `graphql:"firstEventOccurredAt"`
	LastReceivedEventAt  string  `graphql:"lastReceivedEventAt"`
	Assignee             *struct {
		ID         string  `graphql:"id"`
		Email      string  `graphql:"email"`
		GivenName  *string `graphql:"givenName"`
		FamilyName *string `graphql:"familyName"`
	} `graphql:"assignee"`
	Origin struct {
		Typename  string `graphql:"__typename"`
		Detection struct {
			ID            string `graphql:"id"`
			Name          string `graphql:"name"`
			DetectionType string `graphql:"detectionType: type"`
		} `graphql:"... on Detection"`
		DeletedDetection struct {
			ID string `graphql:"id"`
		} `graphql:"... on DeletedDetection"`
		SystemError struct {
			RelatedComponent string `graphql:"relatedComponent"`
			SystemErrorType  string `graphql:"systemErrorType: type"`
		} `graphql:"... on SystemError"`
	} `graphql:"origin"`
}

// restAlert is the part of REST's GET /alerts/{id} that GraphQL lacks.
type restAlert struct {
	Context    json.RawMessage `json:"context"`
	EventCount int             `json:"eventCount"`
	Detection  *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"detection"`
}

// Alert reads one alert: GraphQL alert(id) for its fields, assignee and
// origin, and REST GET /alerts/{id} for its context and event count. Only
// GraphQL decides whether the alert exists: a missing alert is ErrNotFound
// when GraphQL says so. When GraphQL served the alert and REST failed (a
// wrong REST URL, a proxy that serves only GraphQL), the alert comes back
// with RESTError set and without Context and EventCount.
func (c *Client) Alert(ctx context.Context, id string) (*Alert, error) {
	b, err := c.ReadAlert(ctx, AlertRequest{ID: id})
	if err != nil {
		return nil, err
	}
	return b.Alert, nil
}

// readREST completes a from REST's GET /alerts/{id}; a failure is recorded
// in a.RESTError, never returned.
func (c *Client) readREST(ctx context.Context, a *Alert) {
	var r restAlert
	if err := c.rest(ctx, "alert_rest", "GET", "/alerts/"+url.PathEscape(a.ID), nil, nil, &r); err != nil {
		a.RESTError = fmt.Errorf("panther: get alert %s from %s/alerts: %w", a.ID, c.restURL, err)
		return
	}
	a.EventCount = r.EventCount
	a.Context = decodeContext(r.Context)
	if d := r.Detection; d != nil && d.ID != "" {
		switch {
		case a.Detection == nil && a.SystemError == nil:
			a.Detection = &DetectionRef{ID: d.ID, Type: d.Type}
		case a.Detection != nil && a.Detection.ID == d.ID && a.Detection.Type == "":
			a.Detection.Type = d.Type
		}
	}
}

// toAlert converts the GraphQL selection to the package's Alert.
func toAlert(f alertFields) *Alert {
	a := &Alert{
		ID:                   f.ID,
		Title:                f.Title,
		Description:          f.Description,
		Severity:             f.Severity,
		Status:               f.Status,
		Type:                 f.Type,
		Reference:            f.Reference,
		Runbook:              f.Runbook,
		CreatedAt:            parseTime(f.CreatedAt),
		UpdatedAt:            parseTimePtr(f.UpdatedAt),
		FirstEventOccurredAt: parseTimePtr(f.FirstEventOccurredAt),
		LastReceivedEventAt:  parseTime(f.LastReceivedEventAt),
	}
	if u := f.Assignee; u != nil {
		a.Assignee = &User{
			ID:    u.ID,
			Email: u.Email,
			Name:  strings.TrimSpace(deref(u.GivenName) + " " + deref(u.FamilyName)),
		}
	}
	switch o := f.Origin; o.Typename {
	case "Detection":
		a.Detection = &DetectionRef{ID: o.Detection.ID, Name: o.Detection.Name, Type: o.Detection.DetectionType}
	case "DeletedDetection":
		a.Detection = &DetectionRef{ID: o.DeletedDetection.ID, Deleted: true}
	case "SystemError":
		a.SystemError = &SystemErrorRef{Type: o.SystemError.SystemErrorType, RelatedComponent: o.SystemError.RelatedComponent}
	}
	return a
}

// decodeContext reads REST's alert context: an object, or an object encoded
// as a JSON string. Anything else yields nil.
func decodeContext(raw json.RawMessage) map[string]any {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		raw = []byte(s)
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// eventsPageSize is the largest page of events asked for at once.
const eventsPageSize = 50

// alertEventsInput is GraphQL's AlertEventsInput.
type alertEventsInput struct {
	Cursor   *string `json:"cursor,omitempty"`
	PageSize int     `json:"pageSize"`
}

// GetGraphQLType names the input type for the query's variable declaration.
func (alertEventsInput) GetGraphQLType() string { return "AlertEventsInput" }

// AlertEvents reads up to max events of an alert through GraphQL, following
// the cursor page by page (at most 50 a page, fewer near max). max < 1
// returns no events. Events come in Panther's order, which is not
// guaranteed to be chronological.
func (c *Client) AlertEvents(ctx context.Context, id string, max int) ([]Event, error) {
	var events []Event
	var cursor *string
	for len(events) < max {
		var q struct {
			Alert struct {
				Events *struct {
					Edges []struct {
						Node json.RawMessage `graphql:"node" scalar:"true"`
					} `graphql:"edges"`
					PageInfo struct {
						HasNextPage bool    `graphql:"hasNextPage"`
						EndCursor   *string `graphql:"endCursor"`
					} `graphql:"pageInfo"`
				} `graphql:"events(input: $input)"`
			} `graphql:"alert(id: $id)"`
		}
		vars := map[string]any{
			"id":    graphql.ID(id),
			"input": alertEventsInput{Cursor: cursor, PageSize: min(eventsPageSize, max-len(events))},
		}
		if err := c.query(ctx, "alert_events", "PantherTriageAlertEvents", &q, vars); err != nil {
			return nil, fmt.Errorf("panther: get events of alert %s: %w", id, err)
		}
		page := q.Alert.Events
		if page == nil {
			break
		}
		for i, e := range page.Edges {
			ev, err := decodeEvent(e.Node)
			if err != nil {
				return nil, fmt.Errorf("panther: get events of alert %s: event %d: %w", id, len(events)+i, err)
			}
			events = append(events, ev)
		}
		next := page.PageInfo.EndCursor
		if !page.PageInfo.HasNextPage || next == nil || *next == "" || len(page.Edges) == 0 ||
			(cursor != nil && *next == *cursor) {
			break
		}
		cursor = next
	}
	if len(events) > max {
		events = events[:max]
	}
	return events, nil
}

// decodeEvent reads an event node: a JSON object, or one encoded as a string.
func decodeEvent(raw json.RawMessage) (Event, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		raw = []byte(s)
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	return ev, nil
}

// updateAlertStatusByIDInput is GraphQL's UpdateAlertStatusByIdInput.
type updateAlertStatusByIDInput struct {
	IDs    []string `json:"ids"`
	Status string   `json:"status"`
}

// GetGraphQLType names the input type for the mutation's variable declaration.
func (updateAlertStatusByIDInput) GetGraphQLType() string { return "UpdateAlertStatusByIdInput" }

// UpdateAlertStatus sets the status (OPEN, TRIAGED, RESOLVED or CLOSED) of
// the given alerts.
func (c *Client) UpdateAlertStatus(ctx context.Context, ids []string, status string) error {
	var m struct {
		UpdateAlertStatusByID struct {
			Alerts []struct {
				ID     string `graphql:"id"`
				Status string `graphql:"status"`
			} `graphql:"alerts"`
		} `graphql:"updateAlertStatusById(input: $input)"`
	}
	vars := map[string]any{"input": updateAlertStatusByIDInput{IDs: ids, Status: status}}
	if err := c.mutate(ctx, "update_alert_status", "PantherTriageUpdateAlertStatus", &m, vars); err != nil {
		return fmt.Errorf("panther: set status %s on alerts %s: %w", status, strings.Join(ids, ","), err)
	}
	return nil
}

// parseTime reads a Panther DateTime (RFC 3339 in UTC); malformed or empty
// values give the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// parseTimePtr is parseTime for nullable fields.
func parseTimePtr(s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	t := parseTime(*s)
	if t.IsZero() {
		return nil
	}
	return &t
}

// deref returns the string s points to, or "".
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// alertsPageSize is the page size used when listing alerts.
const alertsPageSize = 50

// MaxListedAlerts is the documented cap of one listing: AlertsByDetection
// and AlertsBetween read at most this many alerts whatever max asks, newest
// first; a caller that got this many knows the window held more.
const MaxListedAlerts = 1000

// Listing types of GraphQL's alerts(input: {type}): each lists some alert
// types.
const (
	ListingAlert          = "ALERT"           // RULE, SCHEDULED_RULE, POLICY
	ListingDetectionError = "DETECTION_ERROR" // RULE_ERROR, SCHEDULED_RULE_ERROR
	ListingSystemError    = "SYSTEM_ERROR"    // SYSTEM_ERROR
)

// Listings are every listing type, so that a caller can cover every alert
// type.
var Listings = []string{ListingAlert, ListingDetectionError, ListingSystemError}

// alertsInput is the part of GraphQL's AlertsInput this client sets. Every
// listing names a detection alone, or both dates (with a detection or not),
// and sorts explicitly: newest first.
type alertsInput struct {
	DetectionID     string  `json:"detectionId,omitempty"`
	CreatedAtAfter  string  `json:"createdAtAfter,omitempty"`
	CreatedAtBefore string  `json:"createdAtBefore,omitempty"`
	Type            string  `json:"type,omitempty"`
	SortBy          string  `json:"sortBy"`
	SortDir         string  `json:"sortDir"`
	Cursor          *string `json:"cursor,omitempty"`
	PageSize        int     `json:"pageSize"`
}

// GetGraphQLType names the input type for the query's variable declaration.
func (alertsInput) GetGraphQLType() string { return "AlertsInput" }

// newAlertsInput is the input listing alerts between after and before,
// newest first.
func newAlertsInput(detectionID, listing string, after, before time.Time) alertsInput {
	return alertsInput{
		DetectionID: detectionID, Type: listing,
		CreatedAtAfter: formatDateTime(after), CreatedAtBefore: formatDateTime(before),
		SortBy: "createdAt", SortDir: "descending",
	}
}

// AlertsByDetection lists up to max (at most MaxListedAlerts) alerts of a
// detection created between after and before, newest first. The alerts come
// from GraphQL alone: Context and EventCount are not set.
func (c *Client) AlertsByDetection(ctx context.Context, detectionID string, after, before time.Time, max int) ([]Alert, error) {
	in := newAlertsInput(detectionID, "", after, before)
	alerts, err := c.listAlerts(ctx, in, max)
	if err != nil {
		return nil, fmt.Errorf("panther: list alerts of detection %s: %w", detectionID, err)
	}
	return alerts, nil
}

// AlertsBetween lists up to max (at most MaxListedAlerts) alerts of every
// detection created between after and before, newest first: Panther's
// ALERT listing (rules, scheduled rules and policies). Context and
// EventCount are not set.
func (c *Client) AlertsBetween(ctx context.Context, after, before time.Time, max int) ([]Alert, error) {
	return c.ListAlerts(ctx, ListingAlert, after, before, max)
}

// ListAlerts lists up to max (at most MaxListedAlerts) alerts of one
// listing type (ListingAlert, ListingDetectionError or ListingSystemError)
// created between after and before, newest first. Context and EventCount
// are not set.
func (c *Client) ListAlerts(ctx context.Context, listing string, after, before time.Time, max int) ([]Alert, error) {
	in := newAlertsInput("", listing, after, before)
	alerts, err := c.listAlerts(ctx, in, max)
	if err != nil {
		return nil, fmt.Errorf("panther: list %s alerts created between %s and %s: %w",
			listing, in.CreatedAtAfter, in.CreatedAtBefore, err)
	}
	return alerts, nil
}

// alertsPage is one page of alerts(input).
type alertsPage struct {
	Edges []struct {
		Node alertFields `graphql:"node"`
	} `graphql:"edges"`
	PageInfo struct {
		HasNextPage bool    `graphql:"hasNextPage"`
		EndCursor   *string `graphql:"endCursor"`
	} `graphql:"pageInfo"`
}

// alerts converts the page's alerts.
func (p alertsPage) alerts() []Alert {
	out := make([]Alert, 0, len(p.Edges))
	for _, e := range p.Edges {
		out = append(out, *toAlert(e.Node))
	}
	return out
}

// next returns the cursor of the next page, or nil at the end.
func (p alertsPage) next(cursor *string) *string {
	next := p.PageInfo.EndCursor
	if !p.PageInfo.HasNextPage || next == nil || *next == "" || len(p.Edges) == 0 ||
		(cursor != nil && *next == *cursor) {
		return nil
	}
	return next
}

// listAlerts pages through alerts(input) up to max alerts (at most
// MaxListedAlerts).
func (c *Client) listAlerts(ctx context.Context, in alertsInput, max int) ([]Alert, error) {
	max = min(max, MaxListedAlerts)
	var out []Alert
	for len(out) < max {
		var q struct {
			Alerts alertsPage `graphql:"alerts(input: $input)"`
		}
		in.PageSize = min(alertsPageSize, max-len(out))
		if err := c.query(ctx, "alerts", "PantherTriageAlerts", &q, map[string]any{"input": in}); err != nil {
			return nil, err
		}
		out = append(out, q.Alerts.alerts()...)
		next := q.Alerts.next(in.Cursor)
		if next == nil {
			break
		}
		in.Cursor = next
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// formatDateTime writes a Panther DateTime: UTC with milliseconds.
func formatDateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// updateAlertsAssigneeByIDInput is GraphQL's UpdateAlertsAssigneeByIdInput.
type updateAlertsAssigneeByIDInput struct {
	IDs        []string `json:"ids"`
	AssigneeID string   `json:"assigneeId"`
}

// GetGraphQLType names the input type for the query's variable declaration.
func (updateAlertsAssigneeByIDInput) GetGraphQLType() string { return "UpdateAlertsAssigneeByIdInput" }

// AssignAlerts sets the assignee of alerts to the Panther user with that ID
// (updateAlertsAssigneeById).
func (c *Client) AssignAlerts(ctx context.Context, ids []string, userID string) error {
	var m struct {
		Out struct {
			Alerts []struct {
				ID string `graphql:"id"`
			} `graphql:"alerts"`
		} `graphql:"updateAlertsAssigneeById(input: $input)"`
	}
	vars := map[string]any{"input": updateAlertsAssigneeByIDInput{IDs: ids, AssigneeID: userID}}
	if err := c.mutate(ctx, "assign_alerts", "PantherTriageAssignAlerts", &m, vars); err != nil {
		return fmt.Errorf("panther: assign alerts %s to user %s: %w", strings.Join(ids, ","), userID, err)
	}
	return nil
}
