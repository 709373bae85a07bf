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
	"github.com/panther-triage/panther-triage/triage"
)

// NewDigest reads events into a digest.
func NewDigest(events []panther.Event) *triage.Digest {
	d := &triage.Digest{}
	for _, ev := range events {
		a, objs := readAction(ev)
		d.Actions = append(d.Actions, a)
		d.Objects = append(d.Objects, objs...)
	}
	slices.SortStableFunc(d.Actions, func(x, y triage.Action) int { return x.Time.Compare(y.Time) })
	slices.SortStableFunc(d.Objects, func(x, y triage.Object) int { return x.Time.Compare(y.Time) })
	d.Objects = slices.CompactFunc(d.Objects, func(x, y triage.Object) bool { return x.Kind == y.Kind && x.Value == y.Value })
	return d
}

// fieldsOf says where a log type keeps an action's parts. Each list holds
// paths into the event (dots between keys, numbers index arrays); the
// first non-empty value wins. read, when set, fills what paths cannot:
// outcomes, composite targets, details and objects.
type fieldsOf struct {
	// logType is a log type, or a prefix ending in "." for a family.
	logType                                   string
	actor, action, target, ip, agent, country []string
	read                                      func(ev panther.Event, a *triage.Action) []triage.Object
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
func readAction(ev panther.Event) (triage.Action, []triage.Object) {
	lt, _ := ev["p_log_type"].(string)
	f := fieldsFor(lt)
	a := triage.Action{
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
	var objs []triage.Object
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
	if tz := ipinfoLocation(ev, "timezone"); tz != "" {
		if a.Details == nil {
			a.Details = map[string]string{}
		}
		a.Details["timezone"] = tz
	}
	for i := range objs {
		objs[i].Action, objs[i].Time, objs[i].RowID = a.Action, a.Time, a.RowID
	}
	return a, objs
}

// ipinfoCountry is the country IPinfo gave the event's source address.
func ipinfoCountry(ev panther.Event) string { return ipinfoLocation(ev, "country") }

// ipinfoLocation is a field (country, timezone) of the location IPinfo
// gave the event's source address.
func ipinfoLocation(ev panther.Event, field string) string {
	enr, _ := ev["p_enrichment"].(map[string]any)
	loc, _ := enr["ipinfo_location"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(loc)) {
		row, _ := loc[k].(map[string]any)
		if c := text(row[field]); c != "" {
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

func readCloudTrail(ev panther.Event, a *triage.Action) []triage.Object {
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
		a.Outcome, a.Reason = triage.OutcomeFailed, code
	} else {
		a.Outcome = triage.OutcomeSucceeded
	}
	switch get(ev, "responseElements.ConsoleLogin") {
	case "Failure":
		a.Outcome, a.Reason = triage.OutcomeFailed, get(ev, "errorMessage")
	case "Success":
		a.Outcome = triage.OutcomeSucceeded
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
	if g := p("groupName"); g != "" && p("userName") != "" {
		a.Details["group"] = g
	}

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
	var objs []triage.Object
	switch a.Action {
	case "CreateAccessKey":
		objs = append(objs, triage.Object{Kind: "access key", Value: cmp.Or(get(ev, "responseElements.accessKey.accessKeyId"), "for "+cmp.Or(principal, a.Actor))})
	case "CreateUser":
		objs = append(objs, triage.Object{Kind: "user", Value: principal})
	case "CreateLoginProfile", "UpdateLoginProfile":
		objs = append(objs, triage.Object{Kind: "console password", Value: "of " + cmp.Or(principal, a.Actor)})
	case "CreateRole":
		objs = append(objs, triage.Object{Kind: "role", Value: principal})
	case "AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy":
		objs = append(objs, triage.Object{Kind: "policy", Value: a.Target})
	case "AddUserToGroup":
		objs = append(objs, triage.Object{Kind: "group membership", Value: p("userName") + " in " + p("groupName")})
	case "PutBucketAcl", "PutBucketPolicy", "DeleteBucketPolicy", "DeletePublicAccessBlock", "PutPublicAccessBlock", "DeleteBucketPublicAccessBlock":
		if b := p("bucketName"); b != "" {
			objs = append(objs, triage.Object{Kind: "bucket", Value: b})
		}
	}
	if a.Failed() {
		return nil
	}
	return slices.DeleteFunc(objs, func(o triage.Object) bool { return o.Value == "" })
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

func readOkta(ev panther.Event, a *triage.Action) []triage.Object {
	switch r := get(ev, "outcome.result"); r {
	case "SUCCESS", "ALLOW":
		a.Outcome = triage.OutcomeSucceeded
	case "FAILURE", "DENY":
		a.Outcome, a.Reason = triage.OutcomeFailed, cmp.Or(get(ev, "outcome.reason"), r)
	case "CHALLENGE", "UNKNOWN", "SKIPPED":
		a.Reason = r
	}
	a.Details["actor_type"] = get(ev, "actor.type")
	a.Details["privilege"] = get(ev, "debugContext.debugData.privilegeGranted")
	if get(ev, "authenticationContext.authenticationStep") == "0" && a.Action == "user.session.start" && get(ev, "debugContext.debugData.factor") == "" {
		a.Details["factor"] = ""
	}
	var objs []triage.Object
	switch a.Action {
	case "user.lifecycle.create":
		objs = append(objs, triage.Object{Kind: "user", Value: a.Target})
	case "system.api_token.create":
		objs = append(objs, triage.Object{Kind: "token", Value: cmp.Or(a.Target, "API token")})
	case "user.mfa.factor.activate":
		objs = append(objs, triage.Object{Kind: "MFA factor", Value: cmp.Or(get(ev, "debugContext.debugData.factor"), "new") + " of " + a.Actor})
	case "user.account.privilege.grant":
		objs = append(objs, triage.Object{Kind: "admin grant", Value: cmp.Or(a.Details["privilege"], "privilege") + " to " + a.Target})
	}
	if a.Failed() {
		return nil
	}
	return objs
}

func readGCP(ev panther.Event, a *triage.Action) []triage.Object {
	if code := get(ev, "protoPayload.status.code"); code != "" && code != "0" {
		a.Outcome, a.Reason = triage.OutcomeFailed, cmp.Or(get(ev, "protoPayload.status.message"), "code "+code)
	} else {
		a.Outcome = triage.OutcomeSucceeded
	}
	a.Action = lastSegment(strings.ReplaceAll(a.Action, ".", "/"))
	var objs []triage.Object
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
		objs = append(objs, triage.Object{Kind: "role grant", Value: g})
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
		objs = append(objs, triage.Object{Kind: "service account key", Value: a.Target})
	}
	if a.Failed() {
		return nil
	}
	return objs
}

func readGitHub(ev panther.Event, a *triage.Action) []triage.Object {
	a.Outcome = triage.OutcomeSucceeded
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
			return []triage.Object{{Kind: "repository", Value: get(ev, "repo")}}
		}
	case "personal_access_token.access_granted", "oauth_application.create", "integration_installation.create", "public_key.create":
		return []triage.Object{{Kind: "credential", Value: cmp.Or(get(ev, "name"), get(ev, "fingerprint"), a.Action)}}
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

func readGSuite(ev panther.Event, a *triage.Action) []triage.Object {
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
	a.Outcome = triage.OutcomeSucceeded
	if a.Action == "login_failure" {
		a.Outcome, a.Reason = triage.OutcomeFailed, p["login_failure_type"]
	}
	if p["is_second_factor"] == "false" && a.Action == "login_success" {
		a.MFA = "no"
	}
	if a.Action == "ASSIGN_ROLE" || a.Action == "GRANT_ADMIN_PRIVILEGE" {
		return []triage.Object{{Kind: "admin grant", Value: cmp.Or(p["ROLE_NAME"], "admin") + " to " + p["USER_EMAIL"]}}
	}
	return nil
}

func readAzure(ev panther.Event, a *triage.Action) []triage.Object {
	code := cmp.Or(get(ev, "properties.status.errorCode"), get(ev, "resultSignature"))
	switch r := strings.ToLower(cmp.Or(get(ev, "resultType"), get(ev, "resulttype"), get(ev, "properties.result"))); {
	case code != "" && code != "0" && code != "None" && code != "Succeeded" && code != "OK" && code != "Started":
		a.Outcome, a.Reason = triage.OutcomeFailed, code
	case r == "failure" || r == "failed":
		a.Outcome = triage.OutcomeFailed
	default:
		a.Outcome = triage.OutcomeSucceeded
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

func readM365(ev panther.Event, a *triage.Action) []triage.Object {
	switch strings.ToLower(get(ev, "ResultStatus")) {
	case "failed", "failure", "false":
		a.Outcome, a.Reason = triage.OutcomeFailed, get(ev, "LogonError")
	case "success", "succeeded", "true", "partiallysucceeded":
		a.Outcome = triage.OutcomeSucceeded
	}
	if tu := get(ev, "TargetUserOrGroupName"); tu != "" && a.Target != tu {
		a.Target = lastSegment(a.Target) + " to " + tu
		a.Details["target_user"] = tu
	}
	return nil
}

func readOnePasswordSignIn(ev panther.Event, a *triage.Action) []triage.Object {
	a.Action = "sign-in"
	switch c := get(ev, "category"); c {
	case "success":
		a.Outcome = triage.OutcomeSucceeded
	case "":
	default:
		a.Outcome, a.Reason = triage.OutcomeFailed, c
	}
	return nil
}

func readZoomOperation(ev panther.Event, a *triage.Action) []triage.Object {
	if c := get(ev, "category_type"); c != "" && a.Action != c {
		a.Action = c + " " + a.Action
	}
	return nil
}

func readSlack(ev panther.Event, a *triage.Action) []triage.Object {
	a.Outcome = triage.OutcomeSucceeded
	if u := get(ev, "entity.user.email"); u != "" {
		a.Details["target_user"] = u
	}
	switch a.Action {
	case "role_change_to_admin", "role_change_to_owner":
		return []triage.Object{{Kind: "admin grant", Value: strings.TrimPrefix(a.Action, "role_change_to_") + " to " + a.Target}}
	case "app_installed", "app_approved":
		return []triage.Object{{Kind: "app", Value: a.Target}}
	}
	return nil
}

// maxTarget bounds a target read from free text (a URL).
const maxTarget = 80

func readALB(ev panther.Event, a *triage.Action) []triage.Object {
	a.Details["request"] = get(ev, "requestUrl") + " " + get(ev, "userAgent")
	if len(a.Target) > maxTarget {
		a.Target = a.Target[:maxTarget] + "…"
	}
	switch code := get(ev, "elbStatusCode"); {
	case code == "":
	case code >= "400":
		a.Outcome, a.Reason = triage.OutcomeFailed, "HTTP "+code
	default:
		a.Outcome = triage.OutcomeSucceeded
	}
	return nil
}

func readVPCFlow(ev panther.Event, a *triage.Action) []triage.Object {
	a.Action = "connect"
	a.Target = get(ev, "dstAddr")
	if port := get(ev, "dstPort"); port != "" {
		a.Target += " port " + port
	}
	a.Details["network"] = "true"
	switch get(ev, "action") {
	case "ACCEPT":
		a.Outcome = triage.OutcomeSucceeded
	case "REJECT":
		a.Outcome, a.Reason = triage.OutcomeFailed, "rejected"
	}
	return nil
}

// readResource reads a cloud resource's configuration, the event of a
// policy alert: nobody acted, the resource is in a state.
func readResource(ev panther.Event, a *triage.Action) []triage.Object {
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
		return []triage.Object{{Kind: "bucket", Value: a.Target}}
	}
	return nil
}
