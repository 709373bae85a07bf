package triage

import "time"

// SummaryTitleMax is how many characters of an alert's title, and of a skip
// or failure reason, a Summary carries; longer ones are cut and marked.
const SummaryTitleMax = 300

// Summary is what a list of investigations shows of one record: enough to
// pick a row, never the findings, comment or audit trail, so a page of them
// stays small however large the records are.
type Summary struct {
	AlertID     string  `json:"alertId"`
	JobID       int64   `json:"jobId"`
	DetectionID string  `json:"detectionId,omitempty"`
	Title       string  `json:"title,omitempty"` // at most SummaryTitleMax characters
	TitleCut    bool    `json:"titleCut,omitempty"`
	Severity    string  `json:"severity,omitempty"`
	State       string  `json:"state"`
	Verdict     string  `json:"verdict,omitempty"`
	Confidence  float64 `json:"confidence"`
	Attempts    int     `json:"attempts"`
	CommentID   string  `json:"commentId,omitempty"` // the comment posted on the alert, "" before
	// Reason says why a skipped or failed investigation ended so, at most
	// SummaryTitleMax characters.
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// SummaryPage is one page of summaries and the cursor of the next page, ""
// when there is none.
type SummaryPage struct {
	Summaries []Summary `json:"investigations"`
	Next      string    `json:"nextCursor,omitempty"`
}
