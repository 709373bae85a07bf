package investigate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// ActionOptions configure what the actions step judges.
type ActionOptions struct {
	// OrgDomains are the organisation's email domains (and their
	// subdomains). A grant to an identity outside them is a grant to an
	// outsider. Default none: the dominant domain of the actors in the
	// events is taken as the organisation's.
	OrgDomains []string
}

// Actions returns the step that reads what the digested actions mean,
// through the knowledge table (see Knowledge) and the authentication
// patterns of the digest: each finding names the MITRE ATT&CK technique
// and the event that shows it.
func Actions(opts ActionOptions) Step { return actionsStep{opts: opts} }

type actionsStep struct{ opts ActionOptions }

func (actionsStep) Name() string    { return triage.StepActions }
func (actionsStep) After() []string { return []string{triage.StepEvents} }

func (s actionsStep) Run(_ context.Context, c *Case) ([]triage.Finding, error) {
	return JudgeActions(c.Digest, s.opts), nil
}

// Meaning is one row of the knowledge table: which actions show a
// technique, and how much they weigh toward a true positive.
type Meaning struct {
	// Kind is the finding's kind, e.g. "defense_evasion".
	Kind string
	// Category is how an analyst names it, e.g. "Defence evasion".
	Category string
	// Technique is the MITRE ATT&CK technique, e.g. "T1562.008 Disable or
	// Modify Cloud Logs".
	Technique string
	// LogTypes are the log types (or prefixes ending in ".") the actions
	// are read from; empty for any.
	LogTypes []string
	// Actions are action names, compared without case. A name ending in
	// "*" matches by prefix.
	Actions []string
	// When, if set, must also hold for the action.
	When func(a triage.Action, org orgDomains) bool
	// Says what the action does, in words.
	Says string
	// Fact, when set, is shared by rows that read the same fact at
	// different strengths (a grant; a grant of admin; a grant of admin to
	// an outsider): only the heaviest counts.
	Fact string
	// LogOdds is the weight toward a true positive of one such action that
	// succeeded; one that failed weighs half.
	LogOdds float64
}

