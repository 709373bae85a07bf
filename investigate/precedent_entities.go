package investigate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// entityFields are the fields that name each entity in the log types
// panther-triage knows, in order of preference; Panther's p_any_* fields
// are the fallback for any other type. A path step ending in [] fans out
// over an array.
var entityFields = struct {
	actors, ips, accounts, targets, actions, asn, org, country []string
}{
	actors: []string{
		"userIdentity.sessionContext.sessionIssuer.arn", // AWS.CloudTrail: the role, not its session
		"userIdentity.arn",              // AWS.CloudTrail: users and root
		"actor.id", "actor.alternateId", // Okta.SystemLog
		"protoPayload.authenticationInfo.principalEmail", // GCP.AuditLog
		"actor",                                  // GitHub.Audit
		"actor.email",                            // GSuite.Reports
		"properties.userPrincipalName", "UserId", // Azure sign-in, Microsoft 365
		"actor.user.email", // Slack.AuditLogs
		"user.email",       // OnePassword
		"operator",         // Zoom
		"UserName",         // Crowdstrike
	},
	ips: []string{
		"sourceIPAddress", "client.ipAddress", "protoPayload.requestMetadata.callerIp",
		"actor_ip", "ipAddress", "properties.ipAddress", "ClientIP", "context.ip_address",
		"client.ip_address", "ip_address",
	},
	accounts: []string{"recipientAccountId", "userIdentity.accountId", "resource.labels.project_id", "org", "context.location.domain"},
	targets: []string{
		"target[].alternateId", "requestParameters.userName", "requestParameters.roleName",
		"requestParameters.bucketName", "requestParameters.groupName",
		"protoPayload.serviceData.policyDelta.bindingDeltas[].member", "protoPayload.resourceName",
		"repo", "user", "entity.user.email", "entity.name", // Slack names the user acted on in entity.user
	},
	actions: []string{"eventName", "eventType", "protoPayload.methodName", "action", "events[].name", "operationName", "Operation", "action_type"},
	asn:     []string{"securityContext.asNumber"},
	org:     []string{"securityContext.asOrg"},
	country: []string{"client.geographicalContext.country"},
}

// maxEntities bounds each list of Entities.
const maxEntities = 10

// EntitiesOf reads who acted, on what and from where in events.
func EntitiesOf(events []panther.Event) triage.Entities {
	var e triage.Entities
	add := func(list *[]string, v string) {
		if v != "" && len(*list) < maxEntities && !slices.ContainsFunc(*list, func(o string) bool { return strings.EqualFold(o, v) }) {
			*list = append(*list, v)
		}
	}
	for _, ev := range events {
		actors := firstValues(ev, entityFields.actors)
		if len(actors) == 0 {
			for _, f := range []string{"p_any_actor_ids", "p_any_usernames", "p_any_aws_arns", "p_any_emails"} {
				if actors = stringsAt(ev, f); len(actors) > 0 {
					break
				}
			}
		}
		for _, v := range actors {
			add(&e.Actors, v)
		}
		// Okta names the actor by ID and by login: keep both.
		for _, v := range stringsAt(ev, "actor.alternateId") {
			add(&e.Actors, v)
		}
		ips := firstValues(ev, entityFields.ips)
		if len(ips) == 0 {
			ips = stringsAt(ev, "p_any_ip_addresses")
		}
		for _, v := range ips {
			if a, err := netip.ParseAddr(v); err == nil && !a.IsLoopback() && !a.IsUnspecified() {
				add(&e.IPs, v)
				addPlace(&e, placeOf(ev, v))
			}
		}
		accounts := firstValues(ev, entityFields.accounts)
		if len(accounts) == 0 {
			accounts = stringsAt(ev, "p_any_aws_account_ids")
		}
		for _, v := range accounts {
			add(&e.Accounts, v)
		}
		for _, v := range firstValues(ev, entityFields.targets) {
			add(&e.Targets, v)
		}
		for _, v := range firstValues(ev, entityFields.actions) {
			add(&e.Actions, v)
		}
	}
	return e
}

// addPlace keeps the first place known for each IP, completing it.
func addPlace(e *triage.Entities, p triage.Place) {
	if p.ASN == "" && p.Country == "" {
		return
	}
	i := slices.IndexFunc(e.Places, func(o triage.Place) bool { return o.IP == p.IP })
	if i < 0 {
		if len(e.Places) < maxEntities {
			e.Places = append(e.Places, p)
		}
		return
	}
	o := &e.Places[i]
	if o.ASN == "" {
		o.ASN, o.Org = p.ASN, p.Org
	}
	if o.Country == "" {
		o.Country = p.Country
	}
}

// placeOf reads where ip is from one event: Panther's IPinfo enrichment on
// any field holding ip, then the log's own fields (Okta's security context).
func placeOf(ev panther.Event, ip string) triage.Place {
	p := triage.Place{IP: ip}
	enr, _ := ev["p_enrichment"].(map[string]any)
	for table, v := range enr {
		fields, _ := v.(map[string]any)
		for field, r := range fields {
			row, _ := r.(map[string]any)
			if row == nil || indicatorOf(table, field, row, ev) != ip {
				continue
			}
			switch {
			case strings.Contains(table, "ipinfo_asn"):
				p.ASN, _ = row["asn"].(string)
				p.Org, _ = row["name"].(string)
			case strings.Contains(table, "ipinfo_location"):
				p.Country, _ = row["country"].(string)
			}
		}
	}
	if p.ASN == "" {
		if v := scalarsAt(ev, "securityContext.asNumber"); len(v) > 0 {
			p.ASN = "AS" + strings.TrimPrefix(v[0], "AS")
			if o := scalarsAt(ev, "securityContext.asOrg"); len(o) > 0 {
				p.Org = o[0]
			}
		}
	}
	if p.Country == "" {
		if v := scalarsAt(ev, "client.geographicalContext.country"); len(v) > 0 {
			p.Country = v[0]
		}
	}
	return p
}

// firstValues returns the values at the first of paths that has any.
func firstValues(ev panther.Event, paths []string) []string {
	for _, p := range paths {
		if v := stringsAt(ev, p); len(v) > 0 {
			return v
		}
	}
	return nil
}

// stringsAt returns the non-empty strings at path ("a.b", "a[].b").
func stringsAt(ev panther.Event, path string) []string {
	var out []string
	for _, v := range valuesAt(map[string]any(ev), strings.Split(path, ".")) {
		switch v := v.(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" && s != "null" {
				out = append(out, s)
			}
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok && strings.TrimSpace(s) != "" {
					out = append(out, strings.TrimSpace(s))
				}
			}
		}
	}
	return out
}

// scalarsAt is stringsAt that also reads numbers.
func scalarsAt(ev panther.Event, path string) []string {
	var out []string
	for _, v := range valuesAt(map[string]any(ev), strings.Split(path, ".")) {
		switch v := v.(type) {
		case string:
			if v != "" {
				out = append(out, v)
			}
		case float64:
			out = append(out, fmt.Sprintf("%.0f", v))
		}
	}
	return out
}

// valuesAt walks a JSON value along path; a step ending in [] fans out
// over an array.
func valuesAt(v any, path []string) []any {
	if len(path) == 0 {
		return []any{v}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	step := path[0]
	if name, ok := strings.CutSuffix(step, "[]"); ok {
		arr, _ := m[name].([]any)
		var out []any
		for _, x := range arr {
			out = append(out, valuesAt(x, path[1:])...)
		}
		return out
	}
	next, ok := m[step]
	if !ok || next == nil {
		return nil
	}
	return valuesAt(next, path[1:])
}
