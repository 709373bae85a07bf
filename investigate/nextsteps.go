package investigate

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// maxNextSteps and maxWhy bound what the comment lists.
const (
	maxNextSteps = 4
	maxWhy       = 5
)

// Brief fills what an analyst reads first: the story (what happened, in
// words), the next steps specific to the case, a tuning suggestion when
// the same entity has been closed as expected often enough, and why, the
// strongest findings. The comment and the report page both show them.
func Brief(r *Report, c *Case) {
	r.Story = storyLines(r)
	if c != nil {
		r.Tuning = SuggestTuning(c, r.Verdict)
	}
	r.Why = whyFindings(r.Verdict)
	r.NextSteps = nextSteps(r)
}

// storyLines are at most three lines of what happened: the digest's
// story, less the objects to act on when the next steps name them.
func storyLines(r *Report) []string {
	story := r.Digest.StoryIn(ActionWords)
	if len(story) > 0 {
		story = slices.DeleteFunc(slices.Clone(story), func(l string) bool { return strings.HasPrefix(l, "To act on: ") })
		network := ""
		if ip := firstOr(r.Digest.SourceIPs(), ""); ip != "" && len(story) > 0 {
			network = networkOf(r, ip)
			story[0] = withNetwork(story[0], ip, network)
		}
		// The local time of a data centre or an anonymising exit says
		// nothing about the person behind it.
		last := r.Digest.Actions[len(r.Digest.Actions)-1]
		if local := localTime(last); local != "" && !strings.Contains(network, "hosting provider") && !strings.Contains(network, " exit") && !strings.Contains(network, "proxy") {
			at := last.Time.UTC().Format("2006-01-02 15:04:05 UTC")
			for i, l := range story {
				if strings.Contains(l, at) {
					story[i] = strings.Replace(l, at, at+" ("+local+")", 1)
					break
				}
			}
		}
		return story
	}
	if r.Alert == nil {
		return nil
	}
	for _, f := range r.Findings {
		if f.Kind == "system_error" || f.Kind == "detection_missing" {
			return []string{f.Title + "."}
		}
	}
	return []string{fmt.Sprintf("%s alert %q; no events could be read.", r.Alert.Severity, r.Alert.Title)}
}

// whyFindings are the reasons of the verdict, each stated once, strongest
// first, then the strongest finding the verdict outweighed when there is
// room: at most maxWhy.
func whyFindings(v Verdict) []triage.Finding {
	var out []triage.Finding
	// A tried defence evasion shows intent however it ended: it leads
	// with its full weight, though the verdict counts it at half.
	reasons := slices.Clone(v.Reasons)
	strength := func(f triage.Finding) float64 {
		if f.Weight == triage.WeightMissing {
			return -1
		}
		if f.Kind == "defense_evasion" && strings.Contains(f.Title, "; the attempt failed") {
			return 2 * math.Abs(logOdds(f))
		}
		return math.Abs(logOdds(f))
	}
	slices.SortStableFunc(reasons, func(a, b triage.Finding) int { return cmp.Compare(strength(b), strength(a)) })
	add := func(f triage.Finding) {
		if len(out) < maxWhy && !slices.ContainsFunc(out, func(o triage.Finding) bool { return o.Title == f.Title }) {
			out = append(out, f)
		}
	}
	for _, f := range reasons {
		add(f)
	}
	if len(v.Against) > 0 && len(out) < maxWhy {
		f := v.Against[0]
		f.Title = "Outweighed: " + f.Title
		add(f)
	}
	return out
}

