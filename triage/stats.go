package triage

import "time"

// VerdictRow is a finished investigation whose alert's final status is not
// known yet.
type VerdictRow struct {
	AlertID     string
	DetectionID string
	Verdict     string
	CreatedAt   time.Time
}

// Agreement counts, for one detection, how often analysts ended its alerts
// the way the service's verdict said.
type Agreement struct {
	DetectionID string
	Agree       int
	Disagree    int
}

// QueueStates are river's job states, in the order metrics list them.
var QueueStates = []string{
	"available", "scheduled", "running", "retryable", "pending",
	"completed", "cancelled", "discarded",
}

// QueueStats is the job queue at one moment, for metrics.
type QueueStats struct {
	// Jobs counts the queue's jobs by state, one entry for each of
	// QueueStates (zero when none). Finished jobs (completed, cancelled,
	// discarded) are kept for a day, then deleted by the queue.
	Jobs map[string]int64
	// OldestAvailable is how long the oldest job that is ready to run has
	// been waiting for a worker; 0 when none waits.
	OldestAvailable time.Duration
}
