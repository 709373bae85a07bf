package investigate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// EventSource reads an alert's events.
type EventSource interface {
	AlertEvents(ctx context.Context, alertID string, max int) ([]panther.Event, error)
}

// Events returns the step that reads up to max events of the alert and
// reports their log types, time span and how many Panther holds.
func Events(src EventSource, max int) Step { return &eventsStep{src: src, max: max} }

type eventsStep struct {
	src EventSource
	max int
}

func (s *eventsStep) Name() string { return triage.StepEvents }

func (s *eventsStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	var events []panther.Event
	if r := c.read; r != nil && (r.EventsComplete || len(r.Events) >= s.max) {
		// Read with the alert already.
		events = r.Events[:min(len(r.Events), s.max)]
	} else {
		var err error
		if events, err = s.src.AlertEvents(ctx, c.Alert.ID, s.max); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
	}
	c.Events = events
	c.Digest = NewDigest(events)
	c.Digest.Omitted = max(0, c.Alert.EventCount-len(events))
	return summarizeEvents(events, c.Alert.EventCount, s.max), nil
}

// summarizeEvents reports the count, log types and time span of events.
func summarizeEvents(events []panther.Event, total, max int) []triage.Finding {
	if len(events) == 0 {
		return []triage.Finding{{Step: triage.StepEvents, Kind: "no_events", Title: "The alert has no events to read", Weight: triage.WeightInfo}}
	}
	counts := map[string]int{}
	var first, last time.Time
	var firstRow, lastRow string
	for _, ev := range events {
		lt, _ := ev["p_log_type"].(string)
		if lt == "" {
			lt = "unknown"
		}
		counts[lt]++
		ts, ok := eventTime(ev)
		if !ok {
			continue
		}
		row, _ := ev["p_row_id"].(string)
		if first.IsZero() || ts.Before(first) {
			first, firstRow = ts, row
		}
		if last.IsZero() || ts.After(last) {
			last, lastRow = ts, row
		}
	}
	types := make([]string, 0, len(counts))
	for lt, n := range counts {
		types = append(types, fmt.Sprintf("%s (%d)", lt, n))
	}
	slices.Sort(types)

	title := fmt.Sprintf("%d events read", len(events))
	if total > len(events) {
		title = fmt.Sprintf("%d of %d events read (limit %d)", len(events), total, max)
	}
	out := []triage.Finding{{
		Step: triage.StepEvents, Kind: "event_count", Title: title,
		Detail: "Log types: " + strings.Join(types, ", "), Weight: triage.WeightInfo,
	}}
	if !first.IsZero() {
		f := triage.Finding{
			Step: triage.StepEvents, Kind: "time_span", Weight: triage.WeightInfo,
			Title: fmt.Sprintf("Events from %s to %s (%s)", first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339), last.Sub(first).Round(time.Second)),
		}
		for _, r := range []string{firstRow, lastRow} {
			if r != "" && !slices.ContainsFunc(f.Evidence, func(e triage.Evidence) bool { return e.Ref == r }) {
				f.Evidence = append(f.Evidence, triage.Evidence{Kind: "event", Ref: r})
			}
		}
		out = append(out, f)
	}
	return out
}

// eventTime reads p_event_time, which Panther writes as
// "2006-01-02 15:04:05.000000000" (UTC) or RFC 3339.
func eventTime(ev panther.Event) (time.Time, bool) {
	s, _ := ev["p_event_time"].(string)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