// nextSteps are two to four actions specific to the case.
func nextSteps(r *Report) []string {
	var steps []string
	add := func(s string) {
		if s != "" && len(steps) < maxNextSteps && !slices.Contains(steps, s) {
			steps = append(steps, s)
		}
	}
	d := r.Digest
	actor := firstOr(d.Actors(), "")
	ip := firstOr(d.SourceIPs(), "")
	switch r.Verdict.Label {
	case triage.VerdictMalicious, triage.VerdictSuspicious:
		kind := actorKindOf(r, actor)
		person := kind == actorUser || kind == actorService
		malicious := r.Verdict.Label == triage.VerdictMalicious
		contain, remove := objectSteps(d)
		// A malicious call's escalation blocks the address: the steps
		// before it do not say so again.
		blocks := malicious && ip != "" && isPublicIP(ip) && !cloudNetwork(r, ip)
		// What to do about the actor's own account: a disruptive step.
		var reset string
		if !allFailed(d) && person && (loggedIn(d) || malicious) {
			switch {
			case strings.HasPrefix(actor, "root"):
				reset = "Reset the root user's password and MFA device, and sign out its sessions"
			case kind == actorService:
				reset = fmt.Sprintf("Rotate the keys of %s and find who could use them", actor)
			case signedInWithoutMFA(d) && awsOnly(d):
				reset = fmt.Sprintf("Reset %s's password and sign out its sessions; it signed in without MFA, so enrol a factor or disable console access", actor)
			case signedInWithoutMFA(d):
				reset = fmt.Sprintf("Reset %s's password and revoke its sessions and refresh tokens; it signed in without MFA, so require a factor for it", actor)
			default:
				reset = fmt.Sprintf("Reset %s's sessions and MFA factors, and rotate its credentials", actor)
			}
		}
		// A suspicious call asks first: undoing a change on a hunch can
		// break a service. The confirmation comes before anything
		// disruptive, which then waits for its answer.
		var confirm string
		switch {
		case malicious || allFailed(d):
		case person:
			switch _, tried := lastWords(d); {
			case tried != "" && kind == actorService:
				confirm = fmt.Sprintf("Confirm with %s that it was meant to %s; escalate if not", askWhom(kind, actor), tried)
			case tried != "":
				confirm = fmt.Sprintf("Confirm with %s that they meant to %s; escalate if not", askWhom(kind, actor), tried)
			default:
				confirm = fmt.Sprintf("Confirm with %s that %s was intended; escalate if not", askWhom(kind, actor), lastAction(d))
			}
		case actor == "":
			confirm = "Find who made the change and whether it was approved; escalate if not"
		}
		if confirm != "" {
			// Closing an exposure (a public bucket or repository) breaks
			// nothing and stops the leak: it need not wait.
			exposed := slices.DeleteFunc(slices.Clone(contain), func(s string) bool { return !closesExposure(s) })
			contain = slices.DeleteFunc(contain, closesExposure)
			for _, s := range exposed {
				add(s)
			}
			add(confirm)
			disruptive := append(append(slices.Clone(contain), remove...), reset)
			for i, s := range slices.DeleteFunc(disruptive, func(s string) bool { return s == "" }) {
				if i == 0 {
					s = "If not confirmed: " + strings.ToLower(s[:1]) + s[1:]
				}
				add(s)
			}
		} else {
			// Contain first (keys, grants, sessions), then delete what the
			// attacker made, once what it did is known.
			for _, s := range contain {
				add(s)
			}
			add(reset)
			for _, s := range remove {
				add(s)
			}
		}
		// An exploit payload can act however the server answered (a JNDI
		// lookup fires when the string is logged): a status is no proof
		// that nothing succeeded.
		payload, cb := payloadCallback(d)
		if cb != "" {
			add(fmt.Sprintf("Check egress from your servers to %s, the callback in the payload: a connection means it fired, whatever HTTP status the request got", cb))
		}
		nothing := "Nothing succeeded: "
		if payload {
			nothing = ""
		}
		switch {
		case allFailed(d) && kind == actorAddress && blocks:
			add(lakeOrSearch(r, actor))
		case allFailed(d) && kind == actorAddress:
			add(capitalise(fmt.Sprintf("%sblock %s at the edge if the attempts go on", nothing, actor)))
			add(lakeOrSearch(r, actor))
		case allFailed(d) && kind == actorService:
			add(fmt.Sprintf("Nothing succeeded: find what ran as %s with failing calls (a broken job or stolen keys), and rotate its keys if it was not a job of yours", actor))
		case allFailed(d) && actor != "" && blocks:
			add(fmt.Sprintf("Nothing succeeded: check that %s still has MFA", actor))
		case allFailed(d) && actor != "":
			add(fmt.Sprintf("Nothing succeeded: check that %s still has MFA, and block %s if the attempts go on", actor, cmp.Or(ip, "the source")))
		}
		switch {
		case blocks:
			add(fmt.Sprintf("Escalate to incident response; block %s unless it is your own", ip))
		case malicious:
			add("Escalate to incident response")
		case kind == actorAddress && !allFailed(d):
			add(fmt.Sprintf("Check whether %s should reach %s; block it at the edge if not", actor, lastTarget(d)))
		}
		if len(steps) < 2 {
			add("Review what else " + cmp.Or(actor, "the actor") + " did in the same hour (full report, data lake)")
		}
	case triage.VerdictBenign:
		a, m, risky := highRiskAction(d)
		if risky {
			// Never filtered: checked before closing instead.
			add(highRiskCheck(r, a, m))
			add("Then close as expected: " + safeBecause(r))
		} else {
			add("Close as expected: " + safeBecause(r))
		}
		switch t := r.Tuning; {
		case risky:
		case t != nil:
			add(fmt.Sprintf("Tune %s so that this does not alert again; it would have suppressed %d earlier alert(s):", t.Detection, t.Suppressed))
		default:
			add("If it recurs, record the reason when closing, so that the precedent can suggest a filter")
		}
	default:
		kind := actorKindOf(r, actor)
		switch {
		case kind == actorAddress:
			add(fmt.Sprintf("Check whether %s should reach %s; block it at the edge if not", actor, lastTarget(d)))
		case kind == actorService:
			if did, _ := lastWords(d); did != "" {
				add(fmt.Sprintf("Ask %s whether one of its jobs %s,%s", askWhom(kind, actor), did, fromText(ip)))
			} else {
				add(fmt.Sprintf("Ask %s whether %s%s was one of its jobs", askWhom(kind, actor), lastAction(d), fromText(ip)))
			}
		case actor != "":
			if did, _ := lastWords(d); did != "" {
				add(fmt.Sprintf("Ask %s whether it was them who %s,%s", askWhom(kind, actor), did, fromText(ip)))
			} else {
				add(fmt.Sprintf("Ask %s whether %s%s was theirs", askWhom(kind, actor), lastAction(d), fromText(ip)))
			}
		}
		for _, f := range r.Verdict.Reasons {
			if f.Weight == triage.WeightMissing {
				add("Re-run once " + f.Step + " can complete: " + f.Title)
				break
			}
		}
		if r.Alert != nil && r.Alert.SystemError != nil {
			add("Fix the log source or integration named above, then check the gap for missed activity")
		}
		add(closeWithReason(r))
	}
	if len(steps) < 2 && r.Detection != nil && r.Detection.Runbook != "" {
		add("Follow the detection's runbook: " + r.Detection.Runbook)
	}
	if len(steps) < 2 && ip != "" {
		add(fmt.Sprintf("Find who owns %s and what else came from it (full report, data lake)", ip))
	}
	if len(steps) < 2 {
		add("Read the indicators, history and data lake results in the full report before closing")
	}
	return steps
}

