package triage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
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
	parts, more, _ := d.steps(func(g group) (string, bool) { return g.phrase(), false })
	if more > 0 {
		parts = append(parts, fmt.Sprintf("… %d more", more))
	}
	return strings.Join(parts, " → ")
}

// steps tells the first maxDigestSteps groups of actions with tell, which
// also says whether it told a group in words; more counts the groups left
// out. When more than one actor acted, each is named where it changes:
// before words, or as "actor: " before a log's names.
func (d *Digest) steps(tell func(group) (string, bool)) (parts []string, more int, inWords bool) {
	groups := d.groups()
	multi := len(d.Actors()) > 1
	prevActor := ""
	for i, g := range groups {
		if i == maxDigestSteps {
			return parts, len(groups) - i, inWords
		}
		s, ok := tell(g)
		inWords = inWords || ok
		if multi && g.actor != prevActor && g.actor != "" {
			if ok {
				s = g.actor + " " + s
			} else {
				s = g.actor + ": " + s
			}
		}
		prevActor = g.actor
		parts = append(parts, s)
	}
	return parts, 0, inWords
}

// Actors lists who acted, most actions first.
func (d *Digest) Actors() []string { return d.ranked(func(a Action) string { return a.Actor }) }

// SourceIPs lists where the actions came from, most actions first.
func (d *Digest) SourceIPs() []string { return d.ranked(func(a Action) string { return a.SourceIP }) }

// Countries lists the countries of the source IPs, most actions first.
func (d *Digest) Countries() []string { return d.ranked(func(a Action) string { return a.Country }) }

// Story tells what happened in at most three lines of words: who did what
// to what and from where; how it ended; and what to act on. It is empty
// when there were no events. The actions are named as the logs name them;
// StoryIn tells them in words.
func (d *Digest) Story() []string { return d.StoryIn(nil) }

// StoryIn is Story with the actions told in words where words knows them:
// did is what a successful action did, in the past tense and naming its
// target ("created IAM user backup-svc"); tried what a failed one set out
// to do ("delete trail main"); both "" for an action it does not know. The
// log's own name for an action follows its words in parentheses, once:
// "p.novak from 146.70.117.38: signed in to the AWS console without MFA
// after 3 failed attempts (ConsoleLogin: Failed authentication), then
// created IAM user backup-svc (CreateUser) and attached …". What a sign-in
// was followed by is told after it, in order.
func (d *Digest) StoryIn(words func(Action) (did, tried string)) []string {
	if d == nil || len(d.Actions) == 0 {
		return nil
	}
	if !slices.ContainsFunc(d.Actions, func(a Action) bool { return a.Detail("resource") != "true" }) {
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
	told, inWords := d.told(words)
	lines := []string{who + ": " + told + "."}

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
	failed, web := 0, 0
	for _, a := range d.Actions {
		if a.Failed() {
			failed++
		}
		if a.Detail("request") != "" {
			web++
		}
	}
	// A web request's status says how the server answered, not what the
	// request did: a payload can act whatever the answer.
	allWeb := web == len(d.Actions)
	end := fmt.Sprintf("It ended with %s", last.Action)
	if last.Target != "" {
		end += " " + last.Target
	}
	switch {
	case last.Outcome == OutcomeFailed && allWeb:
		end += " answered " + cmp.Or(last.Reason, "with an error")
	case last.Outcome == OutcomeSucceeded:
		end += " succeeding"
	case last.Outcome == OutcomeFailed:
		end += " failing"
		if last.Reason != "" {
			end += " (" + last.Reason + ")"
		}
	}
	end += " at " + at
	if inWords {
		// The first line named the last action already.
		end = "The last action was at " + at
		if last.Failed() {
			end += " and failed"
		}
	}
	switch {
	case failed == 0:
		end += "; no action failed"
	case failed == len(d.Actions) && allWeb:
		end += "; the server answered every request with an error status"
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

// told writes the actions for the story's first line: in words, joined as
// a sentence, when words knows any of them (inWords), else as Sequence.
func (d *Digest) told(words func(Action) (did, tried string)) (line string, inWords bool) {
	if words == nil {
		return d.Sequence(), false
	}
	shown := map[string]bool{}
	parts, more, inWords := d.steps(func(g group) (string, bool) {
		if s, ok := g.told(words, shown); ok {
			return s, true
		}
		return g.phrase(), false
	})
	if !inWords {
		return d.Sequence(), false
	}
	if more > 0 {
		parts = append(parts, fmt.Sprintf("%d more", more))
	}
	// "A, then B, C and D": what came first, then what followed it.
	switch len(parts) {
	case 1:
		return parts[0], true
	case 2:
		return parts[0] + ", then " + parts[1], true
	}
	n := len(parts)
	return parts[0] + ", then " + strings.Join(parts[1:n-1], ", ") + " and " + parts[n-1], true
}

// told writes a group in words: "signed in to Okta without MFA after 6
// failed attempts (user.session.start: INVALID_CREDENTIALS)", "tried to
// delete trail main (DeleteTrail: AccessDenied)". The log's name for the
// action is given once per line (shown). It is false when words does not
// know the action or its outcomes are too mixed to say in words.
func (g group) told(words func(Action) (did, tried string), shown map[string]bool) (string, bool) {
	// The words of the first action that succeeded (its details name what
	// it created), else of the first.
	a := g.actions[0]
	for _, x := range g.actions {
		if !x.Failed() {
			a = x
			break
		}
	}
	did, tried := words(a)
	if did == "" || tried == "" {
		return "", false
	}
	type run struct {
		failed bool
		reason string
		n      int
		noMFA  bool
	}
	var runs []run
	for _, x := range g.actions {
		if n := len(runs); n > 0 && runs[n-1].failed == x.Failed() {
			runs[n-1].n++
			runs[n-1].noMFA = runs[n-1].noMFA || x.MFA == "no"
			continue
		}
		runs = append(runs, run{failed: x.Failed(), reason: x.Reason, n: 1, noMFA: x.MFA == "no"})
	}
	paren := func(reason string) string {
		var p []string
		if !shown[g.action] {
			p = append(p, g.action)
			shown[g.action] = true
		}
		if reason != "" {
			p = append(p, reason)
		}
		if len(p) == 0 {
			return ""
		}
		return " (" + strings.Join(p, ": ") + ")"
	}
	times := func(n int) string {
		if n == 1 {
			return ""
		}
		return fmt.Sprintf(" %d times", n)
	}
	mfa := func(r run) string {
		if r.noMFA {
			return " without MFA"
		}
		return ""
	}
	switch {
	case len(runs) == 1 && runs[0].failed:
		return "tried to " + tried + times(runs[0].n) + paren(runs[0].reason), true
	case len(runs) == 1:
		return did + times(runs[0].n) + mfa(runs[0]) + paren(""), true
	case len(runs) == 2 && runs[0].failed && runs[1].n == 1:
		attempts := "1 failed attempt"
		if runs[0].n > 1 {
			attempts = fmt.Sprintf("%d failed attempts", runs[0].n)
		}
		return did + mfa(runs[1]) + " after " + attempts + paren(runs[0].reason), true
	}
	return "", false
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
