package investigate

import (
	"cmp"
	"strings"

	"github.com/panther-triage/panther-triage/triage"
)

// actionWords are the words a story uses for the actions whose meaning the
// knowledge table reads, and for sign-ins: each a phrase in the base form
// of its verb ("create IAM user backup-svc"), built from the action's
// target and details. The story says what was done in the past tense and
// what failed as "tried to …" (see ActionWords). Actions not listed keep
// the log's own name.
var actionWords = []struct {
	// LogTypes are log types or prefixes ending in "."; Actions are
	// compared without case.
	LogTypes, Actions []string
	Words             func(a triage.Action) string
}{
	// AWS.
	{[]string{"AWS.CloudTrail"}, []string{"ConsoleLogin"}, fixed("sign in to the AWS console")},
	{[]string{"AWS.CloudTrail"}, []string{"CreateUser"}, targeted("create IAM user %s", "create an IAM user")},
	{[]string{"AWS.CloudTrail"}, []string{"CreateLoginProfile"}, principal("give %s a console password")},
	{[]string{"AWS.CloudTrail"}, []string{"UpdateLoginProfile"}, principal("change the console password of %s")},
	// The key's ID is in the next steps, which say to deactivate it.
	{[]string{"AWS.CloudTrail"}, []string{"CreateAccessKey"}, principal("create an access key for %s")},
	{[]string{"AWS.CloudTrail"}, []string{"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"}, policyOn("attach %s to %s")},
	{[]string{"AWS.CloudTrail"}, []string{"PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"}, policyOn("write inline policy %s on %s")},
	{[]string{"AWS.CloudTrail"}, []string{"AddUserToGroup"}, func(a triage.Action) string {
		if g := a.Detail("group"); g != "" {
			return "add " + a.Detail("principal") + " to group " + g
		}
		return ""
	}},
	{[]string{"AWS.CloudTrail"}, []string{"CreateRole"}, targeted("create IAM role %s", "create an IAM role")},
	{[]string{"AWS.CloudTrail"}, []string{"StopLogging"}, targeted("stop the logging of trail %s", "stop a trail's logging")},
	{[]string{"AWS.CloudTrail"}, []string{"DeleteTrail"}, targeted("delete trail %s", "delete a trail")},
	{[]string{"AWS.CloudTrail"}, []string{"UpdateTrail", "PutEventSelectors"}, targeted("change what trail %s records", "change what a trail records")},
	{[]string{"AWS.CloudTrail"}, []string{"DeleteDetector"}, targeted("delete GuardDuty detector %s", "delete a GuardDuty detector")},
	{[]string{"AWS.CloudTrail"}, []string{"PutBucketAcl"}, targeted("change the access list of bucket %s", "change a bucket's access list")},
	{[]string{"AWS.CloudTrail"}, []string{"PutBucketPolicy"}, targeted("change the policy of bucket %s", "change a bucket policy")},
	{[]string{"AWS.CloudTrail"}, []string{"DeletePublicAccessBlock", "DeleteBucketPublicAccessBlock"}, targeted("remove the public access block of %s", "remove a public access block")},
	{[]string{"AWS.CloudTrail"}, []string{"AuthorizeSecurityGroupIngress"}, targeted("open security group %s", "open a security group")},

	// Okta.
	{[]string{"Okta.SystemLog"}, []string{"user.session.start"}, fixed("sign in to Okta")},
	{[]string{"Okta.SystemLog"}, []string{"user.authentication.auth_via_mfa"}, fixed("pass an MFA challenge")},
	{[]string{"Okta.SystemLog"}, []string{"user.mfa.factor.activate"}, fixed("enrol a new MFA factor")},
	{[]string{"Okta.SystemLog"}, []string{"user.mfa.factor.deactivate"}, targeted("remove an MFA factor of %s", "remove an MFA factor")},
	{[]string{"Okta.SystemLog"}, []string{"user.mfa.factor.reset_all"}, targeted("reset every MFA factor of %s", "reset a user's MFA factors")},
	{[]string{"Okta.SystemLog"}, []string{"user.lifecycle.create"}, targeted("create Okta user %s", "create an Okta user")},
	{[]string{"Okta.SystemLog"}, []string{"user.account.privilege.grant"}, func(a triage.Action) string {
		what := cmp.Or(a.Detail("privilege"), "administrator privileges")
		if a.Target == "" {
			return "grant " + what
		}
		return "grant " + what + " to " + a.Target
	}},
	{[]string{"Okta.SystemLog"}, []string{"group.user_membership.add"}, targeted("add %s to a group", "add a user to a group")},
	{[]string{"Okta.SystemLog"}, []string{"policy.lifecycle.deactivate", "policy.rule.deactivate"}, targeted("deactivate sign-on policy %s", "deactivate a sign-on policy")},
	{[]string{"Okta.SystemLog"}, []string{"system.api_token.create"}, fixed("create an API token")},

	// Google Cloud.
	{[]string{"GCP.AuditLog"}, []string{"SetIamPolicy"}, func(a triage.Action) string {
		if a.Detail("role") == "" {
			return ""
		}
		return "grant " + a.Target
	}},
	{[]string{"GCP.AuditLog"}, []string{"DeleteSink"}, targeted("delete log sink %s", "delete a log sink")},
	{[]string{"GCP.AuditLog"}, []string{"UpdateSink"}, targeted("change log sink %s", "change a log sink")},
	{[]string{"GCP.AuditLog"}, []string{"CreateServiceAccountKey"}, func(a triage.Action) string {
		return "create a key for service account " + lastSegment(a.Target)
	}},
	{[]string{"GCP.AuditLog"}, []string{"CreateServiceAccount"}, targeted("create service account %s", "create a service account")},

	// GitHub.
	{[]string{"GitHub.Audit"}, []string{"org.disable_two_factor_requirement"}, fixed("turn off the organisation's two-factor requirement")},
	{[]string{"GitHub.Audit"}, []string{"org.add_outside_collaborator"}, targeted("add an outside collaborator to %s", "add an outside collaborator")},
	{[]string{"GitHub.Audit"}, []string{"repo.add_member"}, targeted("add a member to %s", "add a repository member")},
	{[]string{"GitHub.Audit"}, []string{"repo.access"}, func(a triage.Action) string {
		v := a.Detail("visibility")
		if v == "" {
			return ""
		}
		return "make repository " + strings.TrimSuffix(a.Target, " made "+v) + " " + v
	}},
	{[]string{"GitHub.Audit"}, []string{"protected_branch.policy_override"}, targeted("override branch protection on %s", "override branch protection")},
	{[]string{"GitHub.Audit"}, []string{"protected_branch.destroy"}, targeted("delete branch protection on %s", "delete branch protection")},

	// Google Workspace.
	{[]string{"GSuite."}, []string{"login_success", "login_failure"}, fixed("sign in to Google")},
	{[]string{"GSuite."}, []string{"change_user_access"}, func(a triage.Action) string {
		doc, to := a.Detail("doc_title"), a.Detail("target_user")
		if doc == "" || to == "" {
			return ""
		}
		s := "share " + doc + " with " + to
		switch v := strings.ToLower(a.Detail("new_value")); {
		case viewOnly(a):
			s += " to view"
		case v != "" && v != "none":
			s += " as " + strings.TrimPrefix(v, "can_")
		}
		return s
	}},
	{[]string{"GSuite."}, []string{"2sv_disable"}, fixed("turn off 2-step verification")},
	{[]string{"GSuite."}, []string{"ASSIGN_ROLE", "GRANT_ADMIN_PRIVILEGE"}, func(a triage.Action) string {
		if a.Detail("user_email") == "" {
			return ""
		}
		return "grant " + cmp.Or(a.Detail("role_name"), "admin") + " to " + a.Detail("user_email")
	}},

	// Microsoft.
	{[]string{"Microsoft365."}, []string{"AnonymousLinkCreated"}, func(a triage.Action) string {
		return "create an anyone-with-the-link URL for " + cmp.Or(lastSegment(a.Target), "a document")
	}},
	{[]string{"Microsoft365."}, []string{"CompanyLinkCreated"}, func(a triage.Action) string {
		return "create a company-wide link to " + cmp.Or(lastSegment(a.Target), "a document")
	}},
	{[]string{"Azure."}, []string{"Sign-in activity"}, targeted("sign in to %s", "sign in to Microsoft")},

	// 1Password and Slack.
	{[]string{"OnePassword."}, []string{"sign-in"}, fixed("sign in to 1Password")},
	{[]string{"Slack."}, []string{"role_change_to_admin"}, slackUser("make %s a workspace admin")},
	{[]string{"Slack."}, []string{"role_change_to_owner"}, slackUser("make %s a workspace owner")},
	{[]string{"Slack."}, []string{"app_installed"}, targeted("install app %s", "install an app")},
	{[]string{"Slack."}, []string{"app_approved"}, targeted("approve app %s", "approve an app")},
}