// What kind of actor acted: the next steps that make sense differ (an
// address has no MFA; a service account has keys and an owner, not a
// password).
const (
	actorNone    = ""
	actorUser    = "user"
	actorService = "service account"
	actorAddress = "address"
)

// actorKindOf says what kind of actor acted: an address (network and web
// logs name no one else), a service account (a cloud workload identity, an
// assumed role, one the context file lists, or an AWS service), or a user.
func actorKindOf(r *Report, actor string) string {
	switch {
	case actor == "":
		return actorNone
	case isIP(actor):
		return actorAddress
	case strings.Contains(actor, "gserviceaccount.com") || strings.Contains(actor, "/") || strings.HasSuffix(actor, ".amazonaws.com"):
		return actorService
	}
	for _, f := range r.Findings {
		if f.Step == triage.StepEnrichment && strings.HasSuffix(f.Title, " is a known service account") && strings.EqualFold(strings.TrimSuffix(f.Title, " is a known service account"), actor) {
			return actorService
		}
	}
	return actorUser
}

// askWhom is who can say whether an action was intended: the user, or the
// owner of a service account.
func askWhom(kind, actor string) string {
	switch {
	case kind == actorService:
		return "the owner of " + actor
	case strings.HasPrefix(actor, "root"):
		return "whoever holds the credentials of " + actor
	}
	return actor
}

