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

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/investigate"
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
	// pageListLimit is how many of the newest records the list page reads
	// (and filters in memory) when the request names no ?limit.
	pageListLimit = 200
	// pageRefreshSeconds is how often the list page reloads itself.
	pageRefreshSeconds = 10
	// pageCSP allows the page nothing but its own style sheet and forms.
	pageCSP = "default-src 'none'; style-src 'self'; form-action 'self'; " +
		"base-uri 'none'; frame-ancestors 'none'"
)

// The verdicts and states the list page filters by, in the order its form
// offers them.
var (
	pageVerdicts = []string{
		investigate.VerdictMalicious, investigate.VerdictSuspicious,
		investigate.VerdictBenign, investigate.VerdictInconclusive,
	}
	pageStates = []string{
		investigate.StateQueued, investigate.StateRunning, investigate.StateDone,
		investigate.StateSkipped, investigate.StateFailed,
	}
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
	Refresh   int // seconds; 0: the page does not reload itself
}

// listPage is the data of the list page.
type listPage struct {
	pageHead
	Records      []investigate.Record // after filtering, newest first
	Read         int                  // how many records were read before filtering
	Limit        int                  // how many records were asked for
	DefaultLimit int                  // pageListLimit, for the form to keep ?limit
	Verdict      string               // the verdict filter, "" for all
	State        string               // the state filter, "" for all
	Verdicts     []string
	States       []string
	Counts       []verdictCount // of the records read, with the state filter applied
}

// verdictCount is one chip of the list page's verdict summary.
type verdictCount struct {
	Verdict string
	N       int
	URL     string // the list filtered by this verdict
}

// Filtered reports whether a filter is set.
func (p listPage) Filtered() bool { return p.Verdict != "" || p.State != "" }

// detailPage is the data of the report page.
type detailPage struct {
	pageHead
	investigate.Record
}

// errorPage is the data of the error page.
type errorPage struct {
	pageHead
	Status  int
	Message string
}

// listInvestigationsPage serves GET /: the newest investigations, filtered
// by ?verdict= and ?state= in memory over the newest ?limit= records
// (default pageListLimit).
func (s *server) listInvestigationsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := pageListLimit
	if v := q.Get("limit"); v != "" {
		var err error
		if limit, err = parseLimit(v); err != nil {
			return err
		}
	}
	verdict, err := pageFilter(q.Get("verdict"), "verdict", pageVerdicts)
	if err != nil {
		return err
	}
	state, err := pageFilter(q.Get("state"), "state", pageStates)
	if err != nil {
		return err
	}
	page, err := s.records.Investigations(r.Context(), investigate.ListQuery{Limit: limit})
	if err != nil {
		return fmt.Errorf("handler: list investigations for the page: %w", err)
	}
	recs := page.Records

	p := listPage{
		pageHead: pageHead{PageTitle: "Investigations", Refresh: pageRefreshSeconds},
		Read:     len(recs), Limit: limit, DefaultLimit: pageListLimit,
		Verdict: verdict, State: state,
		Verdicts: pageVerdicts, States: pageStates,
	}
	counts := make(map[string]int)
	for _, rec := range recs {
		if state != "" && rec.State != state {
			continue
		}
		counts[rec.Verdict]++
		if verdict == "" || rec.Verdict == verdict {
			p.Records = append(p.Records, rec)
		}
	}
	for _, v := range pageVerdicts {
		u := url.Values{"verdict": {v}}
		if state != "" {
			u.Set("state", state)
		}
		if limit != pageListLimit {
			u.Set("limit", strconv.Itoa(limit))
		}
		p.Counts = append(p.Counts, verdictCount{Verdict: v, N: counts[v], URL: "/?" + u.Encode()})
	}
	return s.render(w, http.StatusOK, s.pages.list, p)
}

// pageFilter checks a filter value of the list page and the API: empty, or
// one of allowed.
func pageFilter(v, name string, allowed []string) (string, error) {
	if v == "" || slices.Contains(allowed, v) {
		return v, nil
	}
	return "", &httpError{
		Status: http.StatusBadRequest, Code: "invalid_request",
		Message: fmt.Sprintf("%s must be one of %s", name, strings.Join(allowed, ", ")),
	}
}

// investigationPage serves GET /investigations/{alertId}: one report.
func (s *server) investigationPage(w http.ResponseWriter, r *http.Request) error {
	alertID := alertIDParam(r)
	rec, err := s.records.Investigation(r.Context(), alertID)
	if errors.Is(err, investigate.ErrNoRecord) {
		return &httpError{
			Status: http.StatusNotFound, Code: "not_found",
			Message: "There is no investigation for alert " + alertID + ".",
		}
	}
	if err != nil {
		return fmt.Errorf("handler: get investigation %s for the page: %w", alertID, err)
	}
	p := detailPage{pageHead: pageHead{PageTitle: "Alert " + alertID}, Record: rec}
	if rec.State == investigate.StateQueued || rec.State == investigate.StateRunning {
		p.Refresh = pageRefreshSeconds // until the report is there
	}
	return s.render(w, http.StatusOK, s.pages.detail, p)
}

// page adapts a page handler that returns an error; the error is answered
// as an HTML page by writePageError.
func (s *server) page(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writePageError(w, r, err)
		}
	}
}

// writePageError answers err as an HTML page, with the same rules as
// writeError: an *httpError's Message is shown and its cause logged; any
// other error is logged once and shown as "internal error".
func (s *server) writePageError(w http.ResponseWriter, r *http.Request, err error) {
	log := zerolog.Ctx(r.Context())
	var he *httpError
	if !errors.As(err, &he) {
		log.Error().Err(err).Msg("internal error")
		he = &httpError{
			Status: http.StatusInternalServerError, Code: "internal", Message: "internal error",
		}
	} else if he.cause != nil {
		log.Error().Err(he.cause).Str("code", he.Code).Msg(he.Message)
	}
	p := errorPage{
		pageHead: pageHead{PageTitle: http.StatusText(he.Status)},
		Status:   he.Status, Message: he.Message,
	}
	if err := s.render(w, he.Status, s.pages.error, p); err != nil {
		log.Error().Err(err).Msg("internal error")
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
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
	base := strings.TrimRight(s.cfg.PantherURL, "/")
	if base == "" {
		return ""
	}
	return base + "/alerts/" + url.PathEscape(alertID)
}

// tone maps a verdict, state, finding weight or severity to the colour
// class of its badge. Finding weights share the verdicts' words.
func tone(v any) string {
	switch fmt.Sprint(v) {
	case investigate.VerdictMalicious, investigate.StateFailed, "CRITICAL", "HIGH":
		return "tone-bad"
	case investigate.VerdictSuspicious, "MEDIUM":
		return "tone-warn"
	case investigate.VerdictBenign, investigate.StateDone:
		return "tone-good"
	case investigate.StateQueued, investigate.StateRunning,
		string(investigate.WeightInfo), "LOW":
		return "tone-info"
	}
	return "tone-muted" // inconclusive, skipped, missing, INFO, anything else
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
