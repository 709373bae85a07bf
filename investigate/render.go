package investigate

import (
	"cmp"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/panther-triage/panther-triage/panther"
)

// Sections of a comment.
const (
	SectionVerdict    = "verdict"
	SectionSummary    = "summary"
	SectionFindings   = "findings"
	SectionIndicators = "indicators"
	SectionHistory    = "history"
	SectionDatalake   = "datalake"
	SectionDetection  = "detection"
)

// Sections a comment can carry, in the order they appear.
var Sections = []string{SectionVerdict, SectionSummary, SectionFindings, SectionIndicators, SectionHistory, SectionDatalake, SectionDetection}

// Report is a finished investigation, ready to render.
type Report struct {
	AlertID    string
	JobID      int64
	Alert      *panther.Alert
	Verdict    Verdict
	Summary    string
	Findings   []Finding
	Indicators []Indicator
	Detection  *panther.Detection
	// Digest is the alert's events read as actions; nil when the events
	// could not be read.
	Digest  *Digest
	Timings map[string]time.Duration
	Cost    Cost
	// Narrative is set when a narrator wrote the summary.
	Narrative *Narrative
	// ConsoleURL, when set, turns alert evidence into links to Panther's
	// console (<ConsoleURL>/alerts/<id>).
	ConsoleURL string
}

// Marker is the last line of every comment this service posts for a job: it
// is how a retried job knows its comment is already there.
func Marker(jobID int64, alertID string) string {
	return fmt.Sprintf("panther-triage run %d · %s", jobID, alertID)
}

// Headline is the first line of a comment.
func Headline(v Verdict) string {
	return fmt.Sprintf("panther-triage: %s (confidence %.2f)", strings.ToUpper(v.Verdict), v.Confidence)
}

// Render writes the comment for r with the chosen sections, as PLAIN_TEXT
// (readable as Markdown) or HTML. Every value that came from Panther's data
// is quoted: newlines and control characters cannot forge lines, and in HTML
// everything is escaped.
func Render(r Report, sections []string, format string) string {
	w := &writer{html: format == panther.FormatHTML, console: strings.TrimRight(r.ConsoleURL, "/")}
	w.line(Headline(r.Verdict))
	for _, s := range Sections {
		if !slices.Contains(sections, s) {
			continue
		}
		switch s {
		case SectionVerdict:
			w.section("Verdict", verdictLines(w, r))
		case SectionSummary:
			w.section("Summary", summaryLines(w, r))
		case SectionFindings:
			w.section("Findings", findingLines(w, r.Findings, func(f Finding) bool {
				// The detection's own description and mapping have their
				// section; what is missing about it is a finding.
				return f.Step != StepHistory && f.Step != StepDatalake && (f.Step != StepDetection || f.Kind != "detection" && f.Kind != "mitre")
			}))
		case SectionIndicators:
			w.section("Indicators", indicatorLines(w, r.Indicators))
		case SectionHistory:
			w.section("Alert history", findingLines(w, r.Findings, func(f Finding) bool { return f.Step == StepHistory }))
		case SectionDatalake:
			w.section("Data lake", findingLines(w, r.Findings, func(f Finding) bool { return f.Step == StepDatalake }))
		case SectionDetection:
			w.section("Detection", detectionLines(w, r))
		}
	}
	w.line("")
	w.line(Marker(r.JobID, r.AlertID))
	return w.String()
}

func summaryLines(w *writer, r Report) []string {
	var lines []string
	if r.Summary != "" {
		lines = append(lines, w.quote(r.Summary, maxSummary))
	}
	if n := r.Narrative; n != nil {
		lines = append(lines, w.q("Summary written by "+n.Model+" from the findings; the verdict is the rules'."))
		if len(n.NextSteps) > 0 {
			lines = append(lines, w.q("Next steps:"))
			for _, step := range n.NextSteps {
				lines = append(lines, "- "+w.q(step))
			}
		}
	}
	return lines
}

func verdictLines(w *writer, r Report) []string {
	switch {
	case r.Alert != nil && r.Alert.SystemError != nil && len(r.Verdict.Reasons) == 0:
		return []string{w.q("A system health alert: nothing to judge as malicious or benign; what failed and what may go unseen are under Findings.")}
	case len(r.Verdict.Reasons) == 0:
		return []string{w.q("No finding pointed either way: nothing in the events, enrichment or history says attacker or routine, so an analyst must judge.")}
	}
	lines := []string{w.q("Because:")}
	if r.Verdict.Verdict == VerdictInconclusive {
		lines = []string{w.q(fmt.Sprintf("The evidence is weak or balanced (probability of a true positive %.2f); it weighed:", r.Verdict.Probability))}
	}
	for _, f := range r.Verdict.Reasons {
		lines = append(lines, "- "+findingText(w, f))
	}
	if len(r.Verdict.Against) > 0 {
		lines = append(lines, w.q("Outweighed:"))
		for _, f := range r.Verdict.Against {
			lines = append(lines, "- "+findingText(w, f))
		}
	}
	return lines
}

