package panthersim

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/panther-triage/panther-triage/panther"
)

// Resolvers run with s.mu held (serveGraphQL locks around execution), so
// they read and change server state directly.

// queryRoot returns the root Query object.
func (s *Server) queryRoot() map[string]any {
	return map[string]any{
		"alert": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("AlertRead") {
				return nil, forbidden()
			}
			id := str(args["id"])
			a, ok := s.alerts[id]
			if !ok {
				return nil, notFound("alert " + id + " not found")
			}
			return s.alertObject(a), nil
		}),
		"alerts": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("AlertRead") {
				return nil, forbidden()
			}
			return s.listAlerts(obj(args["input"]))
		}),
		"generalSettings": map[string]any{"pantherVersion": s.version},
		"dataLakeQuery": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("DataAnalyticsRead") {
				return nil, forbidden()
			}
			return s.dataLakeQuery(str(args["id"]))
		}),
	}
}

// mutationRoot returns the root Mutation object.
func (s *Server) mutationRoot() map[string]any {
	return map[string]any{
		"createAlertComment": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("AlertModify") {
				return nil, forbidden()
			}
			in := obj(args["input"])
			id := str(in["alertId"])
			a, ok := s.alerts[id]
			if !ok {
				return nil, notFound("alert " + id + " not found")
			}
			c := s.addCommentLocked(id, str(in["body"]), str(in["format"]))
			return map[string]any{"comment": s.commentObject(c, a)}, nil
		}),
		"updateAlertStatusById": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("AlertModify") {
				return nil, forbidden()
			}
			in := obj(args["input"])
			alerts, err := s.alertsByID(in["ids"])
			if err != nil {
				return nil, err
			}
			now := s.now().UTC()
			out := make([]any, 0, len(alerts))
			for _, a := range alerts {
				a.Status = str(in["status"])
				a.updatedAt = &now
				out = append(out, s.alertObject(a))
			}
			return map[string]any{"alerts": out}, nil
		}),
		"updateAlertsAssigneeById": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("AlertModify") {
				return nil, forbidden()
			}
			in := obj(args["input"])
			alerts, err := s.alertsByID(in["ids"])
			if err != nil {
				return nil, err
			}
			var assignee *SeedUser
			if id := str(in["assigneeId"]); id != "" {
				u, ok := s.users[id]
				if !ok {
					return nil, notFound("user " + id + " not found")
				}
				assignee = &u
			}
			now := s.now().UTC()
			out := make([]any, 0, len(alerts))
			for _, a := range alerts {
				a.Assignee = assignee
				a.updatedAt = &now
				out = append(out, s.alertObject(a))
			}
			return map[string]any{"alerts": out}, nil
		}),
		"executeDataLakeQuery": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("DataAnalyticsRead") {
				return nil, forbidden()
			}
			return s.executeSQL(obj(args["input"])), nil
		}),
		"executeIndicatorSearchQuery": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("DataAnalyticsRead") {
				return nil, forbidden()
			}
			return s.executeIndicatorSearch(obj(args["input"]))
		}),
		"cancelDataLakeQuery": resolver(func(args map[string]any) (any, error) {
			if !s.allowed("DataAnalyticsRead") {
				return nil, forbidden()
			}
			return s.cancelQuery(str(obj(args["input"])["id"]))
		}),
	}
}

// alertObject is an alert as GraphQL's Alert type.
func (s *Server) alertObject(a *alertState) map[string]any {
	events := a.Events // never changed after AddAlert: safe to read later
	return map[string]any{
		"__typename":           "Alert",
		"id":                   a.ID,
		"title":                a.Title,
		"description":          a.Description,
		"severity":             a.Severity,
		"status":               a.Status,
		"type":                 a.Type,
		"reference":            a.Reference,
		"runbook":              a.Runbook,
		"createdAt":            formatTime(a.CreatedAt),
		"updatedAt":            formatTimePtr(a.updatedAt),
		"firstEventOccurredAt": formatTimePtr(a.FirstEventOccurredAt),
		"lastReceivedEventAt":  formatTime(a.LastReceivedEventAt),
		"assignee":             userObject(a.Assignee),
		"origin":               originObject(a.Origin),
		"deliveries":           []any{},
		"updatedBy":            nil,
		"events": resolver(func(args map[string]any) (any, error) {
			in := obj(args["input"])
			page, next, err := paginate(events, str(in["cursor"]), intOr(in["pageSize"], 25), 50)
			if err != nil {
				return nil, err
			}
			edges := make([]any, len(page))
			for i, ev := range page {
				edges[i] = map[string]any{"node": ev}
			}
			return map[string]any{"edges": edges, "pageInfo": pageInfo(str(in["cursor"]), next)}, nil
		}),
	}
}

