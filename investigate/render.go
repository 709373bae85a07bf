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
	"unicode/utf8"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// Sections of a comment. The default comment carries story, next, why and
// links; the other names are those of earlier versions, kept as aliases
// (see SectionAliases), since the full report now lives on the service's
// page and in its API.
const (
	// SectionStory is what happened, in at most three lines of words.
	SectionStory = "story"
	// SectionNext is two to four next steps, with a tuning suggestion for
	// a benign alert the analysts keep closing.
	SectionNext = "next"
	// SectionWhy is at most five findings, strongest first.
	SectionWhy = "why"
	// SectionLinks is the evidence as counts, with links to the full
	// report and to Panther's console.
	SectionLinks = "links"

	SectionVerdict    = "verdict"
	SectionSummary    = "summary"
	SectionFindings   = "findings"
	SectionIndicators = "indicators"
	SectionHistory    = "history"
	SectionDatalake   = "datalake"
	SectionDetection  = "detection"
)

// DefaultSections are the sections of a comment unless configured.
var DefaultSections = []string{SectionStory, SectionNext, SectionWhy, SectionLinks}

// SectionAliases say which section each earlier name selects: the
// verdict's reasons and the findings are now Why, the summary is the
// story, and the indicators, history, data lake and detection are counted
// under links (the full lists are on the report page).
var SectionAliases = map[string]string{
	SectionVerdict:    SectionWhy,
	SectionFindings:   SectionWhy,
	SectionSummary:    SectionStory,
	SectionIndicators: SectionLinks,
	SectionHistory:    SectionLinks,
	SectionDatalake:   SectionLinks,
	SectionDetection:  SectionLinks,
}

// Sections are every section name a comment accepts: DefaultSections,
// then the earlier names. Listing them all gives the default comment.
var Sections = []string{SectionStory, SectionNext, SectionWhy, SectionLinks,
	SectionVerdict, SectionSummary, SectionFindings, SectionIndicators, SectionHistory, SectionDatalake, SectionDetection}

// MaxCommentChars bounds a comment, marker line included: a longer one is
// tightened (fewer and shorter reasons, shorter lines) until it fits.
const MaxCommentChars = 1500

// Report is a finished investigation, ready to render.
type Report struct {
	AlertID    string
	JobID      int64
	Alert      *panther.Alert
	Verdict    Verdict
	Summary    string
	Findings   []triage.Finding
	Indicators []Indicator
	Detection  *panther.Detection
	// Digest is the alert's events read as actions; nil when the events
	// could not be read.
	Digest *triage.Digest
	// Precedent is what other alerts say about this one; nil when the
	// precedent step did not run.
	Precedent *triage.Precedent
	// Story, NextSteps, Tuning and Why are what an analyst reads first
	// (see Brief).
	Story     []string
	NextSteps []string
	Tuning    *triage.Tuning
	Why       []triage.Finding
	Timings   map[string]time.Duration
	Cost      triage.Cost
	// Narrative is set when a narrator wrote the summary.
	Narrative *triage.Narrative
	// ConsoleURL, when set, turns alert evidence into links to Panther's
	// console (<ConsoleURL>/alerts/<id>).
	ConsoleURL string
	// PublicURL, when set, is this service's external base URL: the
	// comment links to the full report at <PublicURL>/investigations/<id>.
	PublicURL string
}

// ReportURL is the address of the alert's full report on this service, or
// "" without a public URL.
func (r Report) ReportURL() string {
	base := strings.TrimRight(r.PublicURL, "/")
	if !isWebURL(base) {
		return ""
	}
	return base + "/investigations/" + url.PathEscape(r.AlertID)
}

// Marker is the last line of every comment this service posts for a job: it
// is how a retried job knows its comment is already there.
func Marker(jobID int64, alertID string) string {
	return fmt.Sprintf("panther-triage run %d · %s", jobID, alertID)
}

// Headline is the first line of a comment.
func Headline(v Verdict) string {
	return fmt.Sprintf("panther-triage: %s (confidence %.2f)", strings.ToUpper(v.Label), v.Confidence)
}

