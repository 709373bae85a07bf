package panther

import "time"

// Alert is a Panther alert as this service needs it: the GraphQL alert merged
// with the fields only REST returns (context and event count).
type Alert struct {
	ID                   string
	Title                string
	Description          string
	Severity             string // INFO LOW MEDIUM HIGH CRITICAL
	Status               string // OPEN TRIAGED RESOLVED CLOSED
	Type                 string // RULE, POLICY, SCHEDULED_RULE, …; unknown values are kept as sent
	Reference            string
	Runbook              string
	CreatedAt            time.Time
	UpdatedAt            *time.Time
	FirstEventOccurredAt *time.Time
	LastReceivedEventAt  time.Time
	// Assignee is nil when the alert is unassigned.
	Assignee *User
	// Detection is set when the alert's origin is a detection (or a deleted one,
	// with Deleted true); SystemError when it is a system error.
	Detection   *DetectionRef
	SystemError *SystemErrorRef
	// Context is the alert_context the detection returned (REST only).
	Context map[string]any
	// EventCount is the number of events Panther holds for the alert (REST
	// only, or known when every event was read with the alert).
	EventCount int
	// RESTError is set when GraphQL served the alert but REST's
	// GET /alerts/{id} failed: Context and EventCount are then unknown.
	RESTError error
}

// User is a Panther user, as an alert's assignee.
type User struct {
	ID    string
	Email string
	Name  string
}

// DetectionRef names the detection an alert came from.
type DetectionRef struct {
	ID      string
	Name    string
	Type    string // RULE, SCHEDULED_RULE, POLICY, …
	Deleted bool
}

// SystemErrorRef describes the origin of a system-error alert.
type SystemErrorRef struct {
	Type             string
	RelatedComponent string
}

// Event is one log event attached to an alert, as Panther stores it:
// a JSON object with the p_* standard fields beside the log's own fields.
type Event map[string]any

// Comment is a comment on an alert.
type Comment struct {
	ID        string
	AlertID   string
	Body      string
	Format    string // PLAIN_TEXT or HTML
	CreatedAt time.Time
	CreatedBy string
}

// Detection is a rule, scheduled rule or policy as read from the REST API.
type Detection struct {
	ID   string
	Kind string // "rules", "scheduled-rules", "policies" or "simple-rules": the REST collection it was found in
	// Denied are the collections tried before Kind that refused the token
	// (HTTP 403); see Permission.
	Denied             []string
	DisplayName        string
	Description        string
	Runbook            string
	Severity           string
	Tags               []string
	LogTypes           []string
	Reports            map[string][]string // e.g. {"MITRE ATT&CK": ["TA0006:T1110"]}
	DedupPeriodMinutes int
	Threshold          int
	Enabled            bool
}

// Comment formats accepted by Panther.
const (
	FormatPlainText = "PLAIN_TEXT"
	FormatHTML      = "HTML"
)
