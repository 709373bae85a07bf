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

// AlertLister lists earlier alerts: those of one detection, and those of
// every detection in a time range.
type AlertLister interface {
	AlertsByDetection(ctx context.Context, detectionID string, after, before time.Time, max int) ([]panther.Alert, error)
	AlertsBetween(ctx context.Context, after, before time.Time, max int) ([]panther.Alert, error)
}

// History returns the step that reads the alert's past: the detection's
// alerts of the last 7 days and how analysts closed them, and the most
// recent one like this. It lists them for the precedent step too
// (Case.DetectionAlerts), with the alerts of every detection within 24 hours
// either side (Case.NearbyAlerts) when the alert has an indicator worth
// looking for; that step reads their events and compares actors, addresses
// and targets.
func History(src AlertLister) Step { return &historyStep{src: src} }

type historyStep struct{ src AlertLister }

// History windows and bounds.
const (
	detectionHistory = 7 * 24 * time.Hour
	relatedHistory   = 24 * time.Hour
	maxHistory       = 200
	// falsePositiveShare of earlier alerts closed as invalid makes the
	// history point to benign, given at least minHistory earlier alerts.
	falsePositiveShare = 0.8
	minHistory         = 3
)

func (s *historyStep) Name() string    { return triage.StepHistory }
func (s *historyStep) After() []string { return []string{triage.StepIndicators} }

func (s *historyStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	a := c.Alert
	at := a.CreatedAt
	if at.IsZero() {
		at = c.Now
	}
	var out []triage.Finding
	if a.Detection != nil && a.Detection.ID != "" {
		earlier, ok := readHistoryCovers(c.read, a.Detection.ID, at)
		if !ok {
			var err error
			if earlier, err = s.src.AlertsByDetection(ctx, a.Detection.ID, at.Add(-detectionHistory), at, maxHistory); err != nil {
				return nil, fmt.Errorf("detection history: %w", err)
			}
		}
		c.DetectionAlerts = before(earlier, a.ID, at)
		out = append(out, detectionFindings(c, c.DetectionAlerts)...)
		if len(earlier) >= maxHistory {
			out = append(out, triage.Finding{Step: triage.StepHistory, Kind: "history_truncated", Weight: triage.WeightInfo,
				Title: fmt.Sprintf("Only the newest %d alerts of %s in 7 days were read; older ones were not", maxHistory, a.Detection.ID)})
		}
	}
	if len(historyKeys(c.Indicators)) > 0 {
		// Both directions in time: an alert raised after this one (while it
		// waited to be investigated) may tell as much as one before.
		until := at.Add(relatedHistory)
		if c.Now.Before(until) {
			until = c.Now
		}
		if until.Before(at) {
			until = at
		}
		nearby, err := s.src.AlertsBetween(ctx, at.Add(-relatedHistory), until, maxHistory)
		if err != nil {
			return nil, fmt.Errorf("related alerts: %w", err)
		}
		c.NearbyAlerts = slices.DeleteFunc(nearby, func(o panther.Alert) bool { return o.ID == a.ID })
		slices.SortFunc(c.NearbyAlerts, func(x, y panther.Alert) int { return y.CreatedAt.Compare(x.CreatedAt) })
	}
	return out, nil
}

// readHistoryCovers returns the detection's alerts read with the alert when
// they cover its 7 days before at in full.
func readHistoryCovers(r *panther.AlertRead, detectionID string, at time.Time) ([]panther.Alert, bool) {
	if r == nil || r.History == nil && r.HistoryBefore.IsZero() || !r.HistoryComplete ||
		r.Alert == nil || r.Alert.Detection == nil || r.Alert.Detection.ID != detectionID ||
		r.HistoryAfter.After(at.Add(-detectionHistory)) || r.HistoryBefore.Before(at) {
		return nil, false
	}
	from := at.Add(-detectionHistory)
	return slices.DeleteFunc(slices.Clone(r.History), func(o panther.Alert) bool { return o.CreatedAt.Before(from) }), true
}

