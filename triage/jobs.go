package triage

import (
	"regexp"
	"strings"
	"time"
)

// Job is the queued work for one delivery: the alert and when its delivery
// was accepted, and what to do with it. Everything else is read from Panther
// when the job runs.
type Job struct {
	AlertID     string    `json:"alert_id"`
	DetectionID string    `json:"detection_id"`
	ReceivedAt  time.Time `json:"received_at"`
	// Mode is what the job does: investigate (empty), comment that the alert
	// repeats RepeatOf, or comment that a budget stopped it (Reason).
	Mode     string `json:"mode,omitempty"`
	RepeatOf string `json:"repeat_of,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Job modes.
const (
	ModeInvestigate = ""
	ModeRepeat      = "repeat"
	ModeOverBudget  = "over_budget"
)

// Kind is the job's stable name in the queue.
func (Job) Kind() string { return "investigate_alert" }

// titlePrefixes are what Panther puts before an alert's title in a webhook
// ("New Alert: ", "[Re-sent]: ", …), case-insensitively, possibly repeated.
var titlePrefixes = regexp.MustCompile(`(?i)^\s*(?:(?:new|updated|re-?sent)\s+alert\s*:|\[[^\]]{1,20}\]\s*:)\s*`)

// NormalizeTitle is the title that tells storm alerts apart: without
// Panther's prefixes, lower case, spaces folded.
func NormalizeTitle(title string) string {
	for {
		t := titlePrefixes.ReplaceAllString(title, "")
		if t == title {
			break
		}
		title = t
	}
	return strings.Join(strings.Fields(strings.ToLower(title)), " ")
}
