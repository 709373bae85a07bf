package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/panther-triage/panther-triage/investigate"
)

// statusBody is the body of the health answers.
type statusBody struct {
	Status string `json:"status"`
}

// healthz answers 200 while the process runs.
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
}

// readyz answers 200 when the database answers a ping within pingTimeout
// and can write (see Pinger), 503 otherwise, saying which.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		msg := "the database does not answer"
		var nw interface{ NotWritable() bool }
		if errors.As(err, &nw) && nw.NotWritable() {
			msg = "the database answers but cannot write (full disk, read-only or in recovery); the log says why"
		}
		return &httpError{
			Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: msg,
			cause:   fmt.Errorf("handler: ping database: %w", err),
		}
	}
	return writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
}

// investigationList is the body of GET /api/v1/investigations.
type investigationList struct {
	Investigations []investigate.Record `json:"investigations"`
}

// listInvestigations answers the newest investigations, at most ?limit=N
// (default 50, at most 500).
func (s *server) listInvestigations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return err
	}
	verdict, err := pageFilter(q.Get("verdict"), "verdict", pageVerdicts)
	if err != nil {
		return err
	}
	state, err := pageFilter(q.Get("state"), "state", pageStates)
	if err != nil {
		return err
	}
	page, err := s.records.Investigations(r.Context(), investigate.ListQuery{Limit: limit, State: state, Verdict: verdict, Cursor: q.Get("cursor")})
	if errors.Is(err, investigate.ErrBadCursor) {
		return &httpError{Status: http.StatusBadRequest, Code: "invalid_request", Message: "cursor is not one this service gave out"}
	}
	if err != nil {
		return fmt.Errorf("handler: list investigations: %w", err)
	}
	if page.Records == nil {
		page.Records = []investigate.Record{}
	}
	return writeJSON(w, http.StatusOK, page)
}

func parseLimit(v string) (int, error) {
	if v == "" {
		return defaultListLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxListLimit {
		return 0, &httpError{
			Status: http.StatusBadRequest, Code: "invalid_request",
			Message: fmt.Sprintf("limit must be an integer from 1 to %d", maxListLimit),
		}
	}
	return n, nil
}

// getInvestigation answers one alert's investigation record, or 404.
func (s *server) getInvestigation(w http.ResponseWriter, r *http.Request) error {
	alertID := alertIDParam(r)
	rec, err := s.records.Investigation(r.Context(), alertID)
	if errors.Is(err, investigate.ErrNoRecord) {
		return &httpError{
			Status: http.StatusNotFound, Code: "not_found",
			Message: "no investigation for this alert",
		}
	}
	if err != nil {
		return fmt.Errorf("handler: get investigation %s: %w", alertID, err)
	}
	return writeJSON(w, http.StatusOK, rec)
}

// alertIDParam is the {alertId} of the route, unescaped: chi routes on the
// escaped path when there is one, so the parameter may still be escaped.
func alertIDParam(r *http.Request) string {
	alertID := chi.URLParam(r, "alertId")
	if r.URL.RawPath != "" {
		if v, err := url.PathUnescape(alertID); err == nil {
			alertID = v
		}
	}
	return alertID
}