// before keeps the alerts other than id created before at, newest first.
func before(alerts []panther.Alert, id string, at time.Time) []panther.Alert {
	out := slices.DeleteFunc(slices.Clone(alerts), func(o panther.Alert) bool { return o.ID == id || !o.CreatedAt.Before(at) })
	slices.SortFunc(out, func(x, y panther.Alert) int { return y.CreatedAt.Compare(x.CreatedAt) })
	return out
}

func detectionFindings(c *Case, earlier []panther.Alert) []triage.Finding {
	det := c.Alert.Detection.ID
	if len(earlier) == 0 {
		return []triage.Finding{{Step: triage.StepHistory, Kind: "first_alert", Weight: triage.WeightInfo,
			Title: fmt.Sprintf("First alert of %s in 7 days", det)}}
	}
	byStatus := map[string]int{}
	for _, e := range earlier {
		byStatus[e.Status]++
	}
	c.Dispositions = Dispositions{Detection: det, Invalid: byStatus["CLOSED"], Resolved: byStatus["RESOLVED"], Open: byStatus["OPEN"] + byStatus["TRIAGED"]}
	var parts []string
	for _, st := range []string{"CLOSED", "RESOLVED", "TRIAGED", "OPEN"} {
		if n := byStatus[st]; n > 0 {
			label := strings.ToLower(st)
			if st == "CLOSED" {
				label = "closed as expected"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, label))
		}
	}
	out := []triage.Finding{{
		Step: triage.StepHistory, Kind: "detection_history", Weight: triage.WeightInfo,
		Title:    fmt.Sprintf("%s raised %d other alert(s) in 7 days: %s", det, len(earlier), strings.Join(parts, ", ")),
		Evidence: alertEvidence(earlier),
	}}
	title := triage.NormalizeTitle(c.Alert.Title)
	for _, e := range earlier {
		if triage.NormalizeTitle(e.Title) == title {
			out = append(out, triage.Finding{
				Step: triage.StepHistory, Kind: "similar_alert", Weight: triage.WeightInfo,
				Title:    fmt.Sprintf("The same alert was raised %s before (%s), now %s", c.Alert.CreatedAt.Sub(e.CreatedAt).Round(time.Minute), e.ID, e.Status),
				Evidence: []triage.Evidence{{Kind: "alert", Ref: e.ID}},
			})
			break
		}
	}
	if len(earlier) >= minHistory {
		if share := float64(byStatus["CLOSED"]) / float64(len(earlier)); share >= falsePositiveShare {
			out = append(out, triage.Finding{
				// Context only: Decide starts from the detection's prior,
				// taken from the same dispositions.
				Step: triage.StepHistory, Kind: "usually_false_positive", Weight: triage.WeightInfo,
				Title:    fmt.Sprintf("Analysts closed %d of %d earlier alerts of %s as expected", byStatus["CLOSED"], len(earlier), det),
				Evidence: alertEvidence(earlier),
			})
		}
	}
	return out
}

// historyKeys are the indicators worth looking for in other alerts: the
// top public IPs, users, emails and actor IDs.
func historyKeys(inds []Indicator) []Indicator {
	var out []Indicator
	for _, ind := range inds {
		switch {
		case ind.Kind == KindIP && ind.Class != IPPublic:
		case ind.Kind == KindIP, ind.Kind == KindUsername, ind.Kind == KindEmail:
			out = append(out, ind)
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

// mentions says whether a title names value as a whole word.
func mentions(title, value string) bool {
	t, v := strings.ToLower(title), strings.ToLower(value)
	for i := 0; ; {
		j := strings.Index(t[i:], v)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(v)
		if (start == 0 || !wordByte(t[start-1])) && (end == len(t) || !wordByte(t[end])) {
			return true
		}
		i = start + 1
	}
}

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '@' || b == '-'
}

func alertEvidence(alerts []panther.Alert) []triage.Evidence {
	var out []triage.Evidence
	for _, a := range alerts[:min(len(alerts), maxRefs)] {
		out = append(out, triage.Evidence{Kind: "alert", Ref: a.ID})
	}
	return out
}