// pastTense is the past tense of the verbs that begin actionWords.
var pastTense = map[string]string{
	"add": "added", "attach": "attached", "approve": "approved", "change": "changed",
	"create": "created", "deactivate": "deactivated", "delete": "deleted", "enrol": "enrolled",
	"give": "gave", "grant": "granted", "install": "installed", "make": "made", "open": "opened",
	"override": "overrode", "pass": "passed", "remove": "removed", "reset": "reset",
	"share": "shared", "sign": "signed", "stop": "stopped", "turn": "turned", "write": "wrote",
}

// ActionWords tells an action in words for a story (Digest.StoryIn): what
// it did, in the past tense, and what it tried, for "tried to …"; "" for
// both when actionWords does not know it.
func ActionWords(a triage.Action) (did, tried string) {
	for _, w := range actionWords {
		if !matchesLogType(w.LogTypes, a.LogType) || !containsFold(w.Actions, a.Action) {
			continue
		}
		base := strings.TrimSpace(w.Words(a))
		verb, rest, _ := strings.Cut(base, " ")
		past, ok := pastTense[verb]
		if base == "" || !ok {
			return "", ""
		}
		return strings.TrimSpace(past + " " + rest), base
	}
	return "", ""
}

// matchesLogType says whether logType is one of types, or under one of
// the prefixes among them that end in ".".
func matchesLogType(types []string, logType string) bool {
	for _, t := range types {
		if t == logType || (strings.HasSuffix(t, ".") && strings.HasPrefix(logType, t)) {
			return true
		}
	}
	return false
}

