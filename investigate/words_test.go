package investigate

import (
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// TestStoryInWords tells a sign-in and what followed it in words, naming
// each action's log name once.
func TestStoryInWords(t *testing.T) {
	at := time.Date(2026, 4, 2, 2, 11, 0, 0, time.UTC)
	act := func(name, outcome, reason string, details map[string]string) triage.Action {
		at = at.Add(10 * time.Second)
		return triage.Action{Time: at, Actor: "p.novak", Action: name, Outcome: outcome, Reason: reason, SourceIP: "146.70.117.38",
			LogType: "AWS.CloudTrail", Details: details, Target: details["principal"]}
	}
	failedLogin := act("ConsoleLogin", triage.OutcomeFailed, "Failed authentication", nil)
	login := act("ConsoleLogin", triage.OutcomeSucceeded, "", nil)
	login.MFA = "no"
	d := &triage.Digest{Actions: []triage.Action{
		failedLogin, failedLogin, login,
		act("DeleteTrail", triage.OutcomeFailed, "AccessDenied", map[string]string{}),
		act("CreateUser", triage.OutcomeSucceeded, "", map[string]string{"principal": "backup-svc"}),
		act("CreateAccessKey", triage.OutcomeSucceeded, "", map[string]string{"principal": "backup-svc"}),
	}}
	got := d.StoryIn(ActionWords)
	want := "p.novak from 146.70.117.38: signed in to the AWS console without MFA after 2 failed attempts (ConsoleLogin: Failed authentication), " +
		"then tried to delete a trail (DeleteTrail: AccessDenied), created IAM user backup-svc (CreateUser) and created an access key for backup-svc (CreateAccessKey)."
	if got[0] != want {
		t.Errorf("story:\n%s\nwant\n%s", got[0], want)
	}
	if !strings.HasPrefix(got[1], "The last action was at 2026-04-02 02:11:50 UTC; 3 of 6 actions failed") {
		t.Errorf("ending: %s", got[1])
	}
	// Without words, the log's names.
	if plain := d.Story()[0]; !strings.Contains(plain, "ConsoleLogin failed ×2") {
		t.Errorf("plain story: %s", plain)
	}
}

// TestActionWordsConjugate checks that every phrase of actionWords begins
// with a verb pastTense knows, so that no action loses its words silently.
func TestActionWordsConjugate(t *testing.T) {
	a := triage.Action{Actor: "alice", Target: "thing", Details: map[string]string{
		"principal": "bob", "policy": "AdministratorAccess", "group": "admins", "role": "roles/owner",
		"visibility": "public", "doc_title": "doc", "target_user": "x@example.com", "user_email": "y@acme.io", "new_value": "can_edit",
	}}
	for _, w := range actionWords {
		base := w.Words(a)
		verb, _, _ := strings.Cut(base, " ")
		if _, ok := pastTense[verb]; !ok {
			t.Errorf("%v: %q begins with %q, which pastTense does not know", w.Actions, base, verb)
		}
	}
}
