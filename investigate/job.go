package investigate

import "time"

// Job is the queued work for one delivery: the alert to investigate and when
// its delivery was accepted. Everything else is read from Panther when the
// job runs.
type Job struct {
	AlertID     string    `json:"alert_id"`
	DetectionID string    `json:"detection_id"`
	ReceivedAt  time.Time `json:"received_at"`
}

// Kind is the job's stable name in the queue.
func (Job) Kind() string { return "investigate_alert" }