// safeBecause is why a benign call is safe to close, in one clause that
// the Why section does not repeat word for word.
func safeBecause(r *Report) string {
	kinds := map[string]bool{}
	for _, f := range r.Why {
		kinds[f.Kind] = true
	}
	actor := cmp.Or(firstOr(r.Digest.Actors(), ""), "the actor")
	switch {
	case r.Tuning != nil:
		return fmt.Sprintf("analysts closed %d earlier alerts of %s from the same address as expected, and nothing here departs from them", r.Tuning.Suppressed, actor)
	case kinds["precedent_closed_as_expected"]:
		return fmt.Sprintf("analysts closed earlier alerts of %s from the same place as expected, and nothing here departs from them", actor)
	case kinds["precedent_closed_same_actor"]:
		return fmt.Sprintf("analysts closed earlier alerts of %s as expected, and nothing here points to an attacker", actor)
	case kinds["baseline_usual_place"]:
		return fmt.Sprintf("%s works from this address routinely, and nothing points to an attacker", actor)
	case len(r.Why) > 0:
		return "every finding that weighs points to routine activity, none to an attacker"
	}
	return "nothing pointed to an attacker"
}

// objectRank orders objects by how urgently a responder undoes them:
// credentials first.
var objectRank = []string{"access key", "console password", "service account key", "token", "credential", "admin grant", "role grant", "policy", "group membership", "MFA factor", "bucket", "repository", "app", "user", "role"}

// objectSteps name what to undo for the objects the actions created or
// changed: contain are the steps that cut access (keys, grants, policies),
// credentials first, two to a line, at most two lines; remove deletes the
// accounts and roles made, after their activity is reviewed.
func objectSteps(d *triage.Digest) (contain, remove []string) {
	if d == nil {
		return nil, nil
	}
	objs := slices.Clone(d.Objects)
	rank := func(k string) int {
		if i := slices.Index(objectRank, k); i >= 0 {
			return i
		}
		return len(objectRank)
	}
	slices.SortStableFunc(objs, func(a, b triage.Object) int { return cmp.Compare(rank(a.Kind), rank(b.Kind)) })
	var acts, deletes []string
	for _, o := range objs {
		var s string
		switch o.Kind {
		case "access key":
			s = "deactivate access key " + o.Value
		case "user":
			deletes = append(deletes, "user "+o.Value)
			continue
		case "role":
			deletes = append(deletes, "role "+o.Value)
			continue
		case "console password":
			s = "remove the console password " + o.Value
		case "policy":
			s = "detach policy " + o.Value
		case "group membership":
			s = "remove " + o.Value
		case "bucket":
			s = "block public access to bucket " + o.Value
		case "role grant", "admin grant":
			s = "remove the grant of " + o.Value
		case "service account key":
			s = "disable service account key " + o.Value
		case "repository":
			s = "make repository " + o.Value + " private again"
		case "MFA factor":
			s = "remove MFA factor " + o.Value
		default:
			s = "revoke " + o.Kind + " " + o.Value
		}
		acts = append(acts, s)
	}
	for i := 0; i < len(acts) && len(contain) < 2; i += 2 {
		line := strings.Join(acts[i:min(i+2, len(acts))], "; ")
		if len(contain) == 1 && len(acts) > 4 {
			line += fmt.Sprintf("; and %d more (full report)", len(acts)-4)
		}
		contain = append(contain, strings.ToUpper(line[:1])+line[1:])
	}
	if len(deletes) > 0 {
		remove = append(remove, "Then delete "+strings.Join(deletes[:min(2, len(deletes))], " and ")+", once what it did is reviewed (data lake)")
	}
	return contain, remove
}

