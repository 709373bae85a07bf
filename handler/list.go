package handler

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/panther-triage/panther-triage/triage"
)

// The verdicts and states the lists filter by, in the order the page's form
// offers them.
var (
	listVerdicts = []string{
		triage.VerdictMalicious, triage.VerdictSuspicious,
		triage.VerdictBenign, triage.VerdictInconclusive,
	}
	listStates = []string{
		triage.StateQueued, triage.StateRunning, triage.StateDone,
		triage.StateSkipped, triage.StateFailed,
	}
)

// parseListQuery reads the query of a list, the API's or the page's:
// ?limit= (1 to maxListLimit, default defaultListLimit), ?state=,
// ?verdict= and ?cursor=. The store applies all of them.
func parseListQuery(q url.Values) (triage.ListQuery, error) {
	lq := triage.ListQuery{Limit: defaultListLimit, Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return lq, &httpError{
				Status: http.StatusBadRequest, Code: "invalid_request",
				Message: fmt.Sprintf("limit must be an integer from 1 to %d", maxListLimit),
			}
		}
		lq.Limit = n
	}
	var err error
	if lq.Verdict, err = listFilter(q.Get("verdict"), "verdict", listVerdicts); err != nil {
		return lq, err
	}
	if lq.State, err = listFilter(q.Get("state"), "state", listStates); err != nil {
		return lq, err
	}
	return lq, nil
}

// listFilter checks a filter value: empty, or one of allowed.
func listFilter(v, name string, allowed []string) (string, error) {
	if v == "" || slices.Contains(allowed, v) {
		return v, nil
	}
	return "", &httpError{
		Status: http.StatusBadRequest, Code: "invalid_request",
		Message: fmt.Sprintf("%s must be one of %s", name, strings.Join(allowed, ", ")),
	}
}

// listSummaries reads the page of summaries q selects.
func (s *server) listSummaries(r *http.Request, q triage.ListQuery) (triage.SummaryPage, error) {
	page, err := s.records.Summaries(r.Context(), q)
	if errors.Is(err, triage.ErrBadCursor) {
		return page, &httpError{Status: http.StatusBadRequest, Code: "invalid_request", Message: "cursor is not one this service gave out"}
	}
	if err != nil {
		return page, fmt.Errorf("handler: list investigations: %w", err)
	}
	if page.Summaries == nil {
		page.Summaries = []triage.Summary{}
	}
	return page, nil
}
