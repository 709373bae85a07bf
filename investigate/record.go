package investigate

import (
	"errors"
	"time"
)

// ErrNoRecord is returned by record stores when no investigation exists for
// an alert.
var ErrNoRecord = errors.New("no investigation record")

// ErrBadCursor is returned by record stores for a list cursor they did not
// write.
var ErrBadCursor = errors.New("invalid cursor")

// States of an investigation record.
const (
	StateQueued  = "queued"
	StateRunning = "running"
	StateDone    = "done"
	StateSkipped = "skipped"
	StateFailed  = "failed"
)

// Record is the stored state and outcome of one alert's investigation, as the
// read API returns it.
type Record struct {
	AlertID     string    `json:"alertId"`
	JobID       int64     `json:"jobId"`
	DetectionID string    `json:"detectionId,omitempty"`
	Title       string    `json:"title,omitempty"`
	Severity    string    `json:"severity,omitempty"`
	Link        string    `json:"link,omitempty"` // the alert in Panther's console, from the delivery
	State       string    `json:"state"`
	Verdict     string    `json:"verdict,omitempty"`
	Confidence  float64   `json:"confidence"`
	Summary     string    `json:"summary,omitempty"`
	Findings    []Finding `json:"findings"`
	// Story, NextSteps, Tuning and Why are what the comment opens with:
	// what happened, what to do (with a filter for the detection when
	// analysts keep closing the same activity), and the strongest findings.
	Story     []string  `json:"story,omitempty"`
	NextSteps []string  `json:"nextSteps,omitempty"`
	Tuning    *Tuning   `json:"tuning,omitempty"`
	Why       []Finding `json:"why,omitempty"`
	// Digest is the events read as actions, in time order (the timeline);
	// Precedent the earlier and nearby alerts read, with the analysts'
	// reasons.
	Digest    *Digest           `json:"digest,omitempty"`
	Precedent *Precedent        `json:"precedent,omitempty"`
	Comment   string            `json:"comment,omitempty"` // the rendered comment body
	CommentID string            `json:"commentId,omitempty"`
	Attempts  int               `json:"attempts"`
	Error     string            `json:"error,omitempty"`
	Timings   map[string]string `json:"timings"` // step name → duration, e.g. "120ms"
	Cost      Cost              `json:"cost"`
	Narrative *Narrative        `json:"narrative,omitempty"` // the model's text and its audit trail
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

// ListQuery selects investigation records, newest first.
type ListQuery struct {
	// Limit is the page size.
	Limit int
	// State and Verdict, when set, keep only records that have them.
	State, Verdict string
	// Cursor continues a listing where the previous page ended; "" starts
	// at the newest record.
	Cursor string
}

// RecordPage is one page of records and the cursor of the next page, ""
// when there is none.
type RecordPage struct {
	Records []Record `json:"investigations"`
	Next    string   `json:"nextCursor,omitempty"`
}