// loggedIn says whether an action of the digest is a sign-in that
// succeeded.
func loggedIn(d *triage.Digest) bool {
	if d == nil {
		return false
	}
	return slices.ContainsFunc(d.Actions, func(a triage.Action) bool {
		n := strings.ToLower(a.Action)
		return a.Outcome == triage.OutcomeSucceeded && (strings.Contains(n, "login") || strings.Contains(n, "session.start") || strings.Contains(n, "sign-in") || strings.Contains(n, "signin"))
	})
}

// lastAction names the last action and its target.
func lastAction(d *triage.Digest) string {
	if d == nil || len(d.Actions) == 0 {
		return "this activity"
	}
	a := d.Actions[len(d.Actions)-1]
	return strings.TrimSpace(a.Action + " " + a.Target)
}

// lastWords tells in words (see ActionWords) what to ask the actor about:
// the last action that is not a step of signing in, else the last action,
// with where it came from for a sign-in. Both are "" when it has no words.
func lastWords(d *triage.Digest) (did, tried string) {
	if d == nil || len(d.Actions) == 0 {
		return "", ""
	}
	// The last action that is not a sign-in step, else the last sign-in
	// that is not an MFA challenge, else the last.
	a := d.Actions[len(d.Actions)-1]
	rank := func(x triage.Action) int {
		switch {
		case !signInStep(x):
			return 2
		case !strings.Contains(strings.ToLower(x.Action), "mfa"):
			return 1
		}
		return 0
	}
	for i := len(d.Actions) - 1; i >= 0; i-- {
		if rank(d.Actions[i]) > rank(a) {
			a = d.Actions[i]
		}
	}
	did, tried = ActionWords(a)
	if signInStep(a) && did != "" && a.SourceIP != "" {
		if a.MFA == "no" {
			did += " without MFA"
		}
		return did, tried + " from " + a.SourceIP
	}
	return did, tried
}

// signInStep says whether an action is a sign-in or one of its steps (an
// MFA challenge).
func signInStep(a triage.Action) bool {
	n := strings.ToLower(a.Action)
	for _, k := range []string{"login", "session.start", "sign-in", "signin", "auth_via_mfa"} {
		if strings.Contains(n, k) {
			return true
		}
	}
	return false
}

// lastTarget names the last action's target, or its name.
func lastTarget(d *triage.Digest) string {
	if d == nil || len(d.Actions) == 0 {
		return "its target"
	}
	a := d.Actions[len(d.Actions)-1]
	return cmp.Or(a.Target, a.Action)
}

// allFailed says whether every action is known to have failed.
func allFailed(d *triage.Digest) bool {
	return d != nil && len(d.Actions) > 0 && !slices.ContainsFunc(d.Actions, func(a triage.Action) bool { return !a.Failed() })
}

// isIP says whether s is an IP address.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func fromText(ip string) string {
	if ip == "" {
		return ""
	}
	return " from " + ip
}

// signedInWithoutMFA reports whether a sign-in of the digest succeeded
// without MFA: resetting "its MFA factors" would then mean nothing.
func signedInWithoutMFA(d *triage.Digest) bool {
	if d == nil {
		return false
	}
	for _, a := range d.Actions {
		if a.MFA == "no" && !a.Failed() {
			return true
		}
	}
	return false
}

// cloudNetwork reports whether ip belongs to a large cloud provider's
// network (as the precedent's enrichment names it): blocking such an
// address blocks everyone's workloads there, not the attacker.
func cloudNetwork(r *Report, ip string) bool {
	if r.Precedent == nil {
		return false
	}
	org := strings.ToLower(r.Precedent.Entities.PlaceOf(ip).Org)
	for _, p := range []string{"amazon", "google", "microsoft", "cloudflare", "oracle", "digitalocean"} {
		if strings.Contains(org, p) {
			return true
		}
	}
	return false
}