// fit is how tightly a comment is written: how many reasons, and how long
// each line of the story, the next steps and the reasons may be.
type fit struct{ why, whyLen, story, storyLen, steps, stepLen int }

// maxLinked is how many linked alerts the evidence names at most; they are
// the first thing a comment over the budget gives up, before any reason.
const maxLinked = 3

// fits are tried in turn until the comment, without linked alerts, is at
// most MaxCommentChars; then as many linked alerts as still fit are named.
// Whole reasons are dropped before the remaining ones are cut: a reader
// trusts three complete reasons more than five that stop mid-word.
var fits = []fit{
	{5, 300, 3, 400, 4, 260},
	{4, 300, 3, 400, 4, 260},
	{3, 300, 3, 400, 4, 240},
	{3, 260, 3, 360, 4, 220},
	{2, 260, 3, 320, 4, 200},
	{2, 200, 3, 260, 4, 180},
	{1, 200, 3, 220, 4, 160},
	{1, 160, 2, 180, 3, 140},
	{1, 120, 2, 140, 3, 120},
	{1, 60, 1, 90, 2, 80},
}

// Render writes the comment for r with the chosen sections, as PLAIN_TEXT
// (readable as Markdown) or HTML: the headline, what happened, next steps,
// why, and the evidence as counts and links, then the marker. Every value
// that came from Panther's data is quoted: newlines and control characters
// cannot forge lines, and in HTML everything is escaped. The comment is
// tightened until it is at most MaxCommentChars.
func Render(r Report, sections []string, format string) string {
	want := map[string]bool{}
	for _, s := range sections {
		want[cmp.Or(SectionAliases[s], s)] = true
	}
	// The first fit that holds without linked alerts, then as many of
	// them as still fit: no reason is dropped to name an alert.
	f := fits[len(fits)-1]
	for _, x := range fits {
		if utf8.RuneCountInString(renderFit(r, want, format, x, 0)) <= MaxCommentChars {
			f = x
			break
		}
	}
	var out string
	for linked := maxLinked; linked >= 0; linked-- {
		if out = renderFit(r, want, format, f, linked); utf8.RuneCountInString(out) <= MaxCommentChars {
			break
		}
	}
	return out
}

func renderFit(r Report, want map[string]bool, format string, f fit, linked int) string {
	w := &writer{html: format == panther.FormatHTML, console: strings.TrimRight(r.ConsoleURL, "/")}
	w.line(Headline(r.Verdict))
	if want[SectionStory] && len(r.Story) > 0 {
		// One line, so that the first four lines say what happened and
		// what to do first.
		var parts []string
		for _, l := range r.Story[:min(f.story, len(r.Story))] {
			parts = append(parts, w.quote(l, f.storyLen))
		}
		w.line(strings.Join(parts, " "))
	}
	if want[SectionNext] && len(r.NextSteps) > 0 {
		w.heading("Next steps", !want[SectionStory] || len(r.Story) == 0)
		var items []string
		for _, s := range r.NextSteps[:min(f.steps, len(r.NextSteps))] {
			items = append(items, w.quote(s, f.stepLen))
		}
		w.list(items)
		if t := r.Tuning; t != nil {
			if t.YAML != "" {
				w.code("yaml", t.YAML)
			} else {
				w.line(w.q("Add to the detection: " + t.Condition + "."))
			}
		}
	}
	why := r.Why[:min(len(r.Why), f.why)]
	if want[SectionWhy] {
		w.heading("Why", true)
		if len(why) == 0 {
			w.line(w.q(noReason(r)))
		}
		var items []string
		for _, x := range why {
			items = append(items, fmt.Sprintf("[%s] %s", x.Weight, w.quote(x.Title, f.whyLen)))
		}
		w.list(items)
	}
	if want[SectionLinks] {
		w.line("")
		w.line(w.q(evidenceLine(r)))
		if l := linkedLine(r, why, linked); l != "" {
			w.line(w.q(l))
		}
		if u := r.ReportURL(); u != "" {
			w.line("Full report: " + w.link(u, "open on panther-triage"))
		}
		if id := consoleAlert(r, why); id != "" && isWebURL(w.console) {
			w.line("Earlier alert in Panther: " + w.link(w.console+"/alerts/"+url.PathEscape(id), "open in Panther"))
		}
	}
	w.line("")
	w.line(Marker(r.JobID, r.AlertID))
	return w.String()
}

