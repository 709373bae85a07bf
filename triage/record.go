package triage

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
	Digest    *Digest    `json:"digest,omitempty"`
	Precedent *Precedent `json:"precedent,omitempty"`
	Comment   string     `json:"comment,omitempty"` // the rendered comment body
	CommentID string     `json:"commentId,omitempty"`
	Attempts  int        `json:"attempts"`
	// Reason says why a record was skipped or waits for a retry; Error
	// why it failed. StateReason gives whichever is set.
	Reason    string            `json:"reason,omitempty"`
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

// Tuning is a ready-to-paste exclusion for the detection that would have
// suppressed the alerts analysts keep closing as expected.
type Tuning struct {
	// Detection is the detection to change.
	Detection string `json:"detection"`
	// Suppressed is how many earlier alerts of the detection it would have
	// suppressed, all judged false positives.
	Suppressed int `json:"suppressed"`
	// Fields are the event fields and values the exclusion matches.
	Fields []TuningField `json:"fields"`
	// YAML is an InlineFilters entry for the rule's YAML file; empty for
	// scheduled rules and policies, which take no inline filters.
	YAML string `json:"yaml,omitempty"`
	// Condition is the same exclusion in words, for any detection.
	Condition string `json:"condition"`
}

// TuningField is one event field an exclusion matches.
type TuningField struct {
	KeyPath string `json:"keyPath"`
	Value   string `json:"value"`
}

// Cost is what an investigation spent beyond plain API reads.
type Cost struct {
	// LakeSearches is how many data lake searches ran; LakeCached how many
	// were answered from the cache instead.
	LakeSearches int `json:"lakeSearches"`
	LakeCached   int `json:"lakeCached"`
	// BytesScanned is what the searches that ran scanned.
	BytesScanned float64 `json:"bytesScanned"`
	// LakePolls counts the polls of running data lake queries, where the
	// step that ran them counts them.
	LakePolls int `json:"lakePolls,omitempty"`
	// AlertReads counts other alerts whose events and comments were read
	// from Panther; AlertReadsCached those answered from the cache.
	AlertReads       int `json:"alertReads,omitempty"`
	AlertReadsCached int `json:"alertReadsCached,omitempty"`
}

// Narrative is a narrator's text with what is needed to audit it.
type Narrative struct {
	Summary   string   `json:"summary"`
	NextSteps []string `json:"nextSteps,omitempty"`
	// Audit trail: the model, the prompt sent, the raw reply and the token
	// counts the endpoint reported.
	Model            string `json:"model"`
	Prompt           string `json:"prompt"`
	Reply            string `json:"reply"`
	PromptTokens     int    `json:"promptTokens"`
	CompletionTokens int    `json:"completionTokens"`
}

// StateReason says why the record is in its state: why it failed, was
// skipped or waits for a retry; "" when it needs no reason.
func (r Record) StateReason() string {
	if r.Error != "" {
		return r.Error
	}
	return r.Reason
}
