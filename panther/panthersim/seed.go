package panthersim

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"time"
)

//go:embed seed/*.json
var seedFiles embed.FS

// SeedAlert is an alert to load into the simulated Panther, with its events
// and the detection it came from. It is also the format of the JSON seed
// files (one alert per file, or an array of alerts). Zero fields get
// defaults when added: Status OPEN, Type from the origin, event times from
// the events, EventCount from len(Events).
type SeedAlert struct {
	ID                   string     `json:"id"` // 32 hex characters for realism
	Title                string     `json:"title"`
	Description          string     `json:"description,omitempty"`
	Severity             string     `json:"severity"`         // INFO LOW MEDIUM HIGH CRITICAL
	Status               string     `json:"status,omitempty"` // OPEN TRIAGED RESOLVED CLOSED
	Type                 string     `json:"type,omitempty"`   // RULE, POLICY, SCHEDULED_RULE, SYSTEM_ERROR, …
	Reference            string     `json:"reference,omitempty"`
	Runbook              string     `json:"runbook,omitempty"`
	CreatedAt            time.Time  `json:"createdAt"`
	UpdatedAt            *time.Time `json:"updatedAt,omitempty"`
	FirstEventOccurredAt *time.Time `json:"firstEventOccurredAt,omitempty"`
	LastReceivedEventAt  time.Time  `json:"lastReceivedEventAt,omitzero"`
	Assignee             *SeedUser  `json:"assignee,omitempty"`
	Origin               SeedOrigin `json:"origin"`
	// Context is the alert_context (REST's context, the payload's alertContext).
	Context map[string]any `json:"context,omitempty"`
	// EventCount overrides REST's eventCount; zero means len(Events).
	EventCount int              `json:"eventCount,omitempty"`
	Events     []map[string]any `json:"events,omitempty"`
	// Detection is served by the REST detection routes; nil for system
	// errors and deleted detections.
	Detection *SeedDetection `json:"detection,omitempty"`
	// Comments are analysts' comments already on the alert (their reasons
	// for closing or resolving it), served by REST's /alert-comments.
	Comments []SeedComment `json:"comments,omitempty"`
	// Link and Version only shape WebhookPayload; empty means derived.
	Link    string `json:"link,omitempty"`
	Version string `json:"version,omitempty"`
}

// SeedOrigin is what generated an alert: GraphQL's AlertOrigin union.
type SeedOrigin struct {
	// Kind is "Detection" (the default), "DeletedDetection" or "SystemError".
	Kind string `json:"kind,omitempty"`
	// ID and Name identify a detection; Type is its DetectionType (RULE,
	// SCHEDULED_RULE, POLICY, …) or, for a system error, its SystemErrorType.
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
	// RelatedComponent is set on system errors (LOG_SOURCE, DESTINATION, …).
	RelatedComponent string `json:"relatedComponent,omitempty"`
}

// SeedComment is a comment a person left on a seeded alert.
type SeedComment struct {
	Body string `json:"body"`
	// CreatedBy is the author: a user's ID or email.
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	// Format is PLAIN_TEXT (the default) or HTML.
	Format string `json:"format,omitempty"`
}

// SeedUser is a Panther user, as an alert's assignee.
type SeedUser struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// SeedDetection is a rule, scheduled rule, simple rule or policy as the REST
// API serves it.
type SeedDetection struct {
	// Kind is the REST collection: "rules", "scheduled-rules", "policies" or
	// "simple-rules".
	Kind               string              `json:"kind"`
	ID                 string              `json:"id"`
	DisplayName        string              `json:"displayName,omitempty"`
	Description        string              `json:"description,omitempty"`
	Runbook            string              `json:"runbook,omitempty"`
	Severity           string              `json:"severity,omitempty"`
	Enabled            bool                `json:"enabled"`
	Tags               []string            `json:"tags,omitempty"`
	LogTypes           []string            `json:"logTypes,omitempty"`
	ResourceTypes      []string            `json:"resourceTypes,omitempty"`
	Reports            map[string][]string `json:"reports,omitempty"`
	DedupPeriodMinutes int                 `json:"dedupPeriodMinutes,omitempty"`
	Threshold          int                 `json:"threshold,omitempty"`
}

