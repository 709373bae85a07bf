package triage

import (
	"regexp"
	"strings"
	"time"
)

// The queue's job kinds. Each delivery the intake accepts becomes one job
// of one kind, as Route decides; everything else about the alert is read
// from Panther when the job runs. A kind's name is stable: jobs queued by
// one release are worked by the next.
const (
	KindInvestigate = "investigate_alert"
	KindRepeat      = "comment_repeat"
	KindOverBudget  = "comment_over_budget"
)

// QueuedAlert is what every job of an alert carries: the alert, its
// detection, and when its delivery was accepted.
type QueuedAlert struct {
	AlertID     string    `json:"alert_id"`
	DetectionID string    `json:"detection_id"`
	ReceivedAt  time.Time `json:"received_at"`
}

// InvestigateJob investigates an alert and comments the verdict on it.
type InvestigateJob struct {
	QueuedAlert
}

// Kind is the job's stable name in the queue.
func (InvestigateJob) Kind() string { return KindInvestigate }

// RepeatJob comments that an alert repeats RepeatOf, the leader of its
// storm, with the leader's verdict once there is one.
type RepeatJob struct {
	QueuedAlert
	RepeatOf string `json:"repeat_of"`
}

// Kind is the job's stable name in the queue.
func (RepeatJob) Kind() string { return KindRepeat }

// OverBudgetJob comments that an alert was not investigated because an
// hourly budget was used up (Reason).
type OverBudgetJob struct {
	QueuedAlert
	Reason string `json:"reason"`
}

// Kind is the job's stable name in the queue.
func (OverBudgetJob) Kind() string { return KindOverBudget }

// Route is what the intake decided a delivery's job does. Its mode is
// stored with the delivery, so that the budgets count only the deliveries
// that are investigated.
type Route struct {
	// Mode is ModeInvestigate, ModeRepeat or ModeOverBudget.
	Mode     string
	RepeatOf string
	Reason   string
}

// Modes of a delivery, as stored with it.
const (
	ModeInvestigate = ""
	ModeRepeat      = "repeat"
	ModeOverBudget  = "over_budget"
)

// Job is the queue's job for the delivery of alert a routed so: an
// InvestigateJob, a RepeatJob or an OverBudgetJob.
func (r Route) Job(a QueuedAlert) interface{ Kind() string } {
	switch r.Mode {
	case ModeRepeat:
		return RepeatJob{QueuedAlert: a, RepeatOf: r.RepeatOf}
	case ModeOverBudget:
		return OverBudgetJob{QueuedAlert: a, Reason: r.Reason}
	}
	return InvestigateJob{QueuedAlert: a}
}

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
