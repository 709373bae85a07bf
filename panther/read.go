package panther

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// AlertRequest says what ReadAlert reads besides the alert itself, in the
// same GraphQL document.
type AlertRequest struct {
	// ID is the alert's ID.
	ID string
	// Events is the size of the first page of events read with the alert
	// (at most 50); 0 reads none.
	Events int
	// DetectionID, when known before the alert is read (from its delivery),
	// also lists that detection's alerts created between HistoryAfter and
	// HistoryBefore, newest first, up to HistoryMax (at most 50).
	DetectionID                 string
	HistoryAfter, HistoryBefore time.Time
	HistoryMax                  int
}

// AlertRead is what ReadAlert read.
type AlertRead struct {
	Alert *Alert
	// Events is the first page of events; EventsComplete says that it holds
	// every event of the alert.
	Events         []Event
	EventsComplete bool
	// History is the detection's alerts of the request's window, newest
	// first, when DetectionID was given; HistoryComplete says that no page
	// was left unread.
	History         []Alert
	HistoryComplete bool
	// HistoryAfter and HistoryBefore are the window History covers, as
	// requested.
	HistoryAfter, HistoryBefore time.Time
}

// alertEventsPage is one page of Alert.events.
type alertEventsPage struct {
	Edges []struct {
		Node json.RawMessage `graphql:"node" scalar:"true"`
	} `graphql:"edges"`
	PageInfo struct {
		HasNextPage bool    `graphql:"hasNextPage"`
		EndCursor   *string `graphql:"endCursor"`
	} `graphql:"pageInfo"`
}

// alertWithEvents is an alert with the first page of its events.
type alertWithEvents struct {
	alertFields
	Events *alertEventsPage `graphql:"events(input: $events)"`
}

// ReadAlert reads an alert, the first page of its events and, when the
// request names the detection, the detection's recent alerts, in one
// GraphQL document; then REST's GET /alerts/{id} for the context and the
// event count, unless the events already carry them (every event read, each
// with p_alert_context).
//
// Only GraphQL decides whether the alert exists (ErrNotFound). A REST
// failure is kept in Alert.RESTError and loses only Context and EventCount.
func (c *Client) ReadAlert(ctx context.Context, req AlertRequest) (*AlertRead, error) {
	vars := map[string]any{
		"id":     graphql.ID(req.ID),
		"events": alertEventsInput{PageSize: max(1, min(req.Events, eventsPageSize))},
	}
	var (
		fields  alertWithEvents
		history *alertsPage
	)
	if req.DetectionID != "" {
		in := newAlertsInput(req.DetectionID, "", req.HistoryAfter, req.HistoryBefore)
		in.PageSize = max(1, min(req.HistoryMax, alertsPageSize))
		vars["history"] = in
		var q struct {
			Alert   alertWithEvents `graphql:"alert(id: $id)"`
			History alertsPage      `graphql:"history: alerts(input: $history)"`
		}
		if err := c.query(ctx, "alert", "PantherTriageAlertWithHistory", &q, vars); err != nil {
			return nil, fmt.Errorf("panther: get alert %s from %s: %w", req.ID, c.gqlURL, err)
		}
		fields, history = q.Alert, &q.History
	} else {
		var q struct {
			Alert alertWithEvents `graphql:"alert(id: $id)"`
		}
		if err := c.query(ctx, "alert", "PantherTriageAlert", &q, vars); err != nil {
			return nil, fmt.Errorf("panther: get alert %s from %s: %w", req.ID, c.gqlURL, err)
		}
		fields = q.Alert
	}

	out := &AlertRead{Alert: toAlert(fields.alertFields)}
	if out.Alert.ID == "" {
		out.Alert.ID = req.ID
	}
	if req.Events > 0 && fields.Events != nil {
		for i, e := range fields.Events.Edges {
			ev, err := decodeEvent(e.Node)
			if err != nil {
				return nil, fmt.Errorf("panther: get alert %s: event %d: %w", req.ID, i, err)
			}
			out.Events = append(out.Events, ev)
		}
		out.EventsComplete = !fields.Events.PageInfo.HasNextPage
	}
	if history != nil {
		out.HistoryAfter, out.HistoryBefore = req.HistoryAfter, req.HistoryBefore
		out.History = history.alerts()
		out.HistoryComplete = !history.PageInfo.HasNextPage
	}
	if ctxs, ok := eventContexts(out); ok {
		out.Alert.EventCount, out.Alert.Context = len(out.Events), ctxs
	} else {
		c.readREST(ctx, out.Alert)
	}
	return out, nil
}

// eventContexts returns the alert context carried by the events when every
// event was read and each carries p_alert_context, so that REST's read
// would add nothing.
func eventContexts(r *AlertRead) (map[string]any, bool) {
	if !r.EventsComplete || len(r.Events) == 0 {
		return nil, false
	}
	var first map[string]any
	for _, ev := range r.Events {
		v, ok := ev["p_alert_context"]
		if !ok {
			return nil, false
		}
		if first == nil {
			first, _ = v.(map[string]any)
			if s, isString := v.(string); isString {
				first = decodeContext(json.RawMessage(fmt.Sprintf("%q", s)))
			}
		}
	}
	if first == nil {
		first = map[string]any{}
	}
	return first, true
}