// lakeOrSearch says what the data lake search for an indicator found, or
// asks for one when none ran: the analyst does not repeat a search the
// investigation made.
func lakeOrSearch(r *Report, ind string) string {
	for _, f := range r.Findings {
		if f.Step != triage.StepDatalake || f.Kind != "indicator_search" || !strings.HasPrefix(f.Title, ind+" ") {
			continue
		}
		if rest, ok := strings.CutPrefix(f.Title, ind+quietSuffix); ok {
			from, to, _ := strings.Cut(strings.TrimSuffix(rest, ")"), " to ")
			return fmt.Sprintf("The data lake holds nothing else from %s (searched %s to %s)", ind, shortTime(from), shortTime(to))
		}
		return "Data lake: " + f.Title
	}
	return fmt.Sprintf("Search the data lake for anything else from %s, and whether any of it got through", ind)
}

// shortTime writes an RFC 3339 time as "Mar 10 13:00 UTC", or leaves it.
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("Jan 2 15:04 UTC")
}

// payloadCallback finds an exploit payload in the digest's web requests:
// whether there is one, and the callback address it names, if any.
func payloadCallback(d *triage.Digest) (payload bool, cb string) {
	if d == nil {
		return false, ""
	}
	for _, a := range d.Actions {
		req := a.Detail("request")
		if exploitPayload(req) == "" {
			continue
		}
		payload = true
		if c := callback(req); c != "" && cb == "" {
			cb = c
		}
	}
	return payload, cb
}

// capitalise writes s with a capital first letter.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// highRiskCheck is what to check before closing a benign high-risk action
// (an MFA reset, an admin grant, a new key): a filter is never suggested
// for one, as an attacker's looks the same.
func highRiskCheck(r *Report, a triage.Action, m Meaning) string {
	did, _ := ActionWords(a)
	did = cmp.Or(did, strings.TrimSpace(a.Action+" "+a.Target))
	s := fmt.Sprintf("Check that a ticket covers it (%s)", did)
	n := strings.ToLower(a.Action)
	switch {
	case a.Target != "" && (strings.Contains(n, "factor") || strings.Contains(n, "mfa")):
		s += fmt.Sprintf(", and that the factor %s enrols next is theirs", a.Target)
	case a.Target != "" && m.Fact == "grant":
		s += fmt.Sprintf(", and that %s is meant to have it", a.Target)
	}
	if until := lakeQuietUntil(r, a.Target); a.Target != "" && until != "" {
		s += fmt.Sprintf("; the data lake holds no other event of %s up to %s", a.Target, until)
	}
	return s
}

// closesExposure says whether a step only closes public access: undoing
// it first breaks nothing and stops the exposure.
func closesExposure(step string) bool {
	l := strings.ToLower(step)
	return (strings.HasPrefix(l, "block public access to bucket ") || strings.HasPrefix(l, "make repository ")) && !strings.Contains(l, "; ")
}

// closeWithReason is the last step of an inconclusive call: the alerts
// of other detections that share its activity, named, then closing with
// the reason; a detection without a track record says so.
func closeWithReason(r *Report) string {
	var others []string
	if p := r.Precedent; p != nil {
		for _, a := range p.Alerts {
			if !a.SameDetection && (a.SameActor || a.SameIP || a.SharedEvents > 0) && !slices.Contains(others, a.DetectionID) {
				others = append(others, a.DetectionID)
			}
		}
	}
	if len(others) > 0 {
		return fmt.Sprintf("Read the alerts of %s that share its actor or address (full report), then close with the reason", strings.Join(others[:min(3, len(others))], ", "))
	}
	for _, f := range r.Findings {
		if f.Step == triage.StepHistory && f.Kind == "first_alert" {
			// The history reads a window, not the detection's age: it may
			// be new, or quiet.
			return "New or quiet detection: " + strings.ToLower(f.Title[:1]) + f.Title[1:] + ", so no earlier alerts to compare; close with the answer as the reason so that the next alert can use it"
		}
	}
	return "Close with the answer as the reason, so that the next alert can use it"
}

