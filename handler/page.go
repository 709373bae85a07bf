package handler

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// The page's templates and its style sheet, built into the binary: there is
// no front-end build step and the page needs no JavaScript.
var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed static/*.css
	staticFS embed.FS
)

const (
	// pageRefreshSeconds is how often the list page reloads itself.
	pageRefreshSeconds = 10
	// pageCSP allows the page nothing but its own style sheet and forms.
	pageCSP = "default-src 'none'; style-src 'self'; form-action 'self'; " +
		"base-uri 'none'; frame-ancestors 'none'"
)

// pages holds the parsed templates, one set per page.
type pages struct {
	list, detail, error *template.Template
}

// newPages parses the embedded templates with the functions of s. The
// templates are part of the binary, so an error is a programming error,
// caught by the tests.
func newPages(s *server) (*pages, error) {
	funcs := template.FuncMap{
		"age":        s.age,
		"timestamp":  timestamp,
		"reportURL":  reportURL,
		"alertURL":   s.pantherAlertURL,
		"confidence": func(c float64) string { return strconv.FormatFloat(c, 'f', 2, 64) },
		"tone":       tone,
		"timings":    sortedTimings,
		"shortID":    shortID,
	}
	parse := func(page string) (*template.Template, error) {
		return template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/"+page)
	}
	var p pages
	var err error
	if p.list, err = parse("list.html"); err != nil {
		return nil, fmt.Errorf("handler: parse list page: %w", err)
	}
	if p.detail, err = parse("detail.html"); err != nil {
		return nil, fmt.Errorf("handler: parse detail page: %w", err)
	}
	if p.error, err = parse("error.html"); err != nil {
		return nil, fmt.Errorf("handler: parse error page: %w", err)
	}
	return &p, nil
}

// staticHandler serves the embedded style sheet under /static/.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // "static" is a literal directory of the embed above
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// pageHead is what the layout needs from every page.
type pageHead struct {
	PageTitle string
	Refresh   int    // seconds; 0: the page does not reload itself
	Viewer    string // who is signed in, "" when not known
	// SecretWarning says that the page opens with the webhook secret.
	SecretWarning bool
}

// head is the pageHead of a page of r.
func (s *server) head(r *http.Request, title string, refresh int) pageHead {
	return pageHead{
		PageTitle: title, Refresh: refresh,
		Viewer:        viewerFrom(r.Context()),
		SecretWarning: s.access.fallback && !s.cfg.InsecureNoAuth,
	}
}

// listPage is the data of the list page.
type listPage struct {
	pageHead
	Summaries []triage.Summary // one page, newest first, filtered by the store
	Query     triage.ListQuery
	Verdicts  []string
	States    []string
	Counts    []verdictCount // of every record of the state filter
	NextURL   string         // the next (older) page, "" when there is none
}

// verdictCount is one chip of the list page's verdict summary.
type verdictCount struct {
	Verdict string
	N       int
	URL     string // the list filtered by this verdict
}

// Filtered reports whether a filter is set.
func (p listPage) Filtered() bool { return p.Query.Verdict != "" || p.Query.State != "" }

// Paged reports whether the page is not the first.
func (p listPage) Paged() bool { return p.Query.Cursor != "" }

// DefaultLimit is the page size when the request names none.
func (listPage) DefaultLimit() int { return defaultListLimit }

// errorPage is the data of the error page.
type errorPage struct {
	pageHead
	Status  int
	Message string
}

// listInvestigationsPage serves GET /: one page of summaries, newest
// first, filtered and paged by the store (see parseListQuery).
func (s *server) listInvestigationsPage(w http.ResponseWriter, r *http.Request) error {
	q, err := parseListQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := s.listSummaries(r, q)
	if err != nil {
		return err
	}
	counts, err := s.records.VerdictCounts(r.Context(), q.State)
	if err != nil {
		return fmt.Errorf("handler: count verdicts for the page: %w", err)
	}
	p := listPage{
		pageHead:  s.head(r, "Investigations", pageRefreshSeconds),
		Summaries: page.Summaries, Query: q,
		Verdicts: listVerdicts, States: listStates,
	}
	link := func(verdict, cursor string) string {
		u := url.Values{}
		if verdict != "" {
			u.Set("verdict", verdict)
		}
		if q.State != "" {
			u.Set("state", q.State)
		}
		if q.Limit != defaultListLimit {
			u.Set("limit", strconv.Itoa(q.Limit))
		}
		if cursor != "" {
			u.Set("cursor", cursor)
		}
		return "/?" + u.Encode()
	}
	for _, v := range listVerdicts {
		p.Counts = append(p.Counts, verdictCount{Verdict: v, N: counts[v], URL: link(v, "")})
	}
	if page.Next != "" {
		p.NextURL = link(q.Verdict, page.Next)
	}
	return s.render(w, http.StatusOK, s.pages.list, p)
}

// investigationPage serves GET /investigations/{alertId}: one report.
func (s *server) investigationPage(w http.ResponseWriter, r *http.Request) error {
	alertID := alertIDParam(r)
	rec, err := s.records.Investigation(r.Context(), alertID)
	if errors.Is(err, triage.ErrNoRecord) {
		return &httpError{
			Status: http.StatusNotFound, Code: "not_found",
			Message: "There is no investigation for alert " + alertID + ".",
		}
	}
	if err != nil {
		return fmt.Errorf("handler: get investigation %s for the page: %w", alertID, err)
	}
	refresh := 0
	if rec.State == triage.StateQueued || rec.State == triage.StateRunning {
		refresh = pageRefreshSeconds // until the report is there
	}
	p := newDetailPage(s.head(r, "Alert "+alertID, refresh), rec)
	return s.render(w, http.StatusOK, s.pages.detail, p)
}

// render executes t with data into a buffer and, when that succeeds, answers
// it with status. On error it writes nothing and returns the error.
func (s *server) render(w http.ResponseWriter, status int, t *template.Template, data any) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return fmt.Errorf("handler: render %s: %w", t.Name(), err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store") // alert data
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// age is how long ago t was, in one unit: "45s", "12m", "5h", "3d"; "—" for
// the zero time.
func (s *server) age(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := max(s.now().Sub(t), 0)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// timestamp formats t in UTC for people; "—" for the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// reportURL is the path of an alert's report page.
func reportURL(alertID string) string {
	return "/investigations/" + url.PathEscape(alertID)
}

// pantherAlertURL is the alert's page in the Panther console, or "" when
// Config.PantherURL is not set.
func (s *server) pantherAlertURL(alertID string) string {
	base := strings.TrimRight(s.cfg.ConsoleURL, "/")
	if base == "" {
		return ""
	}
	return base + "/alerts/" + url.PathEscape(alertID)
}

// tone maps a verdict, state, finding weight or severity to the colour
// class of its badge. Finding weights share the verdicts' words. A skip is
// grey: the service chose not to investigate, nothing went wrong.
func tone(v any) string {
	switch fmt.Sprint(v) {
	case triage.VerdictMalicious, triage.StateFailed, "CRITICAL", "HIGH":
		return "tone-bad"
	case triage.VerdictSuspicious, "MEDIUM":
		return "tone-warn"
	case triage.VerdictBenign, triage.StateDone:
		return "tone-good"
	case triage.StateQueued, triage.StateRunning,
		string(triage.WeightInfo), "LOW":
		return "tone-info"
	}
	return "tone-muted" // inconclusive, skipped, missing, INFO, anything else
}

// idParts is an ID split for the page: Head is shown, Rest is kept in the
// same element, hidden, so that selecting the ID copies all of it.
type idParts struct{ Head, Rest string }

// shortID splits an evidence ID after its first 8 characters; IDs of up
// to 10 characters stay whole.
func shortID(id string) idParts {
	r := []rune(id)
	if len(r) <= 10 {
		return idParts{Head: id}
	}
	return idParts{Head: string(r[:8]), Rest: string(r[8:])}
}

// timing is one step's duration on the report page.
type timing struct{ Step, Duration string }

// sortedTimings lists a record's timings by step name.
func sortedTimings(m map[string]string) []timing {
	out := make([]timing, 0, len(m))
	for k, v := range m {
		out = append(out, timing{k, v})
	}
	slices.SortFunc(out, func(a, b timing) int { return strings.Compare(a.Step, b.Step) })
	return out
}