func findingLines(w *writer, fs []Finding, keep func(Finding) bool) []string {
	var lines []string
	for _, f := range fs {
		if keep(f) {
			lines = append(lines, "- "+findingText(w, f))
		}
	}
	return lines
}

func findingText(w *writer, f Finding) string {
	s := fmt.Sprintf("[%s] %s", f.Severity, w.q(f.Title))
	if f.Detail != "" {
		s += " — " + w.q(f.Detail)
	}
	if len(f.Evidence) > 0 {
		refs := make([]string, 0, len(f.Evidence))
		for _, e := range f.Evidence {
			refs = append(refs, w.evidence(e))
		}
		s += " (evidence: " + strings.Join(refs, ", ") + ")"
	}
	return s
}

// maxIndicatorLines bounds the indicators section.
const maxIndicatorLines = 10

func indicatorLines(w *writer, inds []Indicator) []string {
	var lines []string
	for _, ind := range inds[:min(len(inds), maxIndicatorLines)] {
		kind := ind.Kind
		if ind.Class != "" {
			kind = ind.Class + " " + kind
		}
		s := fmt.Sprintf("- %s %s: %d event(s)", kind, w.q(ind.Value), ind.Events)
		if len(ind.Fields) > 0 {
			s += ", in " + w.q(strings.Join(ind.Fields, ", "))
		}
		lines = append(lines, s)
	}
	if n := len(inds) - maxIndicatorLines; n > 0 {
		lines = append(lines, fmt.Sprintf("- and %d more", n))
	}
	return lines
}

func detectionLines(w *writer, r Report) []string {
	d := r.Detection
	if d == nil {
		return nil
	}
	lines := []string{w.q(fmt.Sprintf("%s (%s)", cmp.Or(d.DisplayName, d.ID), d.ID))}
	if d.Description != "" {
		lines = append(lines, w.q(d.Description))
	}
	if d.Runbook != "" {
		lines = append(lines, "Runbook: "+w.q(d.Runbook))
	}
	if len(d.Tags) > 0 {
		lines = append(lines, "Tags: "+w.q(strings.Join(d.Tags, ", ")))
	}
	if m := mitre(d.Reports); len(m) > 0 {
		lines = append(lines, "MITRE ATT&CK: "+w.q(strings.Join(m, ", ")))
	}
	return lines
}

// writer builds a comment in one of the two formats.
type writer struct {
	html    bool
	console string // Panther console base URL for alert links, or ""
	b       strings.Builder
}

func (w *writer) line(s string) {
	if w.html {
		if s != "" {
			w.b.WriteString("<p>" + s + "</p>")
		}
		w.b.WriteString("\n")
		return
	}
	w.b.WriteString(s + "\n")
}

func (w *writer) section(title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	if !w.html {
		w.b.WriteString("\n**" + title + "**\n")
		for _, l := range lines {
			w.b.WriteString(l + "\n")
		}
		return
	}
	w.b.WriteString("<h4>" + title + "</h4>\n")
	inList := false
	for _, l := range lines {
		item, ok := strings.CutPrefix(l, "- ")
		switch {
		case ok && !inList:
			w.b.WriteString("<ul>\n")
			inList = true
		case !ok && inList:
			w.b.WriteString("</ul>\n")
			inList = false
		}
		if ok {
			w.b.WriteString("<li>" + item + "</li>\n")
		} else {
			w.b.WriteString("<p>" + l + "</p>\n")
		}
	}
	if inList {
		w.b.WriteString("</ul>\n")
	}
}

// evidence writes one reference; an alert links to the console when its
// URL is known.
func (w *writer) evidence(e Evidence) string {
	ref := e.Kind + " " + w.q(e.Ref)
	switch {
	case e.Kind == "link" && isWebURL(e.Ref):
		if w.html {
			return fmt.Sprintf(`<a href="%s">%s</a>`, html.EscapeString(e.Ref), w.q(e.Ref))
		}
		return w.q(e.Ref)
	case e.Kind != "alert" || !isWebURL(w.console):
		return ref
	}
	u := w.console + "/alerts/" + url.PathEscape(e.Ref)
	if w.html {
		return fmt.Sprintf(`alert <a href="%s">%s</a>`, html.EscapeString(u), w.q(e.Ref))
	}
	return ref + " " + w.q(u)
}

// isWebURL keeps links to http and https: no javascript: or data: URLs.
func isWebURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// maxValue bounds one quoted value, maxSummary the summary.
const (
	maxValue   = 300
	maxSummary = 2000
)

// q quotes an untrusted value: control characters and line breaks become
// spaces, runs of space fold, values longer than maxValue are cut, and in
// HTML the result is escaped.
func (w *writer) q(s string) string { return w.quote(s, maxValue) }

// quote is q with a length of its own.
func (w *writer) quote(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		if n >= max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	out := strings.TrimSpace(b.String())
	if w.html {
		return html.EscapeString(out)
	}
	return out
}

func (w *writer) String() string { return w.b.String() }
