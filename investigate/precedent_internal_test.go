package investigate

import (
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// TestPrecedentFindings weighs hand-made precedents.
func TestPrecedentFindings(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	alert := &panther.Alert{ID: "this", Title: "Grant by [admin]", CreatedAt: now, Detection: &panther.DetectionRef{ID: "Okta.AdminRoleAssigned"}}
	own := triage.Entities{Actors: []string{"00uADMIN1", "admin@acme.io"}, IPs: []string{"193.32.162.77"},
		Places: []triage.Place{{IP: "193.32.162.77", ASN: "AS47890", Org: "Unmanaged Ltd", Country: "RO"}}}
	prior := func(id, disp string, actors, ips []string, same bool) triage.PriorAlert {
		e := triage.Entities{Actors: actors, IPs: ips}
		return triage.PriorAlert{ID: id, DetectionID: "Okta.AdminRoleAssigned", Status: "RESOLVED", SameDetection: same, Disposition: disp,
			Entities: e, SameActor: overlaps(own.Actors, actors), SameIP: overlaps(own.IPs, ips), Severity: "HIGH",
			CreatedAt: now.Add(-time.Hour), Reason: &triage.ClosingComment{Body: "reason " + id}}
	}
	byTitle := func(a triage.PriorAlert, title string) triage.PriorAlert {
		a.ByTitle, a.Title, a.SameActor = true, title, mentions(title, "admin@acme.io")
		return a
	}
	tests := []struct {
		name   string
		alerts []triage.PriorAlert
		want   map[string]triage.Weight
	}{
		{"actor new, computed from events, not titles", []triage.PriorAlert{
			prior("a", triage.DispositionFalsePositive, []string{"00uOTHER"}, nil, true),
			prior("b", triage.DispositionHandled, []string{"00uOTHER"}, nil, true),
			prior("c", triage.DispositionFalsePositive, []string{"00uTHIRD"}, nil, true),
		}, map[string]triage.Weight{"actor_new_to_detection": triage.WeightSuspicious}},
		{"same actor, same address, closed twice", []triage.PriorAlert{
			prior("a", triage.DispositionFalsePositive, []string{"00uADMIN1"}, []string{"193.32.162.77"}, true),
			prior("b", triage.DispositionFalsePositive, []string{"admin@acme.io"}, []string{"193.32.162.77"}, true),
		}, map[string]triage.Weight{"precedent_closed_as_expected": triage.WeightBenign}},
		{"an alert from the same address judged a true positive", []triage.PriorAlert{
			prior("a", triage.DispositionTruePositive, []string{"someone"}, []string{"193.32.162.77"}, false),
		}, map[string]triage.Weight{"precedent_true_positive": triage.WeightMalicious, "correlated_alerts": triage.WeightSuspicious}},
		{"same actor by a title naming no address, closed twice: weaker benign", []triage.PriorAlert{
			byTitle(prior("a", triage.DispositionFalsePositive, nil, nil, true), "Grant by [admin@acme.io]"),
			byTitle(prior("b", triage.DispositionFalsePositive, nil, nil, true), "Grant by [admin@acme.io]"),
		}, map[string]triage.Weight{"precedent_closed_same_actor": triage.WeightBenign}},
		{"same actor by a title naming another address: no precedent", []triage.PriorAlert{
			byTitle(prior("a", triage.DispositionFalsePositive, nil, nil, true), "Grant by [admin@acme.io] from [203.0.113.9]"),
			byTitle(prior("b", triage.DispositionFalsePositive, nil, nil, true), "Grant by [admin@acme.io] from [203.0.113.9]"),
		}, map[string]triage.Weight{}},
		{"same actor handled without a verdict", []triage.PriorAlert{
			prior("a", triage.DispositionHandled, []string{"00uADMIN1"}, []string{"64.124.16.10"}, true),
		}, map[string]triage.Weight{"precedent_same_actor": triage.WeightInfo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Case{Alert: alert, Now: now}
			fs := precedentFindings(c, &triage.Precedent{Entities: own, Alerts: tt.alerts}, DefaultPrecedentMinClosed)
			got := map[string]triage.Weight{}
			for _, f := range fs {
				got[f.Kind] = f.Weight
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings %v, want %v: %+v", got, tt.want, fs)
			}
			for k, w := range tt.want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q (%+v)", k, got[k], w, fs)
				}
			}
			for _, f := range fs {
				if f.Kind == "precedent_closed_as_expected" && !strings.Contains(f.Title, `"reason a"`) {
					t.Errorf("reason not quoted: %s", f.Title)
				}
			}
		})
	}
}

// TestEntitiesOfSlack reads who acted on whom, from where, in a Slack audit
// event, so that earlier promotions by the same admin from the same place
// match.
func TestEntitiesOfSlack(t *testing.T) {
	ev := panther.Event{
		"action":     "role_change_to_admin",
		"actor":      map[string]any{"type": "user", "user": map[string]any{"id": "W1", "name": "it.lead", "email": "it.lead@acme.io"}},
		"entity":     map[string]any{"type": "user", "user": map[string]any{"id": "U2", "name": "n.fischer", "email": "n.fischer@acme.io"}},
		"context":    map[string]any{"ip_address": "87.138.211.11", "location": map[string]any{"domain": "acme"}},
		"p_log_type": "Slack.AuditLogs",
	}
	e := EntitiesOf([]panther.Event{ev})
	if strings.Join(e.Actors, ",") != "it.lead@acme.io" || strings.Join(e.IPs, ",") != "87.138.211.11" ||
		strings.Join(e.Targets, ",") != "n.fischer@acme.io" || strings.Join(e.Accounts, ",") != "acme" {
		t.Errorf("entities %+v", e)
	}
}
