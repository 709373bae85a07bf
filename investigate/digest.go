package investigate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/panther"
)

// Outcomes of an action.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
)

// Action is one event read as who did what to what, from where, and how it
// ended. Fields the log type does not carry are empty.
type Action struct {
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor,omitempty"`
	Action    string    `json:"action"`
	Target    string    `json:"target,omitempty"`
	Outcome   string    `json:"outcome,omitempty"` // OutcomeSucceeded, OutcomeFailed or empty (unknown)
	Reason    string    `json:"reason,omitempty"`  // why it failed: an error code or message
	SourceIP  string    `json:"sourceIp,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
	// Country is where SourceIP is, preferably as IPinfo's two-letter code.
	Country string `json:"country,omitempty"`
	// MFA is "yes" or "no" when the event says whether a login used MFA.
	MFA     string `json:"mfa,omitempty"`
	LogType string `json:"logType"`
	RowID   string `json:"rowId,omitempty"`
	// Details are named facts of the event that the knowledge table reads:
	// identity_type, policy, role, member, visibility, access_key_id, …
	Details map[string]string `json:"details,omitempty"`
}

// Detail returns a named detail of the action, or "".
func (a Action) Detail(name string) string { return a.Details[name] }

// Failed says whether the action is known to have failed.
func (a Action) Failed() bool { return a.Outcome == OutcomeFailed }

// Object is something a responder may act on after reading the digest: an
// access key to disable, a user to remove, a role to revoke.
type Object struct {
	// Kind is e.g. "access key", "user", "policy", "role grant",
	// "repository", "bucket", "service account key", "token".
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Action is the action that created or changed it, at Time; RowID is
	// its event.
	Action string    `json:"action"`
	Time   time.Time `json:"time"`
	RowID  string    `json:"rowId,omitempty"`
}

// Digest is the alert's events read as actions, in time order: the first
// thing an investigation knows, computed as soon as the events are read.
type Digest struct {
	Actions []Action `json:"actions"`
	// Objects are what the actions created or changed that a responder
	// may act on, in the order they appeared.
	Objects []Object `json:"objects,omitempty"`
	// Omitted is how many of the alert's events were not read.
	Omitted int `json:"omitted,omitempty"`
}

// NewDigest reads events into a digest.
func NewDigest(events []panther.Event) *Digest {
	d := &Digest{}
	for _, ev := range events {
		a, objs := readAction(ev)
		d.Actions = append(d.Actions, a)
		d.Objects = append(d.Objects, objs...)
	}
	slices.SortStableFunc(d.Actions, func(x, y Action) int { return x.Time.Compare(y.Time) })
	slices.SortStableFunc(d.Objects, func(x, y Object) int { return x.Time.Compare(y.Time) })
	d.Objects = slices.CompactFunc(d.Objects, func(x, y Object) bool { return x.Kind == y.Kind && x.Value == y.Value })
	return d
}

// maxDigestSteps bounds the steps of one sequence line.
const maxDigestSteps = 8

// Sequence writes the actions as one line, consecutive repeats collapsed:
// "ConsoleLogin failed ×3, then succeeded without MFA → DeleteTrail
// (AccessDenied) → CreateUser eve". The actor is named where it changes
// when more than one acted.
func (d *Digest) Sequence() string {
	if d == nil || len(d.Actions) == 0 {
		return ""
	}
	groups := d.groups()
	multi := len(d.Actors()) > 1
	var parts []string
	prevActor := ""
	for i, g := range groups {
		if i == maxDigestSteps {
			parts = append(parts, fmt.Sprintf("… %d more", len(groups)-i))
			break
		}
		s := g.phrase()
		if multi && g.actor != prevActor && g.actor != "" {
			s = g.actor + ": " + s
		}
		prevActor = g.actor
		parts = append(parts, s)
	}
	return strings.Join(parts, " → ")
}

// Actors lists who acted, most actions first.
func (d *Digest) Actors() []string { return d.ranked(func(a Action) string { return a.Actor }) }

// SourceIPs lists where the actions came from, most actions first.
func (d *Digest) SourceIPs() []string { return d.ranked(func(a Action) string { return a.SourceIP }) }

// Countries lists the countries of the source IPs, most actions first.
func (d *Digest) Countries() []string { return d.ranked(func(a Action) string { return a.Country }) }

// Story tells what happened in at most three lines of words: who did what
// to what and from where; how it ended; and what to act on. It is empty
// when there were no events.
func (d *Digest) Story() []string {
	if d == nil || len(d.Actions) == 0 {
		return nil
	}
	if all(d.Actions, func(a Action) bool { return a.Detail("resource") == "true" }) {
		a := d.Actions[0]
		line := fmt.Sprintf("The configuration of %s %s, recorded %s", a.Action, a.Target, a.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
		if a.Detail("public") == "true" {
			line += ", grants access to everyone on the internet"
		}
		return []string{line + "."}
	}
	who := "Unknown actor"
	if actors := d.Actors(); len(actors) > 0 {
		who = actors[0]
		if len(actors) > 1 {
			who += fmt.Sprintf(" and %d other(s)", len(actors)-1)
		}
	}
	if ips := d.SourceIPs(); len(ips) > 0 {
		where := ips[0]
		if cs := d.Countries(); len(cs) > 0 {
			where += " (" + strings.Join(cs[:min(3, len(cs))], ", ") + ")"
		}
		if len(ips) > 1 {
			where += fmt.Sprintf(" and %d other address(es)", len(ips)-1)
		}
		if ips[0] != who {
			who += " from " + where
		} else if cs := d.Countries(); len(cs) > 0 {
			who += " (" + strings.Join(cs[:min(3, len(cs))], ", ") + ")"
		}
	}
	lines := []string{who + ": " + d.Sequence() + "."}

	last := d.Actions[len(d.Actions)-1]
	at := last.Time.UTC().Format("2006-01-02 15:04:05 UTC")
	if len(d.groups()) == 1 {
		end := "It happened at " + at
		switch {
		case len(d.Actions) > 1:
			end = fmt.Sprintf("The last of %d was at %s", len(d.Actions), at)
			if last.Outcome != "" {
				end += " and " + last.Outcome
			}
		case last.Outcome != "":
			end = "It " + last.Outcome + " at " + at
		}
		lines = append(lines, end+".")
		if objs := d.ObjectsLine(); objs != "" {
			lines = append(lines, objs)
		}
		return lines
	}
	failed := 0
	for _, a := range d.Actions {
		if a.Failed() {
			failed++
		}
	}
	end := fmt.Sprintf("It ended with %s", last.Action)
	if last.Target != "" {
		end += " " + last.Target
	}
	switch last.Outcome {
	case OutcomeSucceeded:
		end += " succeeding"
	case OutcomeFailed:
		end += " failing"
		if last.Reason != "" {
			end += " (" + last.Reason + ")"
		}
	}
	end += " at " + at
	switch {
	case failed == 0:
		end += "; no action failed"
	case failed == len(d.Actions):
		end += "; every action failed"
	default:
		end += fmt.Sprintf("; %d of %d actions failed", failed, len(d.Actions))
	}
	if d.Omitted > 0 {
		end += fmt.Sprintf(" (%d more events not read)", d.Omitted)
	}
	lines = append(lines, end+".")
	if objs := d.ObjectsLine(); objs != "" {
		lines = append(lines, objs)
	}
	return lines
}

// ObjectsLine names the objects to act on in one sentence, or "".
func (d *Digest) ObjectsLine() string {
	if d == nil || len(d.Objects) == 0 {
		return ""
	}
	var parts []string
	for _, o := range d.Objects[:min(6, len(d.Objects))] {
		parts = append(parts, o.Kind+" "+o.Value)
	}
	s := "To act on: " + strings.Join(parts, ", ")
	if n := len(d.Objects) - 6; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s + "."
}

// Text is the digest's story as one paragraph, for searching and for
// narrators.
func (d *Digest) Text() string { return strings.Join(d.Story(), " ") }

func (d *Digest) ranked(key func(Action) string) []string {
	if d == nil {
		return nil
	}
	counts := map[string]int{}
	var order []string
	for _, a := range d.Actions {
		k := key(a)
		if k == "" {
			continue
		}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	slices.SortStableFunc(order, func(x, y string) int { return cmp.Compare(counts[y], counts[x]) })
	return order
}

// group is a run of consecutive actions by one actor, with one name and
// target.
type group struct {
	actor, action, target string
	actions               []Action
}

func (d *Digest) groups() []group {
	var gs []group
	for _, a := range d.Actions {
		if n := len(gs); n > 0 {
			g := &gs[n-1]
			if g.actor == a.Actor && g.action == a.Action && g.target == a.Target {
				g.actions = append(g.actions, a)
				continue
			}
		}
		gs = append(gs, group{actor: a.Actor, action: a.Action, target: a.Target, actions: []Action{a}})
	}
	return gs
}

// phrase writes a group as "ConsoleLogin failed ×3, then succeeded without
// MFA" or "DeleteTrail main (AccessDenied)".
func (g group) phrase() string {
	s := g.action
	if g.target != "" {
		s += " " + g.target
	}
	// Runs of the same outcome.
	type run struct {
		outcome, reason, mfa string
		n                    int
	}
	var runs []run
	for _, a := range g.actions {
		if n := len(runs); n > 0 && runs[n-1].outcome == a.Outcome {
			runs[n-1].n++
			if a.MFA != "" {
				runs[n-1].mfa = a.MFA
			}
			continue
		}
		runs = append(runs, run{outcome: a.Outcome, reason: a.Reason, mfa: a.MFA, n: 1})
	}
	times := func(n int) string {
		if n == 1 {
			return ""
		}
		return fmt.Sprintf(" ×%d", n)
	}
	if len(runs) == 1 {
		r := runs[0]
		switch {
		case r.outcome == OutcomeFailed && r.n == 1:
			return s + " (" + cmp.Or(r.reason, "failed") + ")"
		case r.outcome == OutcomeFailed:
			s += " failed" + times(r.n)
			if r.reason != "" {
				s += " (" + r.reason + ")"
			}
			return s
		}
		s += times(r.n)
		if r.mfa == "no" {
			s += " without MFA"
		}
		return s
	}
	var parts []string
	for i, r := range runs {
		p := cmp.Or(r.outcome, "unknown outcome") + times(r.n)
		if r.outcome == OutcomeFailed && r.reason != "" {
			p += " (" + r.reason + ")"
		}
		if r.outcome == OutcomeSucceeded && r.mfa == "no" {
			p += " without MFA"
		}
		if i > 0 {
			p = "then " + p
		}
		parts = append(parts, p)
	}
	return s + " " + strings.Join(parts, ", ")
}

// fieldsOf says where a log type keeps an action's parts. Each list holds
// paths into the event (dots between keys, numbers index arrays); the
// first non-empty value wins. read, when set, fills what paths cannot:
// outcomes, composite targets, details and objects.
type fieldsOf struct {
	// logType is a log type, or a prefix ending in "." for a family.
	logType                                   string
	actor, action, target, ip, agent, country []string
	read                                      func(ev panther.Event, a *Action) []Object
}

// logFields is the one table of where each log type keeps the parts of an
// action. Field names follow Panther's schemas and the data models of
// panther-analysis. A log type it does not list is read through Panther's
// standard fields (see standardFields).
var logFields = []fieldsOf{
	{logType: "AWS.CloudTrail",
		action: []string{"eventName"}, ip: []string{"sourceIPAddress"}, agent: []string{"userAgent"},
		read: readCloudTrail},
	{logType: "Okta.SystemLog",
		actor:  []string{"actor.alternateId", "actor.displayName", "actor.id"},
		action: []string{"eventType"}, target: []string{"target.0.alternateId", "target.0.displayName"},
		ip: []string{"client.ipAddress"}, agent: []string{"client.userAgent.rawUserAgent"},
		country: []string{"client.geographicalContext.country"},
		read:    readOkta},
	{logType: "GCP.AuditLog",
		actor:  []string{"protoPayload.authenticationInfo.principalEmail"},
		action: []string{"protoPayload.methodName"}, target: []string{"protoPayload.resourceName"},
		ip:    []string{"protoPayload.requestMetadata.callerIp", "protoPayload.requestMetadata.callerIP"},
		agent: []string{"protoPayload.requestMetadata.callerSuppliedUserAgent"},
		read:  readGCP},
	{logType: "GitHub.Audit",
		actor: []string{"actor"}, action: []string{"action"}, target: []string{"repo", "user", "team", "name"},
		ip: []string{"actor_ip"}, agent: []string{"user_agent"}, country: []string{"actor_location.country_code"},
		read: readGitHub},
	{logType: "GSuite.",
		actor: []string{"actor.email", "actor.profileId"}, action: []string{"events.0.name", "name"},
		ip: []string{"ipAddress"}, read: readGSuite},
	{logType: "Azure.Audit", // Entra ID sign-in and audit logs
		actor:  []string{"properties.userPrincipalName", "properties.initiatedBy.user.userPrincipalName", "properties.initiatedBy.app.displayName", "properties.servicePrincipalName", "identity"},
		action: []string{"operationName"}, target: []string{"properties.targetResources.0.userPrincipalName", "properties.targetResources.0.displayName", "properties.appDisplayName", "properties.resourceDisplayName"},
		ip: []string{"properties.ipAddress", "callerIpAddress", "calleripaddress"}, agent: []string{"properties.userAgent"},
		country: []string{"properties.location.countryOrRegion", "location"},
		read:    readAzure},
	{logType: "Azure.MonitorActivity",
		actor: []string{"identity.claims.name", "caller", "identity.authorization.evidence.principalId"}, action: []string{"operationName"},
		target: []string{"resourceId", "resourceid"}, ip: []string{"callerIpAddress"},
		read: readAzure},
	{logType: "Microsoft365.",
		actor: []string{"UserId"}, action: []string{"Operation"},
		target: []string{"ObjectId", "TargetUserOrGroupName", "Target.0.ID"}, ip: []string{"ClientIP", "ActorIpAddress"}, agent: []string{"UserAgent"},
		read: readM365},
	{logType: "Slack.AuditLogs",
		actor: []string{"actor.user.email", "actor.user.name"}, action: []string{"action"},
		target: []string{"entity.user.email", "entity.user.name", "entity.channel.name", "entity.app.name", "entity.workspace.name", "entity.enterprise.name"},
		ip:     []string{"context.ip_address"}, agent: []string{"context.ua"}, read: readSlack},
	{logType: "OnePassword.SignInAttempt",
		actor: []string{"target_user.email"}, action: []string{"type"}, ip: []string{"client.ip_address"},
		agent: []string{"client.app_name"}, country: []string{"location.country"},
		read: readOnePasswordSignIn},
	{logType: "OnePassword.",
		actor: []string{"user.email", "actor_details.email", "actor_uuid"}, action: []string{"action", "category"},
		target: []string{"item_uuid", "object_uuid", "object_type"},
		ip:     []string{"client.ipaddress", "client.ip_address", "session.ip"}, agent: []string{"client.app_name"},
		country: []string{"location.country"}},
	{logType: "AWS.ALB",
		actor: []string{"clientIp"}, action: []string{"requestHttpMethod"}, target: []string{"requestUrl"},
		ip: []string{"clientIp"}, agent: []string{"userAgent"}, read: readALB},
	{logType: "AWS.VPCFlow",
		actor: []string{"srcAddr"}, ip: []string{"srcAddr"}, read: readVPCFlow},
	{logType: "Zoom.Operation",
		actor: []string{"operator"}, action: []string{"action", "category_type"}, target: []string{"operation_detail"},
		read: readZoomOperation},
	{logType: "Zoom.Activity",
		actor: []string{"email"}, action: []string{"type"}, ip: []string{"ip_address"}, agent: []string{"client_type"},
		country: []string{"country"}},
	{logType: "Crowdstrike.",
		actor:  []string{"event.UserName", "UserName", "user_name"},
		action: []string{"event_simpleName", "event.OperationName", "metadata.eventType", "ExternalApiType"},
		target: []string{"event.ComputerName", "ComputerName", "event.ServiceName", "event.Hostname"},
		ip:     []string{"aip", "event.UserIp", "event.LocalIP", "LocalAddressIP4"}, agent: []string{"event.CommandLine", "CommandLine"}},
}

// standardFields reads a log type the table does not know through the
// p_any_* fields Panther adds to every event.
var standardFields = fieldsOf{
	actor:  []string{"p_any_emails.0", "p_any_usernames.0", "p_any_actor_ids.0"},
	action: []string{"eventName", "eventType", "action", "operationName", "Operation", "event_type", "type"},
	ip:     []string{"p_any_ip_addresses.0"},
	agent:  []string{"userAgent", "user_agent"},
}

func fieldsFor(logType string) fieldsOf {
	for _, f := range logFields {
		if f.logType == logType || strings.HasSuffix(f.logType, ".") && strings.HasPrefix(logType, f.logType) {
			return f
		}
	}
	return standardFields
}

// readAction reads one event into an action and the objects it created.
func readAction(ev panther.Event) (Action, []Object) {
	lt, _ := ev["p_log_type"].(string)
	f := fieldsFor(lt)
	a := Action{
		LogType:   lt,
		Actor:     first(ev, f.actor),
		Action:    first(ev, f.action),
		Target:    first(ev, f.target),
		SourceIP:  first(ev, f.ip),
		UserAgent: first(ev, f.agent),
		Country:   first(ev, f.country),
		RowID:     text(ev["p_row_id"]),
		Details:   map[string]string{},
	}
	a.Time, _ = eventTime(ev)
	if a.Actor == "" {
		a.Actor = first(ev, standardFields.actor)
	}
	if a.SourceIP == "" {
		a.SourceIP = first(ev, standardFields.ip)
	}
	var objs []Object
	switch {
	case f.read != nil:
		objs = f.read(ev, &a)
	case lt == "" && get(ev, "ResourceType") != "":
		objs = readResource(ev, &a)
	}
	if a.Action == "" {
		a.Action = cmp.Or(first(ev, standardFields.action), lt, "event")
	}
	if c := ipinfoCountry(ev); c != "" {
		a.Country = c
	}
	for i := range objs {
		objs[i].Action, objs[i].Time, objs[i].RowID = a.Action, a.Time, a.RowID
	}
	return a, objs
}

// ipinfoCountry is the country IPinfo gave the event's source address.
func ipinfoCountry(ev panther.Event) string {
	enr, _ := ev["p_enrichment"].(map[string]any)
	loc, _ := enr["ipinfo_location"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(loc)) {
		row, _ := loc[k].(map[string]any)
		if c := text(row["country"]); c != "" {
			return c
		}
	}
	return ""
}

// lookup follows a dotted path into an event; numbers index arrays.
func lookup(v any, path string) any {
	for key := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// text renders a scalar as text; other values as "".
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

func first(ev panther.Event, paths []string) string {
	for _, p := range paths {
		if s := strings.TrimSpace(text(lookup(map[string]any(ev), p))); s != "" && s != "null" {
			return s
		}
	}
	return ""
}

func get(ev panther.Event, path string) string { return first(ev, []string{path}) }

// lastSegment is what follows the last '/' or ':' of an ARN-like name.
func lastSegment(s string) string {
	if i := strings.LastIndexAny(s, "/:"); i >= 0 && i < len(s)-1 {
		return s[i+1:]
	}
	return s
}

func readCloudTrail(ev panther.Event, a *Action) []Object {
	typ := get(ev, "userIdentity.type")
	a.Details["identity_type"] = typ
	switch typ {
	case "Root":
		a.Actor = "root"
		if acct := get(ev, "userIdentity.accountId"); acct != "" {
			a.Actor = "root (" + acct + ")"
		}
	case "IAMUser":
		a.Actor = cmp.Or(get(ev, "userIdentity.userName"), lastSegment(get(ev, "userIdentity.arn")))
	case "AssumedRole":
		role := get(ev, "userIdentity.sessionContext.sessionIssuer.userName")
		session := lastSegment(get(ev, "userIdentity.arn"))
		a.Actor = strings.Trim(role+"/"+session, "/")
	case "AWSService":
		a.Actor = get(ev, "userIdentity.invokedBy")
	default:
		a.Actor = cmp.Or(get(ev, "userIdentity.userName"), get(ev, "userIdentity.arn"), get(ev, "userIdentity.principalId"))
	}
	a.Details["account"] = cmp.Or(get(ev, "recipientAccountId"), get(ev, "userIdentity.accountId"))
	a.Details["read_only"] = get(ev, "readOnly")
	a.Details["invoked_by"] = get(ev, "userIdentity.invokedBy")
	a.Details["issuer"] = get(ev, "userIdentity.sessionContext.sessionIssuer.userName")
	if code := get(ev, "errorCode"); code != "" {
		a.Outcome, a.Reason = OutcomeFailed, code
	} else {
		a.Outcome = OutcomeSucceeded
	}
	switch get(ev, "responseElements.ConsoleLogin") {
	case "Failure":
		a.Outcome, a.Reason = OutcomeFailed, get(ev, "errorMessage")
	case "Success":
		a.Outcome = OutcomeSucceeded
	}
	switch get(ev, "additionalEventData.MFAUsed") {
	case "Yes":
		a.MFA = "yes"
	case "No":
		a.MFA = "no"
	}
	p := func(k string) string { return get(ev, "requestParameters."+k) }
	policy := lastSegment(cmp.Or(p("policyArn"), p("policyName")))
	principal := cmp.Or(p("userName"), p("roleName"), p("groupName"))
	a.Details["policy"] = policy
	a.Details["principal"] = principal
	switch {
	case policy != "" && principal != "":
		a.Target = policy + " on " + principal
	default:
		a.Target = cmp.Or(principal, policy, p("bucketName"), lastSegment(p("name")), p("trailName"), p("detectorId"),
			p("groupId"), p("keyId"), p("dBInstanceIdentifier"), p("instancesSet.items.0.instanceId"), p("functionName"), p("secretId"))
	}
	if port := p("ipPermissions.items.0.fromPort"); port != "" {
		a.Target += " port " + port
		if to := p("ipPermissions.items.0.toPort"); to != "" && to != port {
			a.Target += "-" + to
		}
		if cidr := cmp.Or(p("ipPermissions.items.0.ipRanges.items.0.cidrIp"), p("ipPermissions.items.0.ipv6Ranges.items.0.cidrIpv6")); cidr != "" {
			a.Target += " from " + cidr
			a.Details["cidr"] = cidr
		}
	}
	if b := p("bucketName"); b != "" {
		a.Details["bucket"] = b
	}
	a.Details["public"] = strconv.FormatBool(cloudTrailPublic(ev))
	var objs []Object
	switch a.Action {
	case "CreateAccessKey":
		objs = append(objs, Object{Kind: "access key", Value: cmp.Or(get(ev, "responseElements.accessKey.accessKeyId"), "for "+cmp.Or(principal, a.Actor))})
	case "CreateUser":
		objs = append(objs, Object{Kind: "user", Value: principal})
	case "CreateLoginProfile", "UpdateLoginProfile":
		objs = append(objs, Object{Kind: "console password", Value: "of " + cmp.Or(principal, a.Actor)})
	case "CreateRole":
		objs = append(objs, Object{Kind: "role", Value: principal})
	case "AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy":
		objs = append(objs, Object{Kind: "policy", Value: a.Target})
	case "AddUserToGroup":
		objs = append(objs, Object{Kind: "group membership", Value: p("userName") + " in " + p("groupName")})
	case "PutBucketAcl", "PutBucketPolicy", "DeleteBucketPolicy", "DeletePublicAccessBlock", "PutPublicAccessBlock", "DeleteBucketPublicAccessBlock":
		if b := p("bucketName"); b != "" {
			objs = append(objs, Object{Kind: "bucket", Value: b})
		}
	}
	if a.Failed() {
		return nil
	}
	return slices.DeleteFunc(objs, func(o Object) bool { return o.Value == "" })
}

// cloudTrailPublic says whether an S3 request opens a bucket to everyone:
// an ACL granting AllUsers or AuthenticatedUsers, a policy whose principal
// is "*", or a public access block switched off.
func cloudTrailPublic(ev panther.Event) bool {
	req, _ := ev["requestParameters"].(map[string]any)
	if req == nil {
		return false
	}
	s := fmt.Sprint(req)
	if strings.Contains(s, "acs.amazonaws.com/groups/global/AllUsers") || strings.Contains(s, "acs.amazonaws.com/groups/global/AuthenticatedUsers") {
		return true
	}
	if acl := text(req["x-amz-acl"]); strings.Contains(fmt.Sprint(req["x-amz-acl"]), "public-read") || strings.HasPrefix(acl, "public-") {
		return true
	}
	if pol := text(req["bucketPolicy"]); pol != "" {
		return strings.Contains(strings.ReplaceAll(pol, " ", ""), `"Principal":"*"`) || strings.Contains(pol, `"AWS":"*"`)
	}
	if pol, ok := req["bucketPolicy"].(map[string]any); ok {
		ps := fmt.Sprint(pol)
		return strings.Contains(ps, "Principal:*") || strings.Contains(ps, "AWS:*")
	}
	if cfg, ok := req["PublicAccessBlockConfiguration"].(map[string]any); ok {
		return cfg["BlockPublicAcls"] == false || cfg["BlockPublicPolicy"] == false || cfg["RestrictPublicBuckets"] == false
	}
	return false
}

func readOkta(ev panther.Event, a *Action) []Object {
	switch r := get(ev, "outcome.result"); r {
	case "SUCCESS", "ALLOW":
		a.Outcome = OutcomeSucceeded
	case "FAILURE", "DENY":
		a.Outcome, a.Reason = OutcomeFailed, cmp.Or(get(ev, "outcome.reason"), r)
	case "CHALLENGE", "UNKNOWN", "SKIPPED":
		a.Reason = r
	}
	a.Details["actor_type"] = get(ev, "actor.type")
	a.Details["privilege"] = get(ev, "debugContext.debugData.privilegeGranted")
	if get(ev, "authenticationContext.authenticationStep") == "0" && a.Action == "user.session.start" && get(ev, "debugContext.debugData.factor") == "" {
		a.Details["factor"] = ""
	}
	var objs []Object
	switch a.Action {
	case "user.lifecycle.create":
		objs = append(objs, Object{Kind: "user", Value: a.Target})
	case "system.api_token.create":
		objs = append(objs, Object{Kind: "token", Value: cmp.Or(a.Target, "API token")})
	case "user.mfa.factor.activate":
		objs = append(objs, Object{Kind: "MFA factor", Value: cmp.Or(get(ev, "debugContext.debugData.factor"), "new") + " of " + a.Actor})
	case "user.account.privilege.grant":
		objs = append(objs, Object{Kind: "admin grant", Value: cmp.Or(a.Details["privilege"], "privilege") + " to " + a.Target})
	}
	if a.Failed() {
		return nil
	}
	return objs
}

func readGCP(ev panther.Event, a *Action) []Object {
	if code := get(ev, "protoPayload.status.code"); code != "" && code != "0" {
		a.Outcome, a.Reason = OutcomeFailed, cmp.Or(get(ev, "protoPayload.status.message"), "code "+code)
	} else {
		a.Outcome = OutcomeSucceeded
	}
	a.Action = lastSegment(strings.ReplaceAll(a.Action, ".", "/"))
	var objs []Object
	deltas, _ := lookup(map[string]any(ev), "protoPayload.serviceData.policyDelta.bindingDeltas").([]any)
	if deltas == nil {
		deltas, _ = lookup(map[string]any(ev), "protoPayload.metadata.datasetChange.bindingDeltas").([]any)
	}
	var grants []string
	for _, d := range deltas {
		m, _ := d.(map[string]any)
		if text(m["action"]) != "ADD" {
			continue
		}
		g := text(m["role"]) + " to " + text(m["member"])
		grants = append(grants, g)
		objs = append(objs, Object{Kind: "role grant", Value: g})
		if a.Details["role"] == "" {
			a.Details["role"], a.Details["member"] = text(m["role"]), text(m["member"])
		}
	}
	if len(grants) > 0 {
		a.Target = strings.Join(grants, ", ") + " on " + lastSegment(a.Target)
	} else {
		a.Target = strings.TrimPrefix(a.Target, "projects/_/")
	}
	if strings.HasSuffix(a.Action, "CreateServiceAccountKey") {
		objs = append(objs, Object{Kind: "service account key", Value: a.Target})
	}
	if a.Failed() {
		return nil
	}
	return objs
}

func readGitHub(ev panther.Event, a *Action) []Object {
	a.Outcome = OutcomeSucceeded
	for _, k := range []string{"visibility", "previous_visibility", "permission", "old_permission", "role"} {
		if v := get(ev, k); v != "" {
			a.Details[k] = v
		}
	}
	if v := a.Details["visibility"]; v != "" && strings.HasPrefix(a.Action, "repo.") {
		a.Target += " made " + v
	}
	if a.Action == "org.update_member" && get(ev, "permission") != "" {
		a.Target += " to " + get(ev, "permission")
	}
	switch a.Action {
	case "repo.access":
		if a.Details["visibility"] == "public" {
			return []Object{{Kind: "repository", Value: get(ev, "repo")}}
		}
	case "personal_access_token.access_granted", "oauth_application.create", "integration_installation.create", "public_key.create":
		return []Object{{Kind: "credential", Value: cmp.Or(get(ev, "name"), get(ev, "fingerprint"), a.Action)}}
	}
	return nil
}

// gsuiteParams reads an activity's parameters, whether a list of
// {name, value} or a map.
func gsuiteParams(ev panther.Event) map[string]string {
	out := map[string]string{}
	if m, ok := ev["parameters"].(map[string]any); ok {
		for k, v := range m {
			out[k] = text(v)
		}
	}
	list, _ := lookup(map[string]any(ev), "events.0.parameters").([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		name := text(m["name"])
		v := cmp.Or(text(m["value"]), text(m["boolValue"]), text(m["intValue"]))
		if mv, ok := m["multiValue"].([]any); ok && v == "" && len(mv) > 0 {
			v = text(mv[0])
		}
		out[name] = v
	}
	return out
}

func readGSuite(ev panther.Event, a *Action) []Object {
	p := gsuiteParams(ev)
	for _, k := range []string{"visibility", "target_user", "doc_title", "ROLE_NAME", "USER_EMAIL", "login_type", "is_second_factor", "login_failure_type", "new_value"} {
		if v := p[k]; v != "" {
			a.Details[strings.ToLower(k)] = v
		}
	}
	a.Target = cmp.Or(p["doc_title"], p["USER_EMAIL"], p["ROLE_NAME"], p["GROUP_EMAIL"], p["APPLICATION_NAME"], p["app_name"])
	if tu := p["target_user"]; tu != "" {
		a.Target = strings.TrimSpace(a.Target + " to " + tu)
		if a.Details["new_value"] != "" {
			a.Target += " (" + a.Details["new_value"] + ")"
		}
	}
	a.Outcome = OutcomeSucceeded
	if a.Action == "login_failure" {
		a.Outcome, a.Reason = OutcomeFailed, p["login_failure_type"]
	}
	if p["is_second_factor"] == "false" && a.Action == "login_success" {
		a.MFA = "no"
	}
	if a.Action == "ASSIGN_ROLE" || a.Action == "GRANT_ADMIN_PRIVILEGE" {
		return []Object{{Kind: "admin grant", Value: cmp.Or(p["ROLE_NAME"], "admin") + " to " + p["USER_EMAIL"]}}
	}
	return nil
}

func readAzure(ev panther.Event, a *Action) []Object {
	code := cmp.Or(get(ev, "properties.status.errorCode"), get(ev, "resultSignature"))
	switch r := strings.ToLower(cmp.Or(get(ev, "resultType"), get(ev, "resulttype"), get(ev, "properties.result"))); {
	case code != "" && code != "0" && code != "None" && code != "Succeeded" && code != "OK" && code != "Started":
		a.Outcome, a.Reason = OutcomeFailed, code
	case r == "failure" || r == "failed":
		a.Outcome = OutcomeFailed
	default:
		a.Outcome = OutcomeSucceeded
	}
	if req := get(ev, "properties.authenticationRequirement"); req == "singleFactorAuthentication" {
		a.MFA = "no"
	} else if req == "multiFactorAuthentication" {
		a.MFA = "yes"
	}
	a.Details["risk"] = get(ev, "properties.riskLevelDuringSignIn")
	if strings.HasPrefix(a.Target, "/") {
		a.Target = lastSegment(a.Target)
	}
	return nil
}

func readM365(ev panther.Event, a *Action) []Object {
	switch strings.ToLower(get(ev, "ResultStatus")) {
	case "failed", "failure", "false":
		a.Outcome, a.Reason = OutcomeFailed, get(ev, "LogonError")
	case "success", "succeeded", "true", "partiallysucceeded":
		a.Outcome = OutcomeSucceeded
	}
	if tu := get(ev, "TargetUserOrGroupName"); tu != "" && a.Target != tu {
		a.Target = lastSegment(a.Target) + " to " + tu
		a.Details["target_user"] = tu
	}
	return nil
}

func readOnePasswordSignIn(ev panther.Event, a *Action) []Object {
	a.Action = "sign-in"
	switch c := get(ev, "category"); c {
	case "success":
		a.Outcome = OutcomeSucceeded
	case "":
	default:
		a.Outcome, a.Reason = OutcomeFailed, c
	}
	return nil
}

func readZoomOperation(ev panther.Event, a *Action) []Object {
	if c := get(ev, "category_type"); c != "" && a.Action != c {
		a.Action = c + " " + a.Action
	}
	return nil
}

func readSlack(ev panther.Event, a *Action) []Object {
	a.Outcome = OutcomeSucceeded
	if u := get(ev, "entity.user.email"); u != "" {
		a.Details["target_user"] = u
	}
	switch a.Action {
	case "role_change_to_admin", "role_change_to_owner":
		return []Object{{Kind: "admin grant", Value: strings.TrimPrefix(a.Action, "role_change_to_") + " to " + a.Target}}
	case "app_installed", "app_approved":
		return []Object{{Kind: "app", Value: a.Target}}
	}
	return nil
}

// maxTarget bounds a target read from free text (a URL).
const maxTarget = 80

func readALB(ev panther.Event, a *Action) []Object {
	a.Details["request"] = get(ev, "requestUrl") + " " + get(ev, "userAgent")
	if len(a.Target) > maxTarget {
		a.Target = a.Target[:maxTarget] + "…"
	}
	switch code := get(ev, "elbStatusCode"); {
	case code == "":
	case code >= "400":
		a.Outcome, a.Reason = OutcomeFailed, "HTTP "+code
	default:
		a.Outcome = OutcomeSucceeded
	}
	return nil
}

func readVPCFlow(ev panther.Event, a *Action) []Object {
	a.Action = "connect"
	a.Target = get(ev, "dstAddr")
	if port := get(ev, "dstPort"); port != "" {
		a.Target += " port " + port
	}
	a.Details["network"] = "true"
	switch get(ev, "action") {
	case "ACCEPT":
		a.Outcome = OutcomeSucceeded
	case "REJECT":
		a.Outcome, a.Reason = OutcomeFailed, "rejected"
	}
	return nil
}

// readResource reads a cloud resource's configuration, the event of a
// policy alert: nobody acted, the resource is in a state.
func readResource(ev panther.Event, a *Action) []Object {
	a.Details["resource"] = "true"
	a.Action = get(ev, "ResourceType")
	a.Target = cmp.Or(get(ev, "Name"), lastSegment(get(ev, "ResourceId")))
	a.Actor = ""
	if t, err := time.Parse(time.RFC3339, get(ev, "TimeCreated")); err == nil && a.Time.IsZero() {
		a.Time = t
	}
	grants := fmt.Sprint(ev["Grants"]) + fmt.Sprint(ev["Policy"])
	if strings.Contains(grants, "global/AllUsers") || strings.Contains(grants, "global/AuthenticatedUsers") ||
		strings.Contains(strings.ReplaceAll(grants, " ", ""), `"Principal":"*"`) {
		a.Details["public"] = "true"
		return []Object{{Kind: "bucket", Value: a.Target}}
	}
	return nil
}
