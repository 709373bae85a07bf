package handler

import (
	"cmp"
	"slices"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
)

// whyMax is how many findings the report's "Why" lists.
const whyMax = 5

// detailPage is the data of the report page, in the order the page reads:
// what happened, what to do and why first; then the timeline; then
// precedent; then everything else.
type detailPage struct {
	pageHead
	investigate.Record

	// Story says in a few lines what happened.
	Story []string
	// NextSteps are the actions to take.
	NextSteps []string
	// Why are the strongest findings, strongest first.
	Why []investigate.Finding
	// Timeline orders what is known of the case in time.
	Timeline []timelineEntry
	// Precedent is what earlier alerts of the detection, and how analysts
	// ended them, say about this one.
	Precedent []investigate.Finding
	// Sections are the remaining findings, grouped by what they are about.
	Sections []findingSection
	// Runbook is the detection's runbook.
	Runbook string
}

// timelineEntry is one moment of the report's timeline.
type timelineEntry struct {
	At   time.Time
	What string
}

// findingSection is one group of findings of the report.
type findingSection struct {
	Title    string
	Findings []investigate.Finding
}

// The report's groups of findings, by the step that made them; steps not
// named here go under "Other findings".
var reportSections = []struct{ title, step string }{
	{"Events", "events"},
	{"Enrichment", "enrichment"},
	{"Indicators", "indicators"},
	{"Data lake", "datalake"},
	{"Detection", "detection"},
}

// newDetailPage arranges a record for the report page.
//
// The story, next steps, timeline, precedent and runbook come from the
// record's fields that carry them; where a record carries none (records
// written before those fields existed, or with the narrator off), the
// page falls back on what every record has: the summary, the findings and
// the record's own times.
func newDetailPage(head pageHead, rec investigate.Record) detailPage {
	p := detailPage{pageHead: head, Record: rec}

	// Story and next steps: the narrator's, else the summary.
	if n := rec.Narrative; n != nil && n.Summary != "" {
		p.Story = []string{n.Summary}
		p.NextSteps = n.NextSteps
	} else if rec.Summary != "" {
		p.Story = []string{rec.Summary}
	}

	// Why: the findings that weigh on the verdict, strongest first.
	for _, f := range rec.Findings {
		if weightRank(f.Severity) > 0 {
			p.Why = append(p.Why, f)
		}
	}
	slices.SortStableFunc(p.Why, func(a, b investigate.Finding) int {
		return cmp.Compare(weightRank(b.Severity), weightRank(a.Severity))
	})
	p.Why = p.Why[:min(len(p.Why), whyMax)]

	// Timeline: the events' span as the findings state it, then the
	// service's own steps.
	for _, f := range rec.Findings {
		if f.Kind == "time_span" {
			p.Timeline = append(p.Timeline, timelineEntry{What: f.Title})
		}
	}
	if !rec.CreatedAt.IsZero() {
		p.Timeline = append(p.Timeline, timelineEntry{At: rec.CreatedAt, What: "Panther delivered the alert"})
	}
	if rec.State != investigate.StateQueued && rec.State != investigate.StateRunning && !rec.UpdatedAt.IsZero() {
		what := "Investigation ended: " + rec.State
		if rec.Verdict != "" {
			what = "Investigation ended: " + rec.Verdict
		}
		if rec.CommentID != "" {
			what += ", comment posted"
		}
		p.Timeline = append(p.Timeline, timelineEntry{At: rec.UpdatedAt, What: what})
	}

	// Precedent, then the rest by step.
	grouped := map[string][]investigate.Finding{}
	for _, f := range rec.Findings {
		if f.Step == "history" {
			p.Precedent = append(p.Precedent, f)
			continue
		}
		grouped[f.Step] = append(grouped[f.Step], f)
	}
	for _, sec := range reportSections {
		if fs := grouped[sec.step]; len(fs) > 0 {
			p.Sections = append(p.Sections, findingSection{Title: sec.title, Findings: fs})
		}
		delete(grouped, sec.step)
	}
	var other []investigate.Finding
	for _, f := range rec.Findings {
		if _, ok := grouped[f.Step]; ok {
			other = append(other, f)
		}
	}
	if len(other) > 0 {
		p.Sections = append(p.Sections, findingSection{Title: "Other findings", Findings: other})
	}
	return p
}

// weightRank orders finding weights by how strongly they speak; 0 for
// those that do not weigh on the verdict.
func weightRank(w investigate.Weight) int {
	switch w {
	case investigate.WeightMalicious:
		return 4
	case investigate.WeightSuspicious:
		return 3
	case investigate.WeightMissing:
		return 2
	case investigate.WeightBenign:
		return 1
	}
	return 0
}