// originObject is an alert's origin as the AlertOrigin union.
func originObject(o SeedOrigin) map[string]any {
	switch o.Kind {
	case "SystemError":
		return map[string]any{"__typename": "SystemError", "relatedComponent": o.RelatedComponent, "type": o.Type}
	case "DeletedDetection":
		return map[string]any{"__typename": "DeletedDetection", "id": o.ID}
	}
	return map[string]any{
		"__typename":  "Detection",
		"id":          o.ID,
		"name":        o.Name,
		"type":        o.Type,
		"description": nil,
		"createdAt":   formatTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		"createdBy":   nil,
		"updatedAt":   nil,
		"updatedBy":   nil,
	}
}

// userObject is a user as GraphQL's User type, or nil.
func userObject(u *SeedUser) any {
	if u == nil {
		return nil
	}
	return map[string]any{
		"__typename":     "User",
		"id":             u.ID,
		"email":          u.Email,
		"givenName":      nilIfEmpty(u.GivenName),
		"familyName":     nilIfEmpty(u.FamilyName),
		"enabled":        true,
		"status":         "CONFIRMED",
		"createdAt":      formatTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		"lastLoggedInAt": nil,
	}
}

// tokenObject is the simulated API token as GraphQL's APIToken type.
func (s *Server) tokenObject() map[string]any {
	return map[string]any{
		"__typename":  "APIToken",
		"id":          tokenID,
		"name":        "panther-triage",
		"createdAt":   formatTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		"expiresAt":   nil,
		"lastUsedAt":  formatTime(s.now()),
		"permissions": slices.Clone(s.permissions),
	}
}

// commentObject is a comment as GraphQL's Comment type.
func (s *Server) commentObject(c panther.Comment, a *alertState) map[string]any {
	return map[string]any{
		"__typename": "Comment",
		"id":         c.ID,
		"body":       c.Body,
		"format":     c.Format,
		"createdAt":  formatTime(c.CreatedAt),
		"createdBy":  s.tokenObject(),
		"entity":     s.alertObject(a),
	}
}

// alertsByID looks up every ID of an ID list argument.
func (s *Server) alertsByID(ids any) ([]*alertState, error) {
	var out []*alertState
	for _, id := range strs(ids) {
		a, ok := s.alerts[id]
		if !ok {
			return nil, notFound("alert " + id + " not found")
		}
		out = append(out, a)
	}
	return out, nil
}

// listAlerts answers alerts(input), with Panther's filters and paging.
func (s *Server) listAlerts(in map[string]any) (any, error) {
	detectionID := str(in["detectionId"])
	after, afterOK := parseDateTime(in["createdAtAfter"])
	before, beforeOK := parseDateTime(in["createdAtBefore"])
	if (detectionID == "" && (!afterOK || !beforeOK)) || afterOK != beforeOK {
		return nil, coded("InvalidInput",
			"you must specify either a detectionId or both createdAtAfter and createdAtBefore")
	}
	listing := cmp.Or(str(in["type"]), "ALERT")
	var matched []*alertState
	for _, a := range s.alerts {
		switch {
		case detectionID != "" && a.Origin.ID != detectionID,
			afterOK && a.CreatedAt.Before(after),
			beforeOK && a.CreatedAt.After(before),
			listingOf(a.Type) != listing,
			!inList(in["subtypes"], a.Type),
			!inList(in["severities"], a.Severity),
			!inList(in["statuses"], a.Status),
			!strings.Contains(strings.ToLower(a.Title), strings.ToLower(str(in["nameContains"]))),
			!hasLogType(a, strs(in["logTypes"])),
			in["eventCountMin"] != nil && eventCount(a) < intOr(in["eventCountMin"], 0),
			in["eventCountMax"] != nil && eventCount(a) > intOr(in["eventCountMax"], 0),
			!inList(in["assigneeIds"], assigneeID(a)):
			continue
		}
		matched = append(matched, a)
	}
	slices.SortFunc(matched, func(x, y *alertState) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), strings.Compare(x.ID, y.ID))
	})
	if str(in["sortDir"]) != "ascending" {
		slices.Reverse(matched)
	}
	page, next, err := paginate(matched, str(in["cursor"]), intOr(in["pageSize"], 25), 50)
	if err != nil {
		return nil, err
	}
	edges := make([]any, len(page))
	for i, a := range page {
		edges[i] = map[string]any{"node": s.alertObject(a)}
	}
	return map[string]any{"edges": edges, "pageInfo": pageInfo(str(in["cursor"]), next)}, nil
}