// Knowledge is the table of what actions mean. Its event names and fields
// follow Panther's public detections (panther-labs/panther-analysis); the
// weights are log-odds toward a true positive, documented in the README.
var Knowledge = []Meaning{
	// Defence evasion.
	{Kind: "defense_evasion", Category: "Defence evasion", Technique: "T1562.008 Disable or Modify Cloud Logs",
		LogTypes: []string{"AWS.CloudTrail"}, Actions: []string{"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "DeleteFlowLogs", "DeleteLogGroup", "DeleteConfigurationRecorder", "StopConfigurationRecorder", "DeleteDeliveryChannel"},
		Says: "stops or changes the account's audit logging", LogOdds: 2.5},
	{Kind: "defense_evasion", Category: "Defence evasion", Technique: "T1562.001 Disable or Modify Tools",
		LogTypes: []string{"AWS.CloudTrail"}, Actions: []string{"DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount", "DisableSecurityHub", "BatchDisableStandards", "DeleteConfigRule", "DeleteMembers", "DisableOrganizationAdminAccount", "DisableEbsEncryptionByDefault", "DeleteWebACL"},
		Says: "disables a security detector or guardrail", LogOdds: 2.5},
	{Kind: "defense_evasion", Category: "Defence evasion", Technique: "T1562.008 Disable or Modify Cloud Logs",
		LogTypes: []string{"GCP.AuditLog"}, Actions: []string{"DeleteSink", "UpdateSink", "DeleteBucket", "UpdateBucket", "DeleteLog", "DeleteExclusion", "CreateExclusion"},
		When: func(a triage.Action, _ orgDomains) bool {
			return strings.Contains(a.Target, "sinks") || strings.Contains(a.Target, "logs") || strings.Contains(a.Target, "exclusions")
		},
		Says: "stops or changes the project's audit log routing", LogOdds: 2.5},
	{Kind: "defense_evasion", Category: "Defence evasion", Technique: "T1562.008 Disable or Modify Cloud Logs",
		LogTypes: []string{"Azure."}, Actions: []string{"MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE", "MICROSOFT.OPERATIONALINSIGHTS/WORKSPACES/DELETE", "MICROSOFT.INSIGHTS/ACTIVITYLOGALERTS/DELETE", "MICROSOFT.SECURITY/*/DELETE"},
		Says: "deletes diagnostic logging or a security alerting rule", LogOdds: 2.5},
	{Kind: "defense_evasion", Category: "Defence evasion", Technique: "T1556.006 Modify Authentication Process: MFA",
		LogTypes: []string{"Okta.SystemLog"}, Actions: []string{"user.mfa.factor.deactivate", "user.mfa.factor.reset_all", "policy.lifecycle.deactivate", "policy.rule.deactivate", "zone.deactivate"},
		Says: "removes MFA or deactivates a sign-on policy", LogOdds: 1.2}, // help desks reset factors every day
	{Kind: "defense_evasion", Category: "Defence evasion", Technique: "T1562.001 Disable or Modify Tools",
		LogTypes: []string{"GitHub.Audit"}, Actions: []string{"org.disable_two_factor_requirement", "protected_branch.destroy", "protected_branch.policy_override", "repository_secret_scanning.disable", "repository_vulnerability_alerts.disable", "org.audit_log_streaming.destroy", "business.disable_two_factor_requirement"},
		Says: "turns off a repository or organisation safeguard", LogOdds: 1.5},
	{Kind: "defense_evasion", Category: "Defence evasion", Technique: "T1556.006 Modify Authentication Process: MFA",
		LogTypes: []string{"GSuite.", "Azure.", "Microsoft365.", "Slack.", "Zoom."}, Actions: []string{"ENFORCE_STRONG_AUTHENTICATION", "2sv_disable", "Disable Strong Authentication.", "Disable Strong Authentication", "pref.two_factor_auth_changed", "pref.sso_setting_changed", "Security Sign In With Two-Factor Authentication"},
		When: func(a triage.Action, _ orgDomains) bool {
			return !strings.Contains(strings.ToLower(a.Target+a.Detail("new_value")), "true")
		},
		Says: "weakens or removes two-factor authentication", LogOdds: 2.0},

	// Persistence.
	{Kind: "persistence", Category: "Persistence", Technique: "T1136.003 Create Account: Cloud Account",
		LogTypes: []string{"AWS.CloudTrail"}, Actions: []string{"CreateUser", "CreateLoginProfile", "UpdateLoginProfile"},
		Says: "creates an IAM user or gives one a console password", LogOdds: 1.0},
	{Kind: "persistence", Category: "Persistence", Technique: "T1098.001 Account Manipulation: Additional Cloud Credentials",
		LogTypes: []string{"AWS.CloudTrail"}, Actions: []string{"CreateAccessKey", "UploadSSHPublicKey", "CreateServiceSpecificCredential", "UploadSigningCertificate"},
		Says: "creates long-lived credentials", LogOdds: 1.0},
	{Kind: "persistence", Category: "Persistence", Technique: "T1098.001 Account Manipulation: Additional Cloud Credentials",
		LogTypes: []string{"GCP.AuditLog"}, Actions: []string{"CreateServiceAccountKey", "UploadServiceAccountKey", "CreateServiceAccount"},
		Says: "creates a service account or a key for one", LogOdds: 1.0},
	{Kind: "persistence", Category: "Persistence", Technique: "T1136.003 Create Account: Cloud Account",
		LogTypes: []string{"Okta.SystemLog"}, Actions: []string{"user.lifecycle.create", "system.api_token.create", "app.oauth2.as.client.create", "application.lifecycle.create", "user.mfa.factor.activate"},
		Says: "creates a user, an API token, an app, or enrols an MFA factor", LogOdds: 0.8},
	{Kind: "persistence", Category: "Persistence", Technique: "T1098.001 Account Manipulation: Additional Cloud Credentials",
		LogTypes: []string{"GitHub.Audit"}, Actions: []string{"oauth_application.create", "integration_installation.create", "public_key.create", "personal_access_token.access_granted", "repo.add_deploy_key", "org.add_outside_collaborator", "repo.add_member"},
		Says: "adds a credential, an app or a collaborator", LogOdds: 0.8},
	{Kind: "persistence", Category: "Persistence", Technique: "T1098.001 Account Manipulation: Additional Cloud Credentials",
		LogTypes: []string{"Azure.", "Microsoft365.", "GSuite.", "Slack."}, Actions: []string{"Add service principal credentials", "Add service principal.", "Add user", "Add user.", "Consent to application", "Consent to application.", "authorize", "app_installed", "app_approved"},
		Says: "adds a user, an app consent or app credentials", LogOdds: 0.8},

	// Privilege grants.
	{Fact: "grant", Kind: "privilege_grant", Category: "Privilege grant", Technique: "T1098.003 Account Manipulation: Additional Cloud Roles",
		LogTypes: []string{"AWS.CloudTrail"}, Actions: []string{"AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy", "AddUserToGroup", "CreatePolicyVersion", "SetDefaultPolicyVersion", "UpdateAssumeRolePolicy"},
		Says: "grants IAM permissions", LogOdds: 0.8},
	{Fact: "grant", Kind: "privilege_grant", Category: "Privilege grant", Technique: "T1098.003 Account Manipulation: Additional Cloud Roles",
		LogTypes: []string{"GCP.AuditLog", "Okta.SystemLog", "GitHub.Audit", "GSuite.", "Azure."},
		Actions:  []string{"SetIamPolicy", "group.user_membership.add", "org.update_member", "team.add_member", "ASSIGN_ROLE", "Add member to role", "Add member to role.", "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"},
		When:     func(a triage.Action, _ orgDomains) bool { return a.LogType != "GCP.AuditLog" || a.Detail("role") != "" },
		Says:     "grants a role or membership", LogOdds: 0.5},
	{Fact: "grant", Kind: "admin_grant", Category: "Privilege grant", Technique: "T1098.003 Account Manipulation: Additional Cloud Roles",
		Actions: []string{"*"},
		When:    func(a triage.Action, _ orgDomains) bool { return !revokes(a) && adminGrant(a) },
		Says:    "grants an administrator or owner role", LogOdds: 1.5},
	{Fact: "grant", Kind: "outsider_grant", Category: "Privilege grant to an outsider", Technique: "T1098.003 Account Manipulation: Additional Cloud Roles",
		Actions: []string{"*"},
		When: func(a triage.Action, org orgDomains) bool {
			return !revokes(a) && org.outsider(grantee(a)) && (adminGrant(a) || isGrant(a))
		},
		Says: "grants access to an identity outside the organisation's domains", LogOdds: 3.0},

	// Exposure.
	{Kind: "exposure", Category: "Exposure", Technique: "T1530 Data from Cloud Storage",
		Actions: []string{"*"},
		When:    func(a triage.Action, _ orgDomains) bool { return a.Detail("public") == "true" },
		Says:    "opens a bucket to everyone on the internet", LogOdds: 2.0},
	{Kind: "exposure", Category: "Exposure", Technique: "T1213.003 Data from Information Repositories: Code Repositories",
		LogTypes: []string{"GitHub.Audit"}, Actions: []string{"repo.access", "repo.create"},
		When: func(a triage.Action, _ orgDomains) bool { return a.Detail("visibility") == "public" },
		Says: "makes a repository public", LogOdds: 2.0},
	// A document shared with anyone who has the link cannot be taken back
	// from whoever got the link; one shared with a named outside account is
	// routine business (auditors, advisers) as often as not, and one that
	// account may only view, more so: a reason to ask, not a sign of an
	// attacker.
	{Fact: "document_share", Kind: "exposure", Category: "Exposure", Technique: "T1567 Exfiltration Over Web Service",
		LogTypes: []string{"GSuite.", "Microsoft365."}, Actions: documentShares,
		When: func(a triage.Action, _ orgDomains) bool { return anyoneLink(a) },
		Says: "shares a document with anyone who has the link", LogOdds: 1.5},
	{Fact: "document_share", Kind: "exposure", Category: "Exposure", Technique: "T1567 Exfiltration Over Web Service",
		LogTypes: []string{"GSuite.", "Microsoft365."}, Actions: documentShares,
		When: func(a triage.Action, org orgDomains) bool { return sharedOutside(a, org) && !viewOnly(a) },
		Says: "shares a document with an account outside the organisation", LogOdds: 0.8},
	{Fact: "document_share", Kind: "exposure", Category: "Exposure", Technique: "T1567 Exfiltration Over Web Service",
		LogTypes: []string{"GSuite.", "Microsoft365."}, Actions: documentShares,
		When: func(a triage.Action, org orgDomains) bool { return sharedOutside(a, org) && viewOnly(a) },
		Says: "lets an account outside the organisation view a document", LogOdds: 0.3},

	// Exploitation.
	{Kind: "exploit_attempt", Category: "Initial access", Technique: "T1190 Exploit Public-Facing Application",
		Actions: []string{"*"}, When: func(a triage.Action, _ orgDomains) bool { return exploitPayload(a.Detail("request")) != "" },
		Says: "carries an exploit payload in the request", LogOdds: 1.2},

	// Destruction.
	{Kind: "destruction", Category: "Destructive action", Technique: "T1485 Data Destruction",
		LogTypes: []string{"AWS.CloudTrail"}, Actions: []string{"DeleteBucket", "DeleteDBInstance", "DeleteDBCluster", "DeleteDBSnapshot", "DeleteSnapshot", "DeleteVolume", "TerminateInstances", "ScheduleKeyDeletion", "DeleteBackupVault", "DeleteRecoveryPoint", "DeleteObjects", "PutBucketLifecycle", "DeleteSecret"},
		Says: "deletes data, backups or keys", LogOdds: 1.2},
	{Kind: "destruction", Category: "Destructive action", Technique: "T1485 Data Destruction",
		LogTypes: []string{"GCP.AuditLog", "Azure.", "GitHub.Audit", "GSuite.", "Slack.", "Zoom."}, Actions: []string{"Delete*", "*/DELETE", "repo.destroy", "delete", "trash", "storage.buckets.delete", "channel_deleted", "workspace_deleted", "Account Delete"},
		When: func(a triage.Action, _ orgDomains) bool { return !strings.Contains(strings.ToLower(a.Action), "sink") },
		Says: "deletes resources or data", LogOdds: 1.2},
}

// documentShares are the Google Drive and Microsoft 365 actions that share
// a document.
var documentShares = []string{"change_user_access", "change_document_visibility", "change_acl_editors", "AnonymousLinkCreated", "AddedToSecureLink", "SharingInvitationCreated", "CompanyLinkCreated"}

// anyoneLink says whether a share opens a document to anyone who has the
// link, or to the whole web.
func anyoneLink(a triage.Action) bool {
	v := strings.ToLower(a.Detail("visibility"))
	return strings.HasPrefix(a.Action, "Anonymous") || strings.Contains(v, "public") || strings.Contains(v, "with_link") || strings.Contains(v, "anyone")
}

// sharedOutside says whether a share, not open to anyone, reaches an
// account outside the organisation.
func sharedOutside(a triage.Action, org orgDomains) bool {
	return !anyoneLink(a) && (org.outsider(a.Detail("target_user")) || strings.Contains(strings.ToLower(a.Detail("visibility")), "external"))
}

// viewOnly says whether a share lets its recipient only view or comment.
func viewOnly(a triage.Action) bool {
	switch strings.ToLower(a.Detail("new_value")) {
	case "can_view", "can_comment", "reader", "commenter", "view", "read":
		return true
	}
	return false
}

// orgDomains are the organisation's email domains.
type orgDomains []string

// personalMail are webmail domains: an identity there is never the
// organisation's.
var personalMail = []string{"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com", "me.com", "proton.me", "protonmail.com", "aol.com", "gmx.com", "gmx.de", "mail.ru", "yandex.ru", "qq.com"}

// outsider says whether identity (an email, possibly "user:"-prefixed) is
// outside the organisation: on a webmail domain, or, when the
// organisation's domains are known, on none of them.
func (o orgDomains) outsider(identity string) bool {
	_, domain, ok := strings.Cut(strings.ToLower(identity), "@")
	if !ok || domain == "" {
		return false
	}
	if slices.Contains(personalMail, domain) {
		return true
	}
	if len(o) == 0 || strings.HasSuffix(domain, ".gserviceaccount.com") {
		return false
	}
	return !slices.ContainsFunc(o, func(d string) bool { return domain == d || strings.HasSuffix(domain, "."+d) })
}

// learnDomains takes the dominant email domain of the actors as the
// organisation's, unless it is webmail.
func learnDomains(d *triage.Digest) orgDomains {
	counts := map[string]int{}
	best := ""
	for _, a := range d.Actions {
		_, dom, ok := strings.Cut(strings.ToLower(a.Actor), "@")
		if !ok || slices.Contains(personalMail, dom) || strings.HasSuffix(dom, ".gserviceaccount.com") {
			continue
		}
		counts[dom]++
		if counts[dom] > counts[best] {
			best = dom
		}
	}
	if best == "" {
		return nil
	}
	return orgDomains{best}
}

// grantee is who a grant or share went to.
func grantee(a triage.Action) string {
	return strings.TrimPrefix(cmp.Or(a.Detail("member"), a.Detail("target_user"), a.Detail("user_email")), "user:")
}

// revokes says whether an action takes access away rather than grants it.
func revokes(a triage.Action) bool {
	n := strings.ToLower(a.Action)
	return strings.Contains(n, "detach") || strings.Contains(n, "remove") || strings.Contains(n, "delete") ||
		strings.Contains(n, "revoke") || strings.Contains(n, "deactivate")
}

// isGrant says whether an action grants a role or access.
func isGrant(a triage.Action) bool {
	return a.Detail("role") != "" || a.Detail("role_name") != "" || a.Detail("policy") != "" || a.Detail("permission") != "" ||
		strings.Contains(strings.ToLower(a.Action), "grant") || strings.Contains(strings.ToLower(a.Action), "add member to role")
}

// adminGrant says whether an action grants an administrator or owner role.
func adminGrant(a triage.Action) bool {
	for _, v := range []string{a.Detail("policy"), a.Detail("role"), a.Detail("role_name"), a.Detail("privilege")} {
		l := strings.ToLower(v)
		if l == "administratoraccess" || l == "iamfullaccess" || l == "roles/owner" || l == "roles/editor" || l == "roles/iam.securityadmin" ||
			strings.Contains(l, "admin") || strings.Contains(l, "owner") {
			return true
		}
	}
	switch strings.ToLower(a.Action) {
	case "org.update_member":
		return a.Detail("permission") == "admin"
	case "role_change_to_admin", "role_change_to_owner", "user.account.privilege.grant", "grant_admin_privilege":
		return true
	}
	return strings.Contains(strings.ToLower(a.Action), "add member to role") && strings.Contains(strings.ToLower(a.Target), "admin")
}

func (m Meaning) matches(a triage.Action, org orgDomains) bool {
	if len(m.LogTypes) > 0 && !slices.ContainsFunc(m.LogTypes, func(lt string) bool {
		return lt == a.LogType || strings.HasSuffix(lt, ".") && strings.HasPrefix(a.LogType, lt)
	}) {
		return false
	}
	name := strings.ToLower(a.Action)
	if !slices.ContainsFunc(m.Actions, func(p string) bool {
		p = strings.ToLower(p)
		switch {
		case p == "*":
			return true
		case strings.HasPrefix(p, "*"):
			return strings.HasSuffix(name, p[1:])
		case strings.HasSuffix(p, "*"):
			return strings.HasPrefix(name, strings.TrimSuffix(p, "*"))
		case strings.Contains(p, "*"):
			pre, suf, _ := strings.Cut(p, "*")
			return strings.HasPrefix(name, pre) && strings.HasSuffix(name, suf)
		}
		return name == p
	}) {
		return false
	}
	return m.When == nil || m.When(a, org)
}

// JudgeActions reads what a digest's actions mean: the knowledge table's
// techniques, then the authentication patterns (success after repeated
// failures, several countries within minutes, root use, logins without
// MFA). Each finding carries its log-odds and names its events.
func JudgeActions(d *triage.Digest, opts ActionOptions) []triage.Finding {
	if d == nil || len(d.Actions) == 0 {
		return nil
	}
	org := orgDomains(opts.OrgDomains)
	if len(org) == 0 {
		org = learnDomains(d)
	}
	var out []triage.Finding
	for _, m := range Knowledge {
		var hits []triage.Action
		for _, a := range d.Actions {
			if m.matches(a, org) {
				hits = append(hits, a)
			}
		}
		if len(hits) == 0 {
			continue
		}
		out = append(out, meaningFinding(m, hits))
	}
	out = append(out, authFindings(d)...)
	out = append(out, routineFindings(d)...)
	return mergeKinds(out)
}

// meaningFinding reports the actions that show one meaning. Succeeded
// actions weigh fully; when every one failed, the attempt weighs half.
func meaningFinding(m Meaning, hits []triage.Action) triage.Finding {
	succeeded := slices.DeleteFunc(slices.Clone(hits), triage.Action.Failed)
	shown := len(succeeded)
	a := hits[0]
	if shown > 0 {
		a = succeeded[0]
	}
	what := a.Action
	if a.Target != "" {
		what += " " + a.Target
	}
	title := fmt.Sprintf("%s (%s): %s %s at %s, which %s", m.Category, m.Technique, cmp.Or(a.Actor, "someone"), what, a.Time.UTC().Format("15:04:05"), m.Says)
	if a.Detail("resource") == "true" {
		title = fmt.Sprintf("%s (%s): the configuration of %s %s %s", m.Category, m.Technique, a.Action, a.Target, m.Says)
	}
	logOdds := m.LogOdds
	if shown == 0 {
		logOdds /= 2
		if m.Kind == "exploit_attempt" {
			// The status is how the server answered; the payload may
			// have acted anyway (a JNDI lookup fires when it is logged).
			title += fmt.Sprintf("; the server answered %s, which does not show whether the payload ran", cmp.Or(a.Reason, "with an error"))
		} else {
			title += fmt.Sprintf("; the attempt failed (%s)", cmp.Or(a.Reason, "failed"))
		}
	}
	// The other actions it counts, named: the first, and how many more.
	var others []string
	for _, h := range hits {
		if h.RowID != a.RowID || h.Time != a.Time || h.Target != a.Target {
			others = append(others, cutWords(strings.TrimSpace(h.Action+" "+h.Target), 80))
		}
	}
	switch len(others) {
	case 0:
	case 1:
		title += "; also " + others[0]
	default:
		title += fmt.Sprintf("; also %s and %d more", others[0], len(others)-1)
	}
	return triage.Finding{
		Step: triage.StepActions, Kind: m.Kind, Title: title, Weight: weightOf(logOdds), LogOdds: logOdds,
		Fact: cmp.Or(m.Fact, m.Kind+" "+m.Technique), Evidence: rowEvidence(hits),
	}
}

// mergeKinds keeps, of findings sharing a fact, the heaviest one.
func mergeKinds(fs []triage.Finding) []triage.Finding {
	var out []triage.Finding
	for _, f := range fs {
		i := slices.IndexFunc(out, func(o triage.Finding) bool { return o.Fact != "" && o.Fact == f.Fact })
		switch {
		case i < 0:
			out = append(out, f)
		case f.LogOdds > out[i].LogOdds:
			out[i] = f
		}
	}
	return out
}

// weightOf is the weight a log-odds shows as: malicious from the default
// log-odds of a malicious finding (2.5, enough alone for a malicious
// verdict), suspicious above 0, benign below 0.
func weightOf(logOdds float64) triage.Weight {
	switch {
	case logOdds >= DefaultLogOdds[triage.WeightMalicious]:
		return triage.WeightMalicious
	case logOdds > 0:
		return triage.WeightSuspicious
	case logOdds < 0:
		return triage.WeightBenign
	}
	return triage.WeightInfo
}

func rowEvidence(as []triage.Action) []triage.Evidence {
	var ev []triage.Evidence
	for _, a := range as {
		if a.RowID != "" && len(ev) < maxRefs && !slices.ContainsFunc(ev, func(e triage.Evidence) bool { return e.Ref == a.RowID }) {
			ev = append(ev, triage.Evidence{Kind: "event", Ref: a.RowID})
		}
	}
	return ev
}

// isLogin says whether an action is a sign-in.
func isLogin(a triage.Action) bool {
	n := strings.ToLower(a.Action)
	return n == "consolelogin" || n == "user.session.start" || strings.HasPrefix(n, "user.authentication.") ||
		n == "login_success" || n == "login_failure" || n == "sign-in activity" || n == "userloggedin" || n == "userloginfailed" ||
		n == "sign-in" || n == "user_login" || n == "sign in" || strings.Contains(n, "signin") || n == "user_login_failed"
}

// Authentication thresholds.
const (
	// bruteForceFailures failed sign-ins before a success make a brute
	// force that worked.
	bruteForceFailures = 3
	// failuresAlone failed sign-ins without a success are a guessing attempt.
	failuresAlone = 5
	// travelWindow is how close sign-ins from two countries must be.
	travelWindow = time.Hour
)

// authFindings reads the sign-in patterns of the digest.
func authFindings(d *triage.Digest) []triage.Finding {
	var out []triage.Finding
	// Success after repeated failures, per actor.
	type tally struct {
		failed  []triage.Action
		success *triage.Action
	}
	byActor := map[string]*tally{}
	var order []string
	for _, a := range d.Actions {
		if !isLogin(a) || a.Actor == "" {
			continue
		}
		t := byActor[a.Actor]
		if t == nil {
			t = &tally{}
			byActor[a.Actor] = t
			order = append(order, a.Actor)
		}
		switch {
		case a.Failed() && t.success == nil:
			t.failed = append(t.failed, a)
		case a.Outcome == triage.OutcomeSucceeded && t.success == nil && len(t.failed) >= bruteForceFailures:
			t.success = &a
		}
	}
	for _, actor := range order {
		t := byActor[actor]
		switch {
		case t.success != nil:
			out = append(out, triage.Finding{Step: triage.StepActions, Kind: "brute_force_success", Weight: weightOf(3.0), LogOdds: 3.0, Fact: "brute_force " + actor,
				Title: fmt.Sprintf("Credential access (T1110 Brute Force): %d failed sign-ins as %s, then one succeeded at %s from %s",
					len(t.failed), actor, t.success.Time.UTC().Format("15:04:05"), cmp.Or(t.success.SourceIP, "an unknown address")),
				Evidence: rowEvidence(append(t.failed[len(t.failed)-1:], *t.success))})
		case len(t.failed) >= failuresAlone && !slices.ContainsFunc(d.Actions, func(a triage.Action) bool {
			return a.Actor == actor && isLogin(a) && a.Outcome == triage.OutcomeSucceeded
		}):
			// The guessing is the alert; that nothing got in is what it
			// tells, and it leans toward closing.
			out = append(out, triage.Finding{Step: triage.StepActions, Kind: "failed_logins", Weight: weightOf(-0.3), LogOdds: -0.3, Fact: "brute_force " + actor,
				Title:    fmt.Sprintf("Credential access attempt (T1110 Brute Force): %d failed sign-ins as %s and none succeeded: the guessing did not get in", len(t.failed), actor),
				Evidence: rowEvidence(t.failed)})
		}
	}
	// Several countries within the travel window, per actor.
	for _, actor := range d.Actors() {
		var seen []triage.Action
		for _, a := range d.Actions {
			if a.Actor != actor || a.Country == "" || a.Failed() {
				continue
			}
			for _, s := range seen {
				if s.Country != a.Country && a.Time.Sub(s.Time) <= travelWindow {
					out = append(out, triage.Finding{Step: triage.StepActions, Kind: "improbable_travel", Weight: weightOf(1.2), LogOdds: 1.2, Fact: "travel " + actor,
						Title: fmt.Sprintf("Initial access (T1078 Valid Accounts): %s acted from %s and %s within %s",
							actor, s.Country, a.Country, a.Time.Sub(s.Time).Round(time.Minute)),
						Evidence: rowEvidence([]triage.Action{s, a})})
					break
				}
			}
			seen = append(seen, a)
		}
	}
	// Root use and sign-ins without MFA.
	for _, a := range d.Actions {
		if a.Failed() {
			continue
		}
		root := a.Detail("identity_type") == "Root"
		switch {
		case root && isLogin(a) && a.MFA == "no":
			out = append(out, triage.Finding{Step: triage.StepActions, Kind: "root_login_no_mfa", Weight: weightOf(2.0), LogOdds: 2.0, Fact: "root",
				Title:    fmt.Sprintf("Privileged sign-in (T1078.004 Valid Accounts: Cloud Accounts): the root user signed in without MFA at %s from %s", a.Time.UTC().Format("15:04:05"), cmp.Or(a.SourceIP, "an unknown address")),
				Evidence: rowEvidence([]triage.Action{a})})
		case root:
			out = append(out, triage.Finding{Step: triage.StepActions, Kind: "root_use", Weight: weightOf(1.0), LogOdds: 1.0, Fact: "root",
				Title:    fmt.Sprintf("Privileged use (T1078.004 Valid Accounts: Cloud Accounts): the root user ran %s at %s", a.Action, a.Time.UTC().Format("15:04:05")),
				Evidence: rowEvidence([]triage.Action{a})})
		case isLogin(a) && a.MFA == "no":
			out = append(out, triage.Finding{Step: triage.StepActions, Kind: "login_no_mfa", Weight: weightOf(0.5), LogOdds: 0.5, Fact: "no_mfa " + a.Actor,
				Title:    fmt.Sprintf("Sign-in without MFA (T1078 Valid Accounts): %s at %s from %s", a.Actor, a.Time.UTC().Format("15:04:05"), cmp.Or(a.SourceIP, "an unknown address")),
				Evidence: rowEvidence([]triage.Action{a})})
		}
	}
	return out
}

// readOnly says whether an action only reads.
func readOnly(a triage.Action) bool {
	if ro := a.Detail("read_only"); ro != "" {
		return ro == "true"
	}
	n := a.Action
	for _, p := range []string{"Describe", "List", "Get", "Head", "Lookup", "get", "list", "search"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// byAWS says whether AWS itself made a CloudTrail call: a service, or a
// service-linked role invoked by one.
func byAWS(a triage.Action) bool {
	return a.LogType == "AWS.CloudTrail" && (a.Detail("identity_type") == "AWSService" ||
		strings.HasSuffix(a.Detail("invoked_by"), ".amazonaws.com") && strings.HasPrefix(a.Detail("issuer"), "AWSServiceRoleFor"))
}

// routineFindings are the signs that the actions are routine: only reads,
// or only AWS's own service roles at work.
func routineFindings(d *triage.Digest) []triage.Finding {
	var out []triage.Finding
	if all(d.Actions, readOnly) {
		names := slices.Compact(slices.Sorted(slices.Values(actionNames(d.Actions))))
		out = append(out, triage.Finding{Step: triage.StepActions, Kind: "read_only", Weight: weightOf(-0.8), LogOdds: -0.8,
			Title:    fmt.Sprintf("Only read-only calls (%d): %s; nothing was changed", len(d.Actions), strings.Join(names[:min(5, len(names))], ", ")),
			Evidence: rowEvidence(d.Actions)})
	}
	if all(d.Actions, func(a triage.Action) bool { return a.Detail("network") == "true" && a.Failed() }) {
		out = append(out, triage.Finding{Step: triage.StepActions, Kind: "all_rejected", Weight: weightOf(-1.2), LogOdds: -1.2,
			Title:    fmt.Sprintf("All %d network flows were rejected: nothing from %s reached %s", len(d.Actions), strings.Join(d.SourceIPs(), ", "), d.Actions[0].Target),
			Evidence: rowEvidence(d.Actions)})
	}
	if all(d.Actions, byAWS) {
		out = append(out, triage.Finding{Step: triage.StepActions, Kind: "aws_service", Weight: weightOf(-1.2), LogOdds: -1.2,
			Title:    fmt.Sprintf("Every call was made by AWS itself: %s, invoked by %s", d.Actions[0].Actor, d.Actions[0].Detail("invoked_by")),
			Evidence: rowEvidence(d.Actions)})
	}
	return out
}

func all(as []triage.Action, ok func(triage.Action) bool) bool {
	return len(as) > 0 && !slices.ContainsFunc(as, func(a triage.Action) bool { return !ok(a) })
}

func actionNames(as []triage.Action) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Action)
	}
	return out
}

