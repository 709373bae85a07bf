package handler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// whyMax is how many findings the report's "Why" lists.
const whyMax = 5

// detailPage is the data of the report page, in the order the page reads:
// what happened, what to do and why first; then the timeline; then
// precedent; then everything else.
type detailPage struct {
	pageHead
	triage.Record

	// Story says in a few lines what happened.
	Story []string
	// NextSteps are the actions to take; Tuning, for a benign call, the
	// exclusion that would have suppressed this alert and its precedent.
	NextSteps []string
	Tuning    *triage.Tuning
	// Why are the strongest findings, strongest first.
	Why []triage.Finding
	// Timeline orders what is known of the case in time.
	Timeline []timelineEntry
	// Precedent is what earlier alerts of the detection, and how analysts
	// ended them, say about this one; PriorAlerts the alerts read, each
	// with what it shares with this one and the analyst's reason.
	Precedent   []triage.Finding
	PriorAlerts []priorAlert
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

// priorAlert is one earlier or nearby alert of the report's precedent.
type priorAlert struct {
	triage.PriorAlert
	// Shares says what it has in common with this alert.
	Shares string
}

// findingSection is one group of findings of the report.
type findingSection struct {
	Title    string
	Findings []triage.Finding
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
func newDetailPage(head pageHead, rec triage.Record) detailPage {
	p := detailPage{pageHead: head, Record: rec}

	// Story, next steps and why: what the comment opens with, else the
	// narrator's, else the summary and the weightiest findings.
	p.Story, p.NextSteps, p.Why, p.Tuning = rec.Story, rec.NextSteps, rec.Why, rec.Tuning
	if n := rec.Narrative; n != nil && n.Summary != "" && len(p.Story) == 0 {
		p.Story = []string{n.Summary}
	}
	if n := rec.Narrative; n != nil && len(p.NextSteps) == 0 {
		p.NextSteps = n.NextSteps
	}
	if len(p.Story) == 0 && rec.Summary != "" {
		p.Story = []string{rec.Summary}
	}
	if len(p.Why) == 0 {
		for _, f := range rec.Findings {
			if weightRank(f.Weight) > 0 {
				p.Why = append(p.Why, f)
			}
		}
		slices.SortStableFunc(p.Why, func(a, b triage.Finding) int {
			return cmp.Compare(weightRank(b.Weight), weightRank(a.Weight))
		})
	}
	p.Why = p.Why[:min(len(p.Why), whyMax)]

	// Timeline: each action of the digest, else the events' span as the
	// findings state it; then the service's own steps.
	if d := rec.Digest; d != nil && len(d.Actions) > 0 {
		for _, a := range d.Actions {
			p.Timeline = append(p.Timeline, timelineEntry{At: a.Time, What: actionLine(a)})
		}
		if d.Omitted > 0 {
			p.Timeline = append(p.Timeline, timelineEntry{What: fmt.Sprintf("… and %d more events not shown", d.Omitted)})
		}
	} else {
		for _, f := range rec.Findings {
			if f.Kind == "time_span" {
				p.Timeline = append(p.Timeline, timelineEntry{What: f.Title})
			}
		}
	}
	if !rec.CreatedAt.IsZero() {
		p.Timeline = append(p.Timeline, timelineEntry{At: rec.CreatedAt, What: "Panther delivered the alert"})
	}
	if rec.State != triage.StateQueued && rec.State != triage.StateRunning && !rec.UpdatedAt.IsZero() {
		what := "Investigation ended: " + rec.State
		if rec.Verdict != "" {
			what = "Investigation ended: " + rec.Verdict
		}
		if rec.CommentID != "" {
			what += ", comment posted"
		}
		p.Timeline = append(p.Timeline, timelineEntry{At: rec.UpdatedAt, What: what})
	}
	if pr := rec.Precedent; pr != nil {
		for _, a := range pr.Alerts {
			p.PriorAlerts = append(p.PriorAlerts, priorAlert{PriorAlert: a, Shares: shares(a)})
		}
	}

	// Precedent, then the rest by step.
	grouped := map[string][]triage.Finding{}
	for _, f := range rec.Findings {
		if f.Step == triage.StepHistory || f.Step == triage.StepPrecedent {
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
	var other []triage.Finding
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
func weightRank(w triage.Weight) int {
	switch w {
	case triage.WeightMalicious:
		return 4
	case triage.WeightSuspicious:
		return 3
	case triage.WeightMissing:
		return 2
	case triage.WeightBenign:
		return 1
	}
	return 0
}

// actionLine is one action of the digest in words: who did what to what,
// how it ended, from where.
func actionLine(a triage.Action) string {
	var b strings.Builder
	b.WriteString(cmp.Or(a.Actor, "someone"))
	b.WriteString(" " + a.Action)
	if a.Target != "" {
		b.WriteString(" " + a.Target)
	}
	switch {
	case a.Failed() && a.Reason != "":
		b.WriteString(" — failed (" + a.Reason + ")")
	case a.Failed():
		b.WriteString(" — failed")
	}
	if a.MFA == "no" {
		b.WriteString(", without MFA")
	}
	if a.SourceIP != "" {
		b.WriteString(" from " + a.SourceIP)
		if a.Country != "" {
			b.WriteString(" (" + a.Country + ")")
		}
	}
	return b.String()
}

// shares says what an earlier alert has in common with this one.
func shares(a triage.PriorAlert) string {
	var out []string
	for _, x := range []struct {
		ok   bool
		what string
	}{{a.SameActor, "actor"}, {a.SameIP, "address"}, {a.SameNetwork && !a.SameIP, "network"}, {a.SameAccount, "account"}, {a.SameTarget, "target"}} {
		if x.ok {
			out = append(out, x.what)
		}
	}
	if a.SharedEvents > 0 {
		out = append(out, fmt.Sprintf("%d events", a.SharedEvents))
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}