// LoadSeeds reads every *.json file at the root of fsys, in name order. A
// file holds one SeedAlert object or an array of them; unknown fields are
// errors, so a typo in a seed does not pass silently.
func LoadSeeds(fsys fs.FS) ([]SeedAlert, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("panthersim: list seeds: %w", err)
	}
	slices.Sort(names)
	var out []SeedAlert
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("panthersim: read seed %s: %w", name, err)
		}
		seeds, err := decodeSeeds(b)
		if err != nil {
			return nil, fmt.Errorf("panthersim: seed %s: %w", name, err)
		}
		out = append(out, seeds...)
	}
	return out, nil
}

// decodeSeeds parses one seed file and checks each alert.
func decodeSeeds(b []byte) ([]SeedAlert, error) {
	trimmed := bytes.TrimSpace(b)
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var seeds []SeedAlert
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := dec.Decode(&seeds); err != nil {
			return nil, err
		}
	} else {
		var a SeedAlert
		if err := dec.Decode(&a); err != nil {
			return nil, err
		}
		seeds = []SeedAlert{a}
	}
	for _, a := range seeds {
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("alert %q: %w", a.ID, err)
		}
	}
	return seeds, nil
}

// validate reports what makes a seed unusable.
func (a SeedAlert) validate() error {
	var errs []error
	if a.ID == "" {
		errs = append(errs, errors.New("id is required"))
	}
	if !slices.Contains([]string{"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, a.Severity) {
		errs = append(errs, fmt.Errorf("severity %q is not INFO, LOW, MEDIUM, HIGH or CRITICAL", a.Severity))
	}
	if a.CreatedAt.IsZero() {
		errs = append(errs, errors.New("createdAt is required"))
	}
	if k := a.Origin.Kind; k != "" && k != "Detection" && k != "DeletedDetection" && k != "SystemError" {
		errs = append(errs, fmt.Errorf("origin.kind %q is not Detection, DeletedDetection or SystemError", k))
	}
	if d := a.Detection; d != nil &&
		!slices.Contains([]string{"rules", "scheduled-rules", "policies", "simple-rules"}, d.Kind) {
		errs = append(errs, fmt.Errorf("detection.kind %q is not rules, scheduled-rules, policies or simple-rules", d.Kind))
	}
	return errors.Join(errs...)
}

// DefaultSeeds returns the embedded seed alerts (see the seed directory):
// realistic alerts of several detections and log types, including the alert
// of the payload in Panther's documentation. It panics if the embedded files
// are broken, which a test of this package rules out.
func DefaultSeeds() []SeedAlert {
	sub, err := fs.Sub(seedFiles, "seed")
	if err != nil {
		panic(err)
	}
	seeds, err := LoadSeeds(sub)
	if err != nil {
		panic(err)
	}
	return seeds
}

// withDefaults fills the fields a seed may leave out.
func (a SeedAlert) withDefaults() SeedAlert {
	if a.Origin.Kind == "" {
		a.Origin.Kind = "Detection"
	}
	if a.Origin.Kind == "Detection" {
		if a.Origin.ID == "" && a.Detection != nil {
			a.Origin.ID = a.Detection.ID
		}
		if a.Origin.Name == "" && a.Detection != nil {
			a.Origin.Name = a.Detection.DisplayName
		}
		if a.Origin.Type == "" {
			a.Origin.Type = detectionTypeOf(a.Detection)
		}
	}
	if a.Type == "" {
		switch a.Origin.Kind {
		case "SystemError":
			a.Type = "SYSTEM_ERROR"
		default:
			a.Type = cmp.Or(a.Origin.Type, "RULE")
		}
	}
	a.Status = cmp.Or(a.Status, "OPEN")
	if a.Description == "" && a.Detection != nil {
		a.Description = a.Detection.Description
	}
	if a.Runbook == "" && a.Detection != nil {
		a.Runbook = a.Detection.Runbook
	}

	// Events: a deep copy, with the alert's p_* fields filled in.
	events := make([]map[string]any, 0, len(a.Events))
	var first, last time.Time
	for _, e := range a.Events {
		ev := deepCopy(e)
		setDefault(ev, "p_alert_id", a.ID)
		setDefault(ev, "p_alert_creation_time", formatTime(a.CreatedAt))
		setDefault(ev, "p_alert_severity", a.Severity)
		if a.Origin.Kind == "Detection" && a.Origin.ID != "" {
			setDefault(ev, "p_rule_id", a.Origin.ID)
		}
		if t, ok := eventTime(ev, "p_event_time"); ok {
			if first.IsZero() || t.Before(first) {
				first = t
			}
		}
		if t, ok := eventTime(ev, "p_parse_time"); ok && t.After(last) {
			last = t
		}
		events = append(events, ev)
	}
	a.Events = events
	if a.FirstEventOccurredAt == nil && !first.IsZero() {
		a.FirstEventOccurredAt = &first
	}
	if a.LastReceivedEventAt.IsZero() {
		a.LastReceivedEventAt = cmp.Or(last, a.CreatedAt)
	}
	a.Context = deepCopy(a.Context)
	return a
}

// detectionTypeOf maps a REST collection to its DetectionType.
func detectionTypeOf(d *SeedDetection) string {
	if d == nil {
		return ""
	}
	switch d.Kind {
	case "scheduled-rules":
		return "SCHEDULED_RULE"
	case "policies":
		return "POLICY"
	}
	return "RULE"
}

// webhookPayload is Panther's Custom Webhook body, fields in Panther's order.
type webhookPayload struct {
	ID           string         `json:"id"`
	CreatedAt    string         `json:"createdAt"`
	Severity     string         `json:"severity"`
	Type         string         `json:"type"`
	Link         string         `json:"link"`
	Title        string         `json:"title"`
	Name         string         `json:"name"`
	AlertID      string         `json:"alertId"`
	AlertContext map[string]any `json:"alertContext"`
	Description  string         `json:"description"`
	Runbook      string         `json:"runbook"`
	Tags         []string       `json:"tags"`
	Version      string         `json:"version"`
}

// WebhookPayload returns the Custom Webhook JSON Panther would POST for this
// alert: the detection's ID and name, the title prefixed "New Alert: ", the
// alert context, the detection's tags, and a link and version derived from
// the ID unless the seed sets them.
func (a SeedAlert) WebhookPayload() []byte {
	a = a.withDefaults()
	p := webhookPayload{
		ID:           cmp.Or(a.Origin.ID, a.Origin.Type),
		CreatedAt:    a.CreatedAt.UTC().Format(time.RFC3339Nano),
		Severity:     a.Severity,
		Type:         a.Type,
		Link:         cmp.Or(a.Link, "https://example.runpanther.net/alerts/"+a.ID),
		Title:        "New Alert: " + a.Title,
		Name:         cmp.Or(a.Origin.Name, a.Title),
		AlertID:      a.ID,
		AlertContext: a.Context,
		Description:  a.Description,
		Runbook:      a.Runbook,
		Tags:         []string{},
		Version:      a.Version,
	}
	if p.AlertContext == nil {
		p.AlertContext = map[string]any{}
	}
	if a.Detection != nil && len(a.Detection.Tags) > 0 {
		p.Tags = a.Detection.Tags
	}
	if p.Version == "" {
		sum := sha256.Sum256([]byte(a.ID))
		p.Version = hex.EncodeToString(sum[:16])
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // only strings, maps of JSON values and slices: cannot fail
	}
	return b
}

// setDefault sets m[k] = v unless m already has k.
func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// eventTime reads a p_*_time field ("2006-01-02 15:04:05.000" as Panther
// writes it, or RFC 3339).
func eventTime(ev map[string]any, field string) (time.Time, bool) {
	s, ok := ev[field].(string)
	if !ok {
		return time.Time{}, false
	}
	return parseEventTime(s)
}

// parseEventTime reads Panther's event timestamps.
func parseEventTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatTime writes a GraphQL DateTime: UTC with milliseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// deepCopy copies a JSON-shaped map so that seeds and server state never
// share mutable values.
func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

// copyValue copies one JSON-shaped value.
func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return deepCopy(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}
		return out
	case []string:
		return slices.Clone(v)
	}
	return v
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
