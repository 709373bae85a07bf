package investigate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

func kinds(fs []triage.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%.1f", f.Kind, f.LogOdds))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func gcpGrant(principal, member, role string) panther.Event {
	return panther.Event{"p_log_type": "GCP.AuditLog", "p_row_id": "g1", "protoPayload": map[string]any{"methodName": "SetIamPolicy", "resourceName": "projects/p1",
		"authenticationInfo": map[string]any{"principalEmail": principal},
		"serviceData":        map[string]any{"policyDelta": map[string]any{"bindingDeltas": []any{map[string]any{"action": "ADD", "role": role, "member": "user:" + member}}}}}}
}

func TestJudgeActions(t *testing.T) {
	tests := []struct {
		name   string
		events []panther.Event
		opts   ActionOptions
		want   string
	}{
		{"the takeover: brute force that worked, a failed evasion, persistence and an admin grant", takeover(), ActionOptions{},
			"admin_grant:1.5 brute_force_success:3.0 defense_evasion:1.2 login_no_mfa:0.5 persistence:1.0 persistence:1.0"},
		{"an owner role to a webmail address is a grant to an outsider, counted once", []panther.Event{gcpGrant("a@acme.io", "x@gmail.com", "roles/owner")}, ActionOptions{},
			"outsider_grant:3.0"},
		{"an owner role inside the organisation's domains is an admin grant", []panther.Event{gcpGrant("a@acme.io", "b@acme.io", "roles/owner")}, ActionOptions{},
			"admin_grant:1.5"},
		{"a partner domain outside the configured domains is outside", []panther.Event{gcpGrant("a@acme.io", "b@partner.example", "roles/viewer")}, ActionOptions{OrgDomains: []string{"acme.io"}},
			"outsider_grant:3.0"},
		{"the learned domain is the actors' own", []panther.Event{gcpGrant("a@acme.io", "b@partner.example", "roles/viewer")}, ActionOptions{},
			"outsider_grant:3.0"},
		{"a subdomain of the organisation is inside", []panther.Event{gcpGrant("a@acme.io", "b@eu.acme.io", "roles/viewer")}, ActionOptions{OrgDomains: []string{"acme.io"}},
			"privilege_grant:0.5"},
		{"revoking is no grant", []panther.Event{ctEvent(0, "DetachUserPolicy", map[string]any{"requestParameters": map[string]any{"userName": "u", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}})}, ActionOptions{},
			""},
		{"root without MFA", []panther.Event{func() panther.Event {
			ev := consoleLogin(0, true)
			ev["userIdentity"] = map[string]any{"type": "Root", "accountId": "1"}
			return ev
		}()}, ActionOptions{}, "root_login_no_mfa:2.0"},
		{"failures alone lean benign", []panther.Event{consoleLogin(0, false), consoleLogin(1, false), consoleLogin(2, false), consoleLogin(3, false), consoleLogin(4, false)}, ActionOptions{},
			"failed_logins:-0.3"},
		{"AWS's own read-only sweep", []panther.Event{ctEvent(0, "DescribeInstances", map[string]any{"readOnly": true,
			"userIdentity": map[string]any{"type": "AssumedRole", "invokedBy": "config.amazonaws.com", "sessionContext": map[string]any{"sessionIssuer": map[string]any{"userName": "AWSServiceRoleForConfig"}}}})}, ActionOptions{},
			"aws_service:-1.2 read_only:-0.8"},
		{"two countries within minutes", []panther.Event{
			{"p_log_type": "Okta.SystemLog", "p_event_time": "2026-04-02T10:00:00Z", "eventType": "user.session.start", "actor": map[string]any{"alternateId": "j@acme.io"},
				"outcome": map[string]any{"result": "SUCCESS"}, "client": map[string]any{"geographicalContext": map[string]any{"country": "Germany"}}},
			{"p_log_type": "Okta.SystemLog", "p_event_time": "2026-04-02T10:20:00Z", "eventType": "user.session.start", "actor": map[string]any{"alternateId": "j@acme.io"},
				"outcome": map[string]any{"result": "SUCCESS"}, "client": map[string]any{"geographicalContext": map[string]any{"country": "Brazil"}}},
		}, ActionOptions{}, "improbable_travel:1.2"},
		{"a public bucket policy", []panther.Event{ctEvent(0, "PutBucketPolicy", map[string]any{"requestParameters": map[string]any{"bucketName": "b1",
			"bucketPolicy": map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Principal": "*", "triage.Action": "s3:GetObject"}}}}})}, ActionOptions{},
			"exposure:2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := JudgeActions(NewDigest(tt.events), tt.opts)
			if got := kinds(fs); got != tt.want {
				t.Fatalf("findings %s; want %s\n%+v", got, tt.want, fs)
			}
			for _, f := range fs {
				if f.Step != triage.StepActions || f.Title == "" || f.Weight != weightOf(f.LogOdds) {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}

func TestEveryMeaningNamesItsEvent(t *testing.T) {
	fs := JudgeActions(NewDigest(takeover()), ActionOptions{})
	for _, f := range fs {
		if len(f.Evidence) == 0 || f.Evidence[0].Kind != "event" {
			t.Errorf("%s names no event", f.Title)
		}
		if !strings.Contains(f.Title, "(T1") {
			t.Errorf("%s names no ATT&CK technique", f.Title)
		}
	}
}

func TestKnowledgeTableIsComplete(t *testing.T) {
	for i, m := range Knowledge {
		if m.Kind == "" || m.Category == "" || !strings.HasPrefix(m.Technique, "T1") || m.Says == "" || m.LogOdds == 0 || len(m.Actions) == 0 {
			t.Errorf("row %d is incomplete: %+v", i, m)
		}
	}
}
