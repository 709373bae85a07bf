package investigate

import (
	"cmp"
	"math"
	"slices"
)

// Verdicts.
const (
	VerdictMalicious    = "malicious"
	VerdictSuspicious   = "suspicious"
	VerdictBenign       = "benign"
	VerdictInconclusive = "inconclusive"
)

// Verdict is the conclusion of an investigation: what the alert most likely
// is, how sure the rules are, and the findings that decided it.
type Verdict struct {
	Verdict    string    `json:"verdict"`
	Confidence float64   `json:"confidence"`
	Reasons    []Finding `json:"reasons"`
}

// Decide weighs findings into a verdict. It is a pure function of its input:
//
//	malicious findings            → malicious, 0.75 + 0.05 per further one (≤ 0.95)
//	more suspicious than benign   → suspicious, 0.55 + 0.05 per margin (≤ 0.85)
//	more benign than suspicious   → benign, same scale; inconclusive instead
//	                                when any evidence is missing
//	otherwise                     → inconclusive, 0.30
//
// Missing evidence (a step that failed) takes 0.10 off any confidence, so a
// verdict reached without all the evidence says so. The reasons are the
// findings that pointed the way of the verdict, in deterministic order.
func Decide(findings []Finding) Verdict {
	var mal, sus, ben, missing []Finding
	for _, f := range findings {
		switch f.Severity {
		case WeightMalicious:
			mal = append(mal, f)
		case WeightSuspicious:
			sus = append(sus, f)
		case WeightBenign:
			ben = append(ben, f)
		case WeightMissing:
			missing = append(missing, f)
		}
	}
	var v Verdict
	switch {
	case len(mal) > 0:
		v = Verdict{VerdictMalicious, 0.75 + 0.05*float64(len(mal)-1+len(sus)), append(mal, sus...)}
		v.Confidence = math.Min(v.Confidence, 0.95)
	case len(sus) > len(ben):
		v = Verdict{VerdictSuspicious, math.Min(0.55+0.05*float64(len(sus)-len(ben)-1), 0.85), sus}
	case len(ben) > len(sus) && len(missing) == 0:
		v = Verdict{VerdictBenign, math.Min(0.55+0.05*float64(len(ben)-len(sus)-1), 0.85), ben}
	default:
		v = Verdict{VerdictInconclusive, 0.30, append(append(sus, ben...), missing...)}
	}
	if len(missing) > 0 {
		v.Confidence -= 0.10
		if v.Verdict != VerdictInconclusive {
			v.Reasons = append(v.Reasons, missing...)
		}
	}
	v.Confidence = math.Round(v.Confidence*100) / 100
	v.Reasons = slices.Clone(v.Reasons)
	SortFindings(v.Reasons)
	return v
}

// SortFindings orders findings deterministically: by weight (strongest
// first), then step, kind and title.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(weightRank(a.Severity), weightRank(b.Severity)),
			cmp.Compare(a.Step, b.Step),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Title, b.Title),
		)
	})
}

func weightRank(w Weight) int {
	switch w {
	case WeightMalicious:
		return 0
	case WeightSuspicious:
		return 1
	case WeightBenign:
		return 2
	case WeightMissing:
		return 3
	}
	return 4
}
