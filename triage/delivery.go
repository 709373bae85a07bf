package triage

import (
	"encoding/json"
	"time"
)

// Delivery is one webhook delivery from Panther, as accepted by the intake
// and stored beside its job.
type Delivery struct {
	AlertID     string          `json:"alertId"`
	DetectionID string          `json:"detectionId"` // the payload's "id"
	Severity    string          `json:"severity"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Name        string          `json:"name"`
	Link        string          `json:"link"`
	Tags        []string        `json:"tags"`
	CreatedAt   string          `json:"createdAt"` // as sent (AWSDateTime)
	ReceivedAt  time.Time       `json:"receivedAt"`
	Payload     json.RawMessage `json:"payload"` // the body as received
}

// Enqueued is what the store answers when it is handed a delivery.
type Enqueued struct {
	// JobID is the queue's ID of the investigation job; for a duplicate, the
	// job of the delivery accepted earlier.
	JobID int64
	// Duplicate is true when the same alert was accepted within the dedup
	// window: nothing new was stored.
	Duplicate bool
}
