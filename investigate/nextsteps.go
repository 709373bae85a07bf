package investigate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
	story := r.Digest.Story()
	if len(story) > 0 {
		return slices.DeleteFunc(slices.Clone(story), func(l string) bool { return strings.HasPrefix(l, "To act on: ") })
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
// first, at most maxWhy.
func whyFindings(v Verdict) []Finding {
	var out []Finding
	for _, f := range v.Reasons {
		if len(out) == maxWhy {
			break
		}
		if slices.ContainsFunc(out, func(o Finding) bool { return o.Title == f.Title }) {
			continue
		}
		out = append(out, f)
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
	switch r.Verdict.Verdict {
	case VerdictMalicious, VerdictSuspicious:
		for _, s := range objectSteps(d) {
			add(s)
		}
		if loggedIn(d) && actor != "" {
			if strings.HasPrefix(actor, "root") {
				add("Reset the root user's password and MFA device, and sign out its sessions")
			} else {
				add(fmt.Sprintf("Reset %s's sessions and MFA factors, and rotate its credentials", actor))
			}
		}
		if r.Verdict.Verdict == VerdictMalicious {
			what := "Escalate to incident response"
			if ip != "" && isPublicIP(ip) {
				what += fmt.Sprintf(" and block %s", ip)
			}
			add(what)
		} else if actor != "" {
			add(fmt.Sprintf("Confirm with %s (or its owner) that %s was intended; escalate if not", actor, lastAction(d)))
		}
		if len(steps) < 2 {
			add("Review what else " + cmp.Or(actor, "the actor") + " did in the same hour (full report, data lake)")
		}
	case VerdictBenign:
		add("Close as expected: " + safeBecause(r.Why))
		if t := r.Tuning; t != nil {
			add(fmt.Sprintf("Tune %s so that this does not alert again; it would have suppressed %d earlier alert(s):", t.Detection, t.Suppressed))
		} else {
			add("If it recurs, record the reason when closing, so that the precedent can suggest a filter")
		}
	default:
		if actor != "" {
			add(fmt.Sprintf("Ask %s (or its owner) whether %s%s was theirs", actor, lastAction(d), fromText(ip)))
		}
		for _, f := range r.Verdict.Reasons {
			if f.Severity == WeightMissing {
				add("Re-run once " + f.Step + " can complete: " + f.Title)
				break
			}
		}
		if r.Alert != nil && r.Alert.SystemError != nil {
			add("Fix the log source or integration named above, then check the gap for missed activity")
		}
		add("Decide from the full report; close with the reason so that the next alert can use it")
	}
	if len(steps) < 2 && r.Detection != nil && r.Detection.Runbook != "" {
		add("Follow the detection's runbook: " + r.Detection.Runbook)
	}
	return steps
}

// safeBecause is why a benign call is safe to close, in one clause.
func safeBecause(why []Finding) string {
	if len(why) == 0 {
		return "nothing pointed to an attacker"
	}
	return why[0].Title
}

// objectSteps name what to undo for the objects the actions created or
// changed.
func objectSteps(d *Digest) []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, o := range d.Objects {
		var s string
		switch o.Kind {
		case "access key":
			s = "Deactivate access key " + o.Value
		case "user":
			s = "Delete user " + o.Value + " if nobody asked for it"
		case "console password":
			s = "Remove the console password " + o.Value
		case "role":
			s = "Delete role " + o.Value
		case "policy":
			s = "Detach policy " + o.Value
		case "group membership":
			s = "Remove " + o.Value
		case "bucket":
			s = "Block public access to bucket " + o.Value
		case "role grant", "admin grant":
			s = "Remove the grant of " + o.Value
		case "service account key":
			s = "Delete service account key " + o.Value
		case "repository":
			s = "Make repository " + o.Value + " private again"
		case "MFA factor":
			s = "Remove MFA factor " + o.Value
		default:
			s = "Revoke " + o.Kind + " " + o.Value
		}
		out = append(out, s)
	}
	if len(out) > 2 {
		out = []string{strings.Join(out[:2], "; ") + fmt.Sprintf("; and %d more (see the full report)", len(out)-2)}
	}
	return out
}

// loggedIn says whether an action of the digest is a sign-in that
// succeeded.
func loggedIn(d *Digest) bool {
	if d == nil {
		return false
	}
	return slices.ContainsFunc(d.Actions, func(a Action) bool {
		n := strings.ToLower(a.Action)
		return a.Outcome == OutcomeSucceeded && (strings.Contains(n, "login") || strings.Contains(n, "session.start") || strings.Contains(n, "sign-in") || strings.Contains(n, "signin"))
	})
}

// lastAction names the last action and its target.
func lastAction(d *Digest) string {
	if d == nil || len(d.Actions) == 0 {
		return "this activity"
	}
	a := d.Actions[len(d.Actions)-1]
	return strings.TrimSpace(a.Action + " " + a.Target)
}

func fromText(ip string) string {
	if ip == "" {
		return ""
	}
	return " from " + ip
}
