package investigate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// TuningMinClosed is how many earlier alerts of the detection, with the
// same actor from the same address, analysts must have judged false
// positives before a comment suggests a filter.
const TuningMinClosed = 3

// maxTuningValue bounds a value written into a filter: longer ones are not
// an identity worth filtering on.
const maxTuningValue = 200

// SuggestTuning proposes an exclusion for a benign alert whose actor,
// from the same address, analysts judged a false positive in at least
// TuningMinClosed earlier alerts of the detection, none judged a true
// positive. It returns nil otherwise.
func SuggestTuning(c *Case, v Verdict) *triage.Tuning {
	p := c.Precedent
	if v.Label != triage.VerdictBenign || p == nil || len(c.Events) == 0 {
		return nil
	}
	if _, _, risky := highRiskAction(c.Digest); risky {
		return nil // an attacker's MFA reset or admin grant looks the same
	}
	ev := c.Events[0]
	actorPath, actor := "", ""
	for _, a := range append(c.Digest.Actors(), p.Entities.Actors...) {
		if path := keyPathOf(ev, a); path != "" {
			actorPath, actor = path, a
			break
		}
	}
	ip := firstOr(c.Digest.SourceIPs(), firstOr(p.Entities.IPs, ""))
	ipPath := keyPathOf(ev, ip)
	if actorPath == "" || len(actor) > maxTuningValue || len(ip) > maxTuningValue {
		return nil
	}
	n := 0
	for _, a := range p.Alerts {
		if !a.SameDetection || !a.SameActor {
			continue
		}
		if ipPath != "" && !slices.Contains(a.Entities.IPs, ip) && (!a.ByTitle || !mentions(a.Title, ip)) {
			continue
		}
		switch a.Disposition {
		case triage.DispositionFalsePositive:
			n++
		case triage.DispositionTruePositive:
			return nil // the filter would hide a real attack
		}
	}
	if n < TuningMinClosed {
		return nil
	}
	t := &triage.Tuning{Detection: cmp.Or(detectionID(c.Alert), "the detection"), Suppressed: n,
		Fields: []triage.TuningField{{KeyPath: actorPath, Value: actor}}}
	if ipPath != "" {
		t.Fields = append(t.Fields, triage.TuningField{KeyPath: ipPath, Value: ip})
	}
	var words []string
	for _, f := range t.Fields {
		words = append(words, fmt.Sprintf("%s is %s", f.KeyPath, yamlString(f.Value)))
	}
	t.Condition = "skip events where " + strings.Join(words, " and ")
	if c.Alert.Type == "" || c.Alert.Type == "RULE" {
		t.YAML = inlineFilters(t.Fields)
	}
	return t
}

// inlineFilters writes the exclusion as a Panther InlineFilters entry.
// Inline filters are inclusion filters (an event must match them for the
// rule to run), so "not (A and B)" is written "A differs or B differs".
func inlineFilters(fields []triage.TuningField) string {
	var b strings.Builder
	b.WriteString("InlineFilters:\n  - Any:\n")
	for _, f := range fields {
		fmt.Fprintf(&b, "      - KeyPath: %s\n        Condition: DoesNotEqual\n        Value: %s\n", f.KeyPath, yamlString(f.Value))
	}
	return strings.TrimRight(b.String(), "\n")
}

// yamlString quotes a value for YAML: a JSON string is a valid YAML
// double-quoted scalar.
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// keyPathOf finds the event field whose value is v, preferring the
// shallowest, leaving out Panther's p_ fields and the alert context. It
// returns "" when no field holds v.
func keyPathOf(ev panther.Event, v string) string {
	if v == "" {
		return ""
	}
	var found []string
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		for k, x := range m {
			if prefix == "" && (strings.HasPrefix(k, "p_") || k == "alertContext") {
				continue
			}
			if strings.ContainsAny(k, ". ") {
				continue
			}
			switch y := x.(type) {
			case map[string]any:
				walk(y, prefix+k+".")
			case string:
				if y == v {
					found = append(found, prefix+k)
				}
			}
		}
	}
	walk(map[string]any(ev), "")
	slices.SortFunc(found, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.Count(a, "."), strings.Count(b, ".")), cmp.Compare(a, b))
	})
	return firstOr(found, "")
}
