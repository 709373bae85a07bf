package investigate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

var t0 = time.Date(2026, 4, 2, 2, 10, 0, 0, time.UTC)

// ctEvent is a CloudTrail event by IAM user p.novak.
func ctEvent(sec int, name string, fields map[string]any) panther.Event {
	ev := panther.Event{
		"p_log_type": "AWS.CloudTrail", "p_row_id": fmt.Sprintf("r%02d", sec), "p_event_time": t0.Add(time.Duration(sec) * time.Second).Format(time.RFC3339),
		"eventName": name, "sourceIPAddress": "146.70.117.38", "userAgent": "aws-cli/2",
		"userIdentity": map[string]any{"type": "IAMUser", "userName": "p.novak", "arn": "arn:aws:iam::123456789012:user/p.novak"},
	}
	for k, v := range fields {
		ev[k] = v
	}
	return ev
}

func consoleLogin(sec int, ok bool) panther.Event {
	res := map[string]any{"ConsoleLogin": "Failure"}
	f := map[string]any{"additionalEventData": map[string]any{"MFAUsed": "No"}, "responseElements": res, "errorMessage": "Failed authentication"}
	if ok {
		res["ConsoleLogin"] = "Success"
		delete(f, "errorMessage")
	}
	return ctEvent(sec, "ConsoleLogin", f)
}