// noReason says why the Why section is empty.
func noReason(r Report) string {
	if r.Alert != nil && r.Alert.SystemError != nil {
		return "A system health alert: nothing to judge as malicious or benign."
	}
	return "No finding pointed either way: nothing in the events, enrichment or history says attacker or routine."
}

// evidenceLine counts what the investigation read.
func evidenceLine(r Report) string {
	var parts []string
	if d := r.Digest; d != nil && len(d.Actions) > 0 {
		parts = append(parts, plural(len(d.Actions), "event read", "events read"))
	}
	if p := r.Precedent; p != nil {
		same, fp, other := 0, 0, 0
		var dets []string
		for _, a := range p.Alerts {
			switch {
			case a.SameDetection:
				same++
				if a.Disposition == triage.DispositionFalsePositive {
					fp++
				}
			default:
				other++
				if !slices.Contains(dets, a.DetectionID) && a.DetectionID != "" {
					dets = append(dets, a.DetectionID)
				}
			}
		}
		if same > 0 {
			s := plural(same, "earlier alert", "earlier alerts") + " of the detection"
			if fp > 0 {
				s += " (" + plural(fp, "closed as expected", "closed as expected") + ")"
			}
			parts = append(parts, s)
		}
		if other > 0 {
			s := plural(other, "alert of other detections", "alerts of other detections")
			if len(dets) > 0 {
				s += " (" + strings.Join(dets[:min(3, len(dets))], ", ")
				if len(dets) > 3 {
					s += fmt.Sprintf(" and %d more", len(dets)-3)
				}
				s += ")"
			}
			parts = append(parts, s)
		}
	}
	if n := r.Cost.LakeSearches + r.Cost.LakeCached; n > 0 {
		parts = append(parts, plural(n, "data lake search", "data lake searches"))
	}
	if len(parts) == 0 {
		return "Evidence: the alert alone."
	}
	return "Evidence: " + strings.Join(parts, ", ") + "."
}

// linkedLine names up to n of the other alerts the precedent read, most
// telling first, each with what links it to this one and how it ended:
// "Linked alerts: 90c3… (same detection, same actor; closed as a false
// positive, 2 days before); …". Alerts a reason names already, and those
// that share nothing with this one, are left out.
func linkedLine(r Report, why []triage.Finding, n int) string {
	if r.Precedent == nil || n <= 0 {
		return ""
	}
	cited := map[string]bool{}
	for _, f := range why {
		for _, e := range f.Evidence {
			if e.Kind == "alert" {
				cited[e.Ref] = true
			}
		}
	}
	type linked struct {
		a    triage.PriorAlert
		rank int
	}
	var ls []linked
	for _, a := range r.Precedent.Alerts {
		if a.ID == r.AlertID || slices.ContainsFunc(why, func(f triage.Finding) bool { return strings.Contains(f.Title, a.ID) }) {
			continue
		}
		shares := a.SameActor || a.SameIP || a.SharedEvents > 0
		var rank int
		switch {
		case cited[a.ID]:
			rank = 0
		case a.Disposition == triage.DispositionTruePositive && shares:
			rank = 1
		case a.SameDetection && a.SameActor:
			rank = 2
		case !a.SameDetection && shares:
			rank = 3
		case a.SameDetection:
			rank = 4
		default:
			continue
		}
		ls = append(ls, linked{a, rank})
	}
	// Stable: the precedent lists the detection's alerts first, newest first.
	slices.SortStableFunc(ls, func(x, y linked) int { return cmp.Compare(x.rank, y.rank) })
	var parts []string
	for _, l := range ls[:min(n, len(ls))] {
		parts = append(parts, fmt.Sprintf("%s (%s; %s, %s)", l.a.ID, linkText(l.a), endText(l.a), relativeTime(l.a.CreatedAt, createdAt(r))))
	}
	if len(parts) == 0 {
		return ""
	}
	s := "Linked alerts: " + strings.Join(parts, "; ")
	if more := len(ls) - len(parts); more > 0 {
		s += fmt.Sprintf("; %d more in the full report", more)
	}
	return s + "."
}