// exploitMarkers are strings of common exploit payloads in web requests.
var exploitMarkers = []string{"${jndi:", "%24%7bjndi", "../..", "..%2f", "/etc/passwd", "<script", "union select", "union%20select", "cmd.exe", "/bin/sh", "wget http", "curl http", "() { :;};"}

// exploitPayload names the first exploit marker in a request, or "".
func exploitPayload(request string) string {
	l := strings.ToLower(request)
	for _, m := range exploitMarkers {
		if strings.Contains(l, m) {
			return m
		}
	}
	return ""
}

// highRiskKinds are the knowledge table's kinds that no filter should
// ever hide: MFA and logging changes, new credentials and accounts, and
// privilege grants. An attacker's copy of such an action looks the same.
var highRiskKinds = []string{"defense_evasion", "persistence", "privilege_grant", "admin_grant", "outsider_grant"}

// highRiskAction returns the first action of the digest that the knowledge
// table reads as high-risk (see highRiskKinds), and whether there is one.
func highRiskAction(d *triage.Digest) (triage.Action, Meaning, bool) {
	if d == nil {
		return triage.Action{}, Meaning{}, false
	}
	org := learnDomains(d)
	for _, a := range d.Actions {
		for _, m := range Knowledge {
			if slices.Contains(highRiskKinds, m.Kind) && m.matches(a, org) {
				return a, m, true
			}
		}
	}
	return triage.Action{}, Meaning{}, false
}

// callback is the host and port an exploit payload asks the server to
// reach (a JNDI lookup's LDAP or RMI address), or "".
func callback(request string) string {
	l := strings.ToLower(request)
	i := strings.Index(l, "jndi:")
	if i < 0 {
		return ""
	}
	rest := l[i+len("jndi:"):]
	_, after, ok := strings.Cut(rest, "://")
	if !ok {
		return ""
	}
	end := strings.IndexAny(after, "/}?# ")
	if end < 0 {
		end = len(after)
	}
	return after[:end]
}

// cutWords shortens s to at most n characters, ending with "…" when cut.
func cutWords(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