// takeover is the account takeover of the example.
func takeover() []panther.Event {
	return []panther.Event{
		consoleLogin(0, false), consoleLogin(20, false), consoleLogin(40, false), consoleLogin(70, true),
		ctEvent(200, "DeleteTrail", map[string]any{"requestParameters": map[string]any{"name": "org-audit-trail"}, "errorCode": "AccessDenied"}),
		ctEvent(260, "CreateUser", map[string]any{"requestParameters": map[string]any{"userName": "backup-svc"}}),
		ctEvent(290, "AttachUserPolicy", map[string]any{"requestParameters": map[string]any{"userName": "backup-svc", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}),
		ctEvent(320, "CreateAccessKey", map[string]any{"requestParameters": map[string]any{"userName": "backup-svc"},
			"responseElements": map[string]any{"accessKey": map[string]any{"accessKeyId": "AKIAEXAMPLE7"}}}),
	}
}

func TestDigestTellsTheTakeoverInOrder(t *testing.T) {
	events := takeover()
	slices.Reverse(events) // Panther's order is not the story's
	d := NewDigest(events)
	want := "ConsoleLogin failed ×3 (Failed authentication), then succeeded without MFA → DeleteTrail org-audit-trail (AccessDenied) → " +
		"CreateUser backup-svc → AttachUserPolicy AdministratorAccess on backup-svc → CreateAccessKey backup-svc"
	if got := d.Sequence(); got != want {
		t.Fatalf("sequence\n got %s\nwant %s", got, want)
	}
	story := d.Story()
	if len(story) != 3 || !strings.HasPrefix(story[0], "p.novak from 146.70.117.38: ConsoleLogin") ||
		!strings.Contains(story[1], "CreateAccessKey backup-svc succeeding at 2026-04-02 02:15:20 UTC; 4 of 8 actions failed") {
		t.Fatalf("story %q", story)
	}
	var objs []string
	for _, o := range d.Objects {
		objs = append(objs, o.Kind+"="+o.Value)
	}
	if fmt.Sprint(objs) != "[user=backup-svc policy=AdministratorAccess on backup-svc access key=AKIAEXAMPLE7]" {
		t.Fatalf("objects %v", objs)
	}
	if !strings.Contains(story[2], "access key AKIAEXAMPLE7") {
		t.Fatalf("objects line %q", story[2])
	}
}

func TestDigestReadsEachLogType(t *testing.T) {
	tests := []struct {
		ev   panther.Event
		want string // actor|action|target|outcome|ip
	}{
		{panther.Event{"p_log_type": "Okta.SystemLog", "eventType": "user.session.start", "actor": map[string]any{"alternateId": "jane@acme.io"},
			"client": map[string]any{"ipAddress": "1.2.3.4"}, "outcome": map[string]any{"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}},
			"jane@acme.io|user.session.start||failed|1.2.3.4"},
		{panther.Event{"p_log_type": "GCP.AuditLog", "protoPayload": map[string]any{"methodName": "SetIamPolicy", "resourceName": "projects/p1",
			"authenticationInfo": map[string]any{"principalEmail": "a@acme.io"}, "requestMetadata": map[string]any{"callerIp": "1.2.3.4"},
			"serviceData": map[string]any{"policyDelta": map[string]any{"bindingDeltas": []any{map[string]any{"action": "ADD", "role": "roles/owner", "member": "user:x@gmail.com"}}}}}},
			"a@acme.io|SetIamPolicy|roles/owner to user:x@gmail.com on p1|succeeded|1.2.3.4"},
		{panther.Event{"p_log_type": "GitHub.Audit", "action": "repo.access", "actor": "dev1", "repo": "acme/api", "visibility": "public", "actor_ip": "1.2.3.4"},
			"dev1|repo.access|acme/api made public|succeeded|1.2.3.4"},
		{panther.Event{"p_log_type": "GSuite.ActivityEvent", "actor": map[string]any{"email": "b@acme.io"}, "ipAddress": "1.2.3.4",
			"events": []any{map[string]any{"name": "login_failure", "parameters": []any{map[string]any{"name": "login_failure_type", "value": "login_failure_invalid_password"}}}}},
			"b@acme.io|login_failure||failed|1.2.3.4"},
		{panther.Event{"p_log_type": "Azure.Audit", "operationName": "Sign-in activity", "properties": map[string]any{"userPrincipalName": "c@acme.io",
			"ipAddress": "1.2.3.4", "appDisplayName": "Office 365", "status": map[string]any{"errorCode": 50126.0}}},
			"c@acme.io|Sign-in activity|Office 365|failed|1.2.3.4"},
		{panther.Event{"p_log_type": "Azure.MonitorActivity", "operationName": "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE", "caller": "d@acme.io",
			"callerIpAddress": "1.2.3.4", "resultType": "Success", "resourceId": "/subscriptions/s/providers/x/diag1"},
			"d@acme.io|MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE|diag1|succeeded|1.2.3.4"},
		{panther.Event{"p_log_type": "Microsoft365.Audit.SharePoint", "Operation": "AnonymousLinkCreated", "UserId": "e@acme.io", "ClientIP": "1.2.3.4",
			"ObjectId": "https://acme.sharepoint.com/payroll.xlsx", "ResultStatus": "Success"},
			"e@acme.io|AnonymousLinkCreated|https://acme.sharepoint.com/payroll.xlsx|succeeded|1.2.3.4"},
		{panther.Event{"p_log_type": "Slack.AuditLogs", "action": "role_change_to_admin", "actor": map[string]any{"user": map[string]any{"email": "f@acme.io"}},
			"entity": map[string]any{"user": map[string]any{"email": "x@proton.me"}}, "context": map[string]any{"ip_address": "1.2.3.4"}},
			"f@acme.io|role_change_to_admin|x@proton.me|succeeded|1.2.3.4"},
		{panther.Event{"p_log_type": "OnePassword.SignInAttempt", "category": "credentials_failed", "target_user": map[string]any{"email": "g@acme.io"},
			"client": map[string]any{"ip_address": "1.2.3.4"}},
			"g@acme.io|sign-in||failed|1.2.3.4"},
		{panther.Event{"p_log_type": "Zoom.Operation", "operator": "h@acme.io", "action": "Update", "category_type": "User", "operation_detail": "Update user role to Admin"},
			"h@acme.io|User Update|Update user role to Admin||"},
		{panther.Event{"p_log_type": "Crowdstrike.FDREvent", "event_simpleName": "ProcessRollup2", "aip": "1.2.3.4",
			"event": map[string]any{"UserName": "svc-build", "ComputerName": "build-07"}},
			"svc-build|ProcessRollup2|build-07||1.2.3.4"},
		{panther.Event{"p_log_type": "AWS.VPCFlow", "srcAddr": "1.2.3.4", "dstAddr": "10.0.0.5", "dstPort": 22.0, "action": "REJECT"},
			"1.2.3.4|connect|10.0.0.5 port 22|failed|1.2.3.4"},
		{panther.Event{"p_log_type": "Box.Event", "event_type": "DOWNLOAD", "p_any_emails": []any{"i@acme.io"}, "p_any_ip_addresses": []any{"1.2.3.4"}},
			"i@acme.io|DOWNLOAD|||1.2.3.4"},
	}
	for _, tt := range tests {
		lt, _ := tt.ev["p_log_type"].(string)
		t.Run(lt, func(t *testing.T) {
			a, _ := readAction(tt.ev)
			got := strings.Join([]string{a.Actor, a.Action, a.Target, a.Outcome, a.SourceIP}, "|")
			if got != tt.want {
				t.Fatalf("read %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDigestOfNothing(t *testing.T) {
	var d *triage.Digest
	if d.Sequence() != "" || d.Story() != nil || d.ObjectsLine() != "" || len(d.Actors()) != 0 {
		t.Fatal("a nil digest must read as empty")
	}
	if NewDigest(nil).Story() != nil {
		t.Fatal("no events, no story")
	}
}
