package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/panther-triage/panther-triage/triage"
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

// listInvestigations answers one page of summaries, newest first (see
// parseListQuery). The whole record of one alert is at
// /api/v1/investigations/{alertId}.
func (s *server) listInvestigations(w http.ResponseWriter, r *http.Request) error {
	q, err := parseListQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.listSummaries(r, q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// getInvestigation answers one alert's investigation record, or 404.
func (s *server) getInvestigation(w http.ResponseWriter, r *http.Request) error {
	alertID := alertIDParam(r)
	rec, err := s.records.Investigation(r.Context(), alertID)
	if errors.Is(err, triage.ErrNoRecord) {
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