// listingOf maps an alert type to the AlertListingType that lists it.
func listingOf(alertType string) string {
	switch alertType {
	case "RULE_ERROR", "SCHEDULED_RULE_ERROR", "CORRELATION_RULE_ERROR":
		return "DETECTION_ERROR"
	case "SYSTEM_ERROR":
		return "SYSTEM_ERROR"
	}
	return "ALERT"
}

// hasLogType reports whether one of the alert's events has one of the log
// types (always true for an empty filter).
func hasLogType(a *alertState, logTypes []string) bool {
	if len(logTypes) == 0 {
		return true
	}
	for _, ev := range a.Events {
		if slices.Contains(logTypes, str(ev["p_log_type"])) {
			return true
		}
	}
	return false
}

// eventCount is REST's eventCount of an alert.
func eventCount(a *alertState) int {
	if a.EventCount > 0 {
		return a.EventCount
	}
	return len(a.Events)
}

// assigneeID is the ID of an alert's assignee, or "".
func assigneeID(a *alertState) string {
	if a.Assignee == nil {
		return ""
	}
	return a.Assignee.ID
}

// paginate returns the page of items at cursor, at most size (capped at
// max) long, and the cursor of the next page ("" when there is none).
// Cursors are opaque, as Panther's are.
func paginate[T any](items []T, cursor string, size, max int) ([]T, string, error) {
	start := 0
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
		if err != nil || perr != nil || n < 0 || !strings.HasPrefix(string(b), "offset:") {
			return nil, "", coded("InvalidInput", "invalid cursor")
		}
		start = min(n, len(items))
	}
	if size < 1 {
		size = 1
	}
	end := min(start+min(size, max), len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}

// pageInfo is a cursor-based page's metadata.
func pageInfo(cursor, next string) map[string]any {
	return map[string]any{
		"hasNextPage":     next != "",
		"endCursor":       nilIfEmpty(next),
		"hasPreviousPage": cursor != "",
		"startCursor":     nilIfEmpty(cursor),
	}
}

// forbidden is the GraphQL error for a missing permission.
func forbidden() *gqlerror.Error {
	return coded("FORBIDDEN", "You are not authorized to perform this request")
}

// notFound is the GraphQL error for a missing entity.
func notFound(msg string) *gqlerror.Error { return coded("NotFound", msg) }

// str reads a string argument ("" when absent).
func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs reads a list-of-strings argument.
func strs(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = v
	}
	return out
}

// obj reads an input-object argument (nil when absent).
func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// intOr reads an Int argument, or def when absent.
func intOr(v any, def int) int {
	switch v := v.(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return int(n)
		}
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// inList reports whether a list filter admits v (an absent or empty filter
// admits everything).
func inList(filter any, v string) bool {
	list := strs(filter)
	return len(list) == 0 || slices.Contains(list, v)
}

// parseDateTime reads a DateTime argument.
func parseDateTime(v any) (time.Time, bool) {
	s := str(v)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// formatTimePtr is formatTime for nullable fields.
func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// nilIfEmpty returns nil for "" so that nullable fields read null.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// errorf is fmt.Errorf for resolver errors, coded as invalid input.
func errorf(format string, args ...any) *gqlerror.Error {
	return coded("InvalidInput", fmt.Sprintf(format, args...))
}
