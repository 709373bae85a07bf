package triage

import (
	"fmt"
	"strings"
	"time"
)

// Precedent is what other alerts say about this one: the detection's
// earlier alerts that analysts ended, and alerts of other detections close
// in time (before or after) that share its actor, address or events. For
// each, how analysts judged it, the reason they gave, and what it shares
// with this alert. The precedent step fills it; renderers and the verdict
// read it.
type Precedent struct {
	// Entities are this alert's actors, addresses, accounts and targets,
	// as compared.
	Entities Entities `json:"entities"`
	// Alerts are the alerts read, the detection's first, newest first.
	Alerts []PriorAlert `json:"alerts"`
	// Unread counts alerts worth reading that were not read: over the
	// per-investigation or hourly budget, or failed to read.
	Unread int `json:"unread,omitempty"`
}

// PriorAlert is one other alert as the precedent read it.
type PriorAlert struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	DetectionID string    `json:"detectionId"`
	Severity    string    `json:"severity"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"createdAt"`
	// SameDetection is true for the detection's own earlier alerts.
	SameDetection bool `json:"sameDetection"`
	// Disposition is how analysts judged it: DispositionFalsePositive,
	// DispositionTruePositive, DispositionHandled or DispositionOpen.
	Disposition string `json:"disposition"`
	// Reason is the analyst's comment that gives the reason (see investigate.Judge),
	// nil when there is none.
	Reason *ClosingComment `json:"reason,omitempty"`
	// Entities are its actors, addresses, accounts and targets.
	Entities Entities `json:"entities"`
	// What it shares with this alert.
	SameActor   bool `json:"sameActor"`
	SameIP      bool `json:"sameIp"`
	SameNetwork bool `json:"sameNetwork"` // same ASN, where both are known
	SameAccount bool `json:"sameAccount"`
	SameTarget  bool `json:"sameTarget"`
	// SharedEvents counts events (p_row_id) both alerts hold.
	SharedEvents int `json:"sharedEvents,omitempty"`
	// ByTitle is true when it had no events to read (Panther keeps an
	// alert's events only as long as its data retention), so SameActor and
	// SameIP say whether its title names this alert's actor or address.
	ByTitle bool `json:"byTitle,omitempty"`
}

// SamePlace says whether it came from this alert's address or network.
func (p PriorAlert) SamePlace() bool { return p.SameIP || p.SameNetwork }

// Entities are who acted, on what, from where, across a set of events: what
// the precedent and baseline steps compare between alerts.
type Entities struct {
	// Actors name who acted: user names, emails, ARNs, actor IDs.
	Actors []string `json:"actors,omitempty"`
	// IPs are the source addresses the actors came from, public or not.
	IPs []string `json:"ips,omitempty"`
	// Accounts are cloud accounts, projects or organisations acted in.
	Accounts []string `json:"accounts,omitempty"`
	// Targets are the users, roles, buckets or repositories acted on.
	Targets []string `json:"targets,omitempty"`
	// Actions are the API calls or event types.
	Actions []string `json:"actions,omitempty"`
	// Places say where each IP is, when the events tell.
	Places []Place `json:"places,omitempty"`
}

// Place is where an address is: its network (ASN) and country, from
// Panther's IPinfo enrichment or the log's own fields.
type Place struct {
	IP      string `json:"ip"`
	ASN     string `json:"asn,omitempty"` // "AS16509"
	Org     string `json:"org,omitempty"`
	Country string `json:"country,omitempty"`
}

// String is "203.0.113.9 (AS16509 Amazon, US)".
func (p Place) String() string {
	var parts []string
	if p.ASN != "" {
		parts = append(parts, strings.TrimSpace(p.ASN+" "+p.Org))
	}
	if p.Country != "" {
		parts = append(parts, p.Country)
	}
	if len(parts) == 0 {
		return p.IP
	}
	return fmt.Sprintf("%s (%s)", p.IP, strings.Join(parts, ", "))
}

// PlaceOf returns what the entities know of where ip is.
func (e Entities) PlaceOf(ip string) Place {
	for _, p := range e.Places {
		if p.IP == ip {
			return p
		}
	}
	return Place{IP: ip}
}

// Dispositions: how analysts judged an earlier alert.
const (
	// DispositionFalsePositive: CLOSED (the console's "Invalid"), or
	// RESOLVED with a comment that says the activity was expected.
	DispositionFalsePositive = "false_positive"
	// DispositionTruePositive: RESOLVED with a comment that says
	// it was malicious, a compromise, an incident.
	DispositionTruePositive = "true_positive"
	// DispositionHandled: RESOLVED with no comment that says which.
	DispositionHandled = "handled"
	// DispositionOpen: still OPEN or TRIAGED.
	DispositionOpen = "open"
)

// ClosingComment is an analyst's comment on an earlier alert, as the
// precedent quotes it.
type ClosingComment struct {
	Body      string    `json:"body"`
	CreatedBy string    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// Says is what its words conclude (investigate.ClassifyComment).
	Says string `json:"says,omitempty"`
}
