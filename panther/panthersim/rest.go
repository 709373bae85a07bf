package panthersim

import (
	"cmp"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/panther-triage/panther-triage/panther"
)

// REST handlers. Paged routes take limit (default 25, at most 50, as in
// Panther's OpenAPI spec) and an opaque cursor, and answer {results, next}.

// restLimit reads the limit parameter: default 25, 1–50.
func restLimit(r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 25, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 50 {
		return 0, false
	}
	return n, true
}

// getAlert answers GET /alerts/{id}.
func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allowed("AlertRead") {
		writeJSON(w, http.StatusForbidden, message("forbidden: the token lacks AlertRead"))
		return
	}
	a, ok := s.alerts[r.PathValue("id")]
	if !ok || s.restAlerts404 {
		writeJSON(w, http.StatusNotFound, message("alert not found"))
		return
	}
	body := map[string]any{
		"id":                   a.ID,
		"title":                a.Title,
		"type":                 a.Type,
		"status":               a.Status,
		"severity":             a.Severity,
		"runbook":              a.Runbook,
		"createdAt":            formatTime(a.CreatedAt),
		"firstEventOccurredAt": formatTimePtr(a.FirstEventOccurredAt),
		"lastReceivedEventAt":  formatTime(a.LastReceivedEventAt),
		"context":              a.Context,
		"eventCount":           eventCount(a),
		"deliveries":           []any{},
	}
	if a.Assignee != nil {
		body["assignee"] = map[string]any{"id": a.Assignee.ID, "type": "user"}
	}
	switch a.Origin.Kind {
	case "SystemError":
		body["systemError"] = map[string]any{"type": a.Origin.Type}
	default:
		// REST names the detection of a deleted detection too, with its
		// type, which GraphQL's DeletedDetection lacks.
		body["detection"] = map[string]any{"id": a.Origin.ID, "type": nilIfEmpty(a.Origin.Type)}
	}
	writeJSON(w, http.StatusOK, body)
}

// getAlertEvents answers GET /alerts/{id}/events.
func (s *Server) getAlertEvents(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allowed("AlertRead") {
		writeJSON(w, http.StatusForbidden, message("forbidden: the token lacks AlertRead"))
		return
	}
	limit, ok := restLimit(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, message("limit must be between 1 and 50"))
		return
	}
	a, ok := s.alerts[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, message("alert not found"))
		return
	}
	page, next, err := paginate(a.Events, r.URL.Query().Get("cursor"), limit, 50)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, message("invalid cursor"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": page, "next": nilIfEmpty(next)})
}

// restComment is a comment as REST's CommentAPI.Comment.
func restComment(c panther.Comment) map[string]any {
	return map[string]any{
		"id":        c.ID,
		"alertId":   c.AlertID,
		"body":      c.Body,
		"format":    c.Format,
		"createdAt": formatTime(c.CreatedAt),
		"updatedAt": formatTime(c.CreatedAt),
		"createdBy": map[string]any{"id": c.CreatedBy, "type": authorType(c.CreatedBy)},
	}
}

// authorType is REST's actor type of a comment's author: the simulated
// token, or a person.
func authorType(id string) string {
	if id == tokenID {
		return "api-token"
	}
	return "user"
}

// listComments answers GET /alert-comments?alert-id=…: oldest first, paged.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allowed("AlertRead") {
		writeJSON(w, http.StatusForbidden, message("forbidden: the token lacks AlertRead"))
		return
	}
	alertID := r.URL.Query().Get("alert-id")
	if alertID == "" {
		writeJSON(w, http.StatusBadRequest, message("alert-id is required"))
		return
	}
	limit, ok := restLimit(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, message("limit must be between 1 and 50"))
		return
	}
	page, next, err := paginate(s.comments[alertID], r.URL.Query().Get("cursor"), limit, 50)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, message("invalid cursor"))
		return
	}
	results := make([]any, len(page))
	for i, c := range page {
		results[i] = restComment(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "next": nilIfEmpty(next)})
}

// postComment answers POST /alert-comments.
func (s *Server) postComment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AlertID string `json:"alertId"`
		Body    string `json:"body"`
		Format  string `json:"format"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, message("invalid JSON body"))
		return
	}
	if in.AlertID == "" || in.Body == "" || (in.Format != panther.FormatPlainText && in.Format != panther.FormatHTML) {
		writeJSON(w, http.StatusBadRequest, message("alertId, body and format (PLAIN_TEXT or HTML) are required"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allowed("AlertModify") {
		writeJSON(w, http.StatusForbidden, message("forbidden: the token lacks AlertModify"))
		return
	}
	if _, ok := s.alerts[in.AlertID]; !ok {
		writeJSON(w, http.StatusNotFound, message("alert not found"))
		return
	}
	writeJSON(w, http.StatusOK, restComment(s.addCommentLocked(in.AlertID, in.Body, in.Format)))
}

// getDetection answers GET /{kind}/{id} for one REST collection; a
// detection of another kind is 404, as in Panther.
func (s *Server) getDetection(kind string) http.HandlerFunc {
	perm := "RuleRead"
	if kind == "policies" {
		perm = "PolicyRead"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.allowed(perm) {
			writeJSON(w, http.StatusForbidden, message("forbidden: the token lacks "+perm))
			return
		}
		d, ok := s.detections[kind+"/"+r.PathValue("id")]
		if !ok {
			writeJSON(w, http.StatusNotFound, message("not found"))
			return
		}
		body := map[string]any{
			"id":           d.ID,
			"displayName":  d.DisplayName,
			"description":  d.Description,
			"severity":     d.Severity,
			"enabled":      d.Enabled,
			"tags":         nonNil(d.Tags),
			"reports":      d.Reports,
			"managed":      true,
			"createdAt":    "2024-01-01T00:00:00Z",
			"lastModified": "2024-01-01T00:00:00Z",
		}
		if d.Reports == nil {
			body["reports"] = map[string][]string{}
		}
		if kind == "policies" {
			body["resourceTypes"] = nonNil(d.ResourceTypes)
		} else {
			body["runbook"] = d.Runbook
			body["logTypes"] = nonNil(d.LogTypes)
			body["dedupPeriodMinutes"] = cmp.Or(d.DedupPeriodMinutes, 60)
			body["threshold"] = cmp.Or(d.Threshold, 1)
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// getToken answers GET /api-tokens/self with the token's permissions.
func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != "self" && id != tokenID {
		writeJSON(w, http.StatusNotFound, message("api token not found"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allowed("OrganizationAPITokenRead") {
		// As in Panther: reading a token's own permissions needs
		// Read API Token Info.
		writeJSON(w, http.StatusForbidden, message("forbidden: the token lacks OrganizationAPITokenRead"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":                tokenID,
		"name":              "panther-triage",
		"permissions":       nonNil(s.permissions),
		"allowedCIDRBlocks": []string{},
		"createdAt":         "2024-01-01T00:00:00Z",
		"lastUsedAt":        s.now().UTC().Format(time.RFC3339),
	})
}

// nonNil returns an empty slice for nil, so JSON shows [] rather than null.
func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