// linkText says what links an alert to this one.
func linkText(a triage.PriorAlert) string {
	var what []string
	if a.SameDetection {
		what = append(what, "same detection")
	} else {
		what = append(what, a.DetectionID)
	}
	if a.SharedEvents > 0 {
		what = append(what, plural(a.SharedEvents, "shared event", "shared events"))
	}
	if a.SameActor {
		what = append(what, "same actor")
	}
	if a.SameIP {
		what = append(what, "same address")
	}
	return strings.Join(what, ", ")
}

// endText says how analysts ended an alert, in words.
func endText(a triage.PriorAlert) string {
	switch a.Disposition {
	case triage.DispositionFalsePositive:
		return "closed as expected"
	case triage.DispositionTruePositive:
		return "judged a true positive"
	case triage.DispositionOpen:
		return "still " + strings.ToLower(cmp.Or(a.Status, "open"))
	}
	return "resolved without a stated verdict"
}

// createdAt is when this alert was created, or the zero time.
func createdAt(r Report) time.Time {
	if r.Alert == nil {
		return time.Time{}
	}
	return r.Alert.CreatedAt
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// consoleAlert is the earlier alert worth opening in Panther: the first
// one a reason points at, unless its ID is written already.
func consoleAlert(r Report, why []triage.Finding) string {
	for _, f := range why {
		for _, e := range f.Evidence {
			if e.Kind != "alert" || e.Ref == r.AlertID {
				continue
			}
			if slices.ContainsFunc(why, func(x triage.Finding) bool { return strings.Contains(x.Title, e.Ref) }) {
				return ""
			}
			return e.Ref
		}
	}
	return ""
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

// heading starts a section, after a blank line when gap is set.
func (w *writer) heading(title string, gap bool) {
	if w.html {
		w.b.WriteString("<h4>" + title + "</h4>\n")
		return
	}
	if gap {
		w.b.WriteString("\n")
	}
	w.b.WriteString("**" + title + "**\n")
}

// list writes items, already quoted, as a bulleted list.
func (w *writer) list(items []string) {
	if len(items) == 0 {
		return
	}
	if !w.html {
		for _, it := range items {
			w.b.WriteString("- " + it + "\n")
		}
		return
	}
	w.b.WriteString("<ul>\n")
	for _, it := range items {
		w.b.WriteString("<li>" + it + "</li>\n")
	}
	w.b.WriteString("</ul>\n")
}

// code writes a block to copy as is; text is built by this service, from
// values quoted for its language, and escaped in HTML.
func (w *writer) code(lang, text string) {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				return ' '
			}
			return r
		}, l)
	}
	if w.html {
		w.b.WriteString("<pre><code>" + html.EscapeString(strings.Join(lines, "\n")) + "</code></pre>\n")
		return
	}
	w.b.WriteString("```" + lang + "\n" + strings.Join(lines, "\n") + "\n```\n")
}

// link writes a URL built by this service: in HTML as a link named label.
func (w *writer) link(u, label string) string {
	if w.html {
		return fmt.Sprintf(`<a href="%s">%s</a>`, html.EscapeString(u), html.EscapeString(label))
	}
	return u
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
			return w.cut(b.String())
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

// maxBackoff is how far a cut value backs off to the end of a word.
const maxBackoff = 30

// cut ends a value that was too long with "…", at the end of its last
// whole word when one ends within maxBackoff runes.
func (w *writer) cut(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i > 0 && utf8.RuneCountInString(s[i:]) <= maxBackoff {
		s = strings.TrimRight(s[:i], " ,;:(→")
	}
	s += "…"
	if w.html {
		return html.EscapeString(s)
	}
	return s
}

func (w *writer) String() string { return w.b.String() }