// fixed words an action that names no target.
func fixed(s string) func(triage.Action) string {
	return func(triage.Action) string { return s }
}

// targeted words an action by its target (format has one %s), or by none
// when it has none.
func targeted(format, none string) func(triage.Action) string {
	return func(a triage.Action) string {
		if a.Target == "" || a.Target == "unknown" {
			return none
		}
		return strings.Replace(format, "%s", a.Target, 1)
	}
}

// principal words an IAM action by the user or role it acted on.
func principal(format string) func(triage.Action) string {
	return func(a triage.Action) string {
		return strings.Replace(format, "%s", cmp.Or(a.Detail("principal"), a.Actor), 1)
	}
}

// policyOn words an IAM policy action by its policy and principal.
func policyOn(format string) func(triage.Action) string {
	return func(a triage.Action) string {
		pol, who := a.Detail("policy"), a.Detail("principal")
		if pol == "" || who == "" {
			return ""
		}
		return strings.Replace(strings.Replace(format, "%s", pol, 1), "%s", who, 1)
	}
}

// slackUser words a Slack action by the user it acted on.
func slackUser(format string) func(triage.Action) string {
	return func(a triage.Action) string {
		u := cmp.Or(a.Detail("target_user"), a.Target)
		if u == "" {
			return ""
		}
		return strings.Replace(format, "%s", u, 1)
	}
}