// networkOf says in a few words what network an address is on: the
// context file's name for it (an office, the VPN), else its owner, country
// and kind as IPinfo has them. It is "" when nothing is known.
func networkOf(r *Report, ip string) string {
	for _, f := range r.Findings {
		if rest, ok := strings.CutPrefix(f.Title, ip+" is in a known network: "); ok && f.Step == triage.StepEnrichment {
			name, _, _ := strings.Cut(rest, " (")
			return name
		}
	}
	if r.Precedent == nil {
		return ""
	}
	p := r.Precedent.Entities.PlaceOf(ip)
	if p.Org == "" {
		return ""
	}
	parts := []string{p.Org}
	if p.Country != "" {
		parts = append(parts, p.Country)
	}
	for _, f := range r.Findings {
		if f.Step != triage.StepEnrichment {
			continue
		}
		switch {
		case f.Kind == "ipinfo_asn" && p.ASN != "" && strings.Contains(f.Title, " on "+p.ASN+" "):
			if _, kind, ok := strings.Cut(f.Title, ", a "); ok {
				kind, _, _ = strings.Cut(kind, " network")
				switch kind {
				case "isp":
					parts = append(parts, "an ISP")
				case "hosting":
					parts = append(parts, "a hosting provider")
				case "business", "education", "government":
					parts = append(parts, "a "+kind+" network")
				}
			}
		case f.Kind == "ipinfo_privacy" && strings.HasPrefix(f.Title, ip+" "):
			_, flags, ok := strings.Cut(strings.TrimSuffix(f.Title, " (IPinfo)"), "is an anonymising service: ")
			for _, fl := range strings.Split(flags, ", ") {
				switch {
				case !ok:
				case fl == "tor":
					parts = append(parts, "a Tor exit node")
				case fl == "vpn":
					parts = append(parts, "a VPN exit")
				case fl == "proxy" || fl == "relay":
					parts = append(parts, "a "+fl)
				}
			}
		}
	}
	return strings.Join(slices.Compact(parts), ", ")
}

// withNetwork writes the network after the first mention of ip in a story
// line, in place of the country alone: "from 73.162.45.18 (Comcast Cable
// Communications, LLC, US, an ISP)".
func withNetwork(line, ip, network string) string {
	i := strings.Index(line, ip)
	if network == "" || i < 0 {
		return line
	}
	head, rest := line[:i+len(ip)], line[i+len(ip):]
	if strings.HasPrefix(rest, " (") {
		if j := strings.Index(rest, ")"); j >= 0 {
			rest = rest[j+1:]
		}
	}
	return head + " (" + network + ")" + rest
}

// quietSuffix follows an indicator in the title of a data lake search
// that found it in no other event.
const quietSuffix = " appears only in this alert's events ("

// lakeQuietUntil is the end of the data lake search that found ind in no
// other event ("Apr 9 10:00 UTC"), or "" when no such search ran.
func lakeQuietUntil(r *Report, ind string) string {
	for _, f := range r.Findings {
		if rest, ok := strings.CutPrefix(f.Title, ind+quietSuffix); ok && f.Step == triage.StepDatalake {
			_, to, _ := strings.Cut(strings.TrimSuffix(rest, ")"), " to ")
			return shortTime(to)
		}
	}
	return ""
}

// localTime is when an action happened where its address is, as IPinfo
// places it ("14:36 local time at the address, a Tuesday"), saying
// "off-hours" before 07:00, from 21:00, and at weekends. It is "" when
// the time zone is unknown.
func localTime(a triage.Action) string {
	tz := a.Detail("timezone")
	if tz == "" || a.Time.IsZero() || !isPublicIP(a.SourceIP) {
		return ""
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return ""
	}
	t := a.Time.In(loc)
	s := t.Format("15:04") + " local time at the address, a " + t.Weekday().String()
	if h, wd := t.Hour(), t.Weekday(); h < 7 || h >= 21 || wd == time.Saturday || wd == time.Sunday {
		s += ", off-hours"
	}
	return s
}

// awsOnly says whether every action is from an AWS log, where console
// access is what a password opens.
func awsOnly(d *triage.Digest) bool {
	if d == nil || len(d.Actions) == 0 {
		return false
	}
	for _, a := range d.Actions {
		if !strings.HasPrefix(a.LogType, "AWS.") {
			return false
		}
	}
	return true
}
