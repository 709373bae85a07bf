package investigate

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/panther-triage/panther-triage/triage"
)

// Verdict is the conclusion of an investigation: what the alert most likely
// is, how sure the rules are, and the findings that decided it.
type Verdict struct {
	Label string `json:"verdict"`
	// Confidence is the probability that the verdict's side is right: that
	// the alert is a true positive for malicious and suspicious, a false
	// positive for benign, and the likelier side for inconclusive (never
	// above the 0.60 that would have made it suspicious, or 0.75 benign).
	Confidence float64 `json:"confidence"`
	// Probability is the estimated probability that the alert is a true
	// positive.
	Probability float64          `json:"probability"`
	Reasons     []triage.Finding `json:"reasons"`
	// Against are the counted findings that pointed the other way and were
	// outweighed, heaviest first.
	Against []triage.Finding `json:"against,omitempty"`
}

// Default log-odds of a finding that names none, by weight.
var DefaultLogOdds = map[triage.Weight]float64{
	triage.WeightMalicious:  2.5,
	triage.WeightSuspicious: 1.0,
	triage.WeightBenign:     -1.5,
}

// Verdict thresholds on the probability of a true positive, and the
// log-odds from which one action alone is high-risk.
const (
	MaliciousAbove  = 0.90
	SuspiciousAbove = 0.60
	BenignBelow     = 0.25
	HighRisk        = 2.0
	// missingShrink is how much each step that could not complete shrinks
	// the evidence's log-odds toward even: the verdict is less sure.
	missingShrink = 0.85
)

// Prior is where the odds start for an alert of a detection before its own
// evidence is weighed.
type Prior struct {
	LogOdds float64 `json:"logOdds"`
	// Basis says in words where the prior comes from.
	Basis string `json:"basis,omitempty"`
}

// Dispositions count how analysts closed a detection's earlier alerts.
type Dispositions struct {
	Detection string `json:"detection,omitempty"`
	// Invalid were closed (CLOSED): judged false positives.
	Invalid int `json:"invalid"`
	// Resolved were handled (RESOLVED): a true or a false positive, as the
	// closing comment says.
	Resolved int `json:"resolved"`
	// TruePositive and FalsePositive are the resolved alerts whose closing
	// comment said which, when known.
	TruePositive  int `json:"truePositive"`
	FalsePositive int `json:"falsePositive"`
	// Open are still OPEN or TRIAGED.
	Open int `json:"open"`
}

// maxPrior bounds the prior: a detection's past never outweighs one
// high-risk action of this alert.
const maxPrior = 1.5

// priorPseudo is how many true and false positives a detection's history
// is assumed to start with, so that a few earlier alerts lean rather than
// decide.
const priorPseudo = 2

// Prior turns dispositions into starting log-odds: the odds of true to
// false positives among the decided earlier alerts, each side starting at
// priorPseudo, bounded by ±1.5. A resolved alert whose comment did not say counts half each way.
func (d Dispositions) Prior() Prior {
	unknown := d.Resolved - d.TruePositive - d.FalsePositive
	tp := float64(d.TruePositive) + 0.5*float64(max(0, unknown))
	fp := float64(d.Invalid+d.FalsePositive) + 0.5*float64(max(0, unknown))
	decided := d.Invalid + d.Resolved
	if decided == 0 {
		return Prior{}
	}
	lo := math.Max(-maxPrior, math.Min(maxPrior, math.Log((tp+priorPseudo)/(fp+priorPseudo))))
	expected, other := d.Invalid+d.FalsePositive, d.Resolved-d.FalsePositive
	basis := fmt.Sprintf("analysts closed %d of the last %d decided alerts of %s as expected", expected, decided, cmp.Or(d.Detection, "this detection"))
	if other > 0 {
		basis += fmt.Sprintf(", and resolved %d without saying so", other)
	}
	return Prior{LogOdds: lo, Basis: basis}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// logOdds is a finding's weight toward a true positive.
func logOdds(f triage.Finding) float64 {
	if f.LogOdds != 0 {
		return f.LogOdds
	}
	return DefaultLogOdds[f.Weight]
}

// Decide weighs findings into a verdict. It is a pure function of its input:
//
//  1. Each finding moves the log-odds of a true positive by its LogOdds
//     (or its weight's default: malicious +2.5, suspicious +1.0, benign
//     −1.5). Findings that establish the same Fact count once, at their
//     heaviest: IPinfo's Tor flag and Panther's Tor list are one fact.
//  2. The odds start at the detection's prior (see Dispositions.Prior).
//  3. Each step that could not complete shrinks the evidence by 15%.
//  4. With P the resulting probability of a true positive: P ≥ 0.90 is
//     malicious; P ≥ 0.60 suspicious; P ≤ 0.25 benign; between, or when
//     no finding weighs either way, inconclusive.
//  5. Never benign while a high-risk finding (log-odds ≥ 2) stands — that
//     is suspicious — or while evidence is missing — that is inconclusive.
//     A high-risk finding also lifts an inconclusive verdict to suspicious.
//
// The reasons are the counted findings that pointed the way of the verdict,
// heaviest first, then the missing evidence.
func Decide(findings []triage.Finding, prior Prior) Verdict {
	var counted, missing []triage.Finding
	for _, f := range findings {
		switch {
		case f.Weight == triage.WeightMissing:
			missing = append(missing, f)
		case logOdds(f) == 0:
		case f.Fact == "":
			counted = append(counted, f)
		default:
			i := slices.IndexFunc(counted, func(o triage.Finding) bool { return o.Fact == f.Fact })
			switch {
			case i < 0:
				counted = append(counted, f)
			case math.Abs(logOdds(f)) > math.Abs(logOdds(counted[i])):
				counted[i] = f
			}
		}
	}
	evidence, highRisk := 0.0, false
	for _, f := range counted {
		evidence += logOdds(f)
		highRisk = highRisk || logOdds(f) >= HighRisk
	}
	evidence *= math.Pow(missingShrink, float64(len(missing)))
	// Rules are never certain: P stays within [0.01, 0.99].
	p := math.Max(0.01, math.Min(0.99, sigmoid(prior.LogOdds+evidence)))

	v := Verdict{Probability: round2(p)}
	switch {
	case len(counted) == 0:
		v.Label = triage.VerdictInconclusive
	case p >= MaliciousAbove:
		v.Label = triage.VerdictMalicious
	case p >= SuspiciousAbove, highRisk:
		v.Label = triage.VerdictSuspicious
	case p <= BenignBelow && len(missing) == 0:
		v.Label = triage.VerdictBenign
	default:
		v.Label = triage.VerdictInconclusive
	}
	switch v.Label {
	case triage.VerdictMalicious, triage.VerdictSuspicious:
		v.Confidence = p
		v.Reasons = keep(counted, func(f triage.Finding) bool { return logOdds(f) > 0 })
		v.Against = keep(counted, func(f triage.Finding) bool { return logOdds(f) < 0 })
	case triage.VerdictBenign:
		v.Confidence = 1 - p
		v.Reasons = keep(counted, func(f triage.Finding) bool { return logOdds(f) < 0 })
		v.Against = keep(counted, func(f triage.Finding) bool { return logOdds(f) > 0 })
	default:
		v.Confidence = math.Max(p, 1-p)
		v.Reasons = slices.Clone(counted)
	}
	if prior.Basis != "" && math.Abs(prior.LogOdds) >= 0.5 && (prior.LogOdds < 0) == (v.Label == triage.VerdictBenign) {
		v.Reasons = append(v.Reasons, triage.Finding{Step: triage.StepHistory, Kind: "prior", Weight: weightOf(prior.LogOdds), LogOdds: prior.LogOdds,
			Title: "Detection's track record: " + prior.Basis})
	}
	sortByWeight(v.Reasons)
	sortByWeight(v.Against)
	v.Reasons = append(v.Reasons, missing...)
	v.Confidence = round2(v.Confidence)
	return v
}

func keep(fs []triage.Finding, ok func(triage.Finding) bool) []triage.Finding {
	var out []triage.Finding
	for _, f := range fs {
		if ok(f) {
			out = append(out, f)
		}
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// sortByWeight orders findings heaviest first (by absolute log-odds), then
// by step, kind and title.
func sortByWeight(fs []triage.Finding) {
	slices.SortStableFunc(fs, func(a, b triage.Finding) int {
		return cmp.Or(
			cmp.Compare(math.Abs(logOdds(b)), math.Abs(logOdds(a))),
			cmp.Compare(a.Step, b.Step),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Title, b.Title),
		)
	})
}

// SortFindings orders findings deterministically: by weight (strongest
// first), then step, kind and title.
func SortFindings(fs []triage.Finding) {
	slices.SortStableFunc(fs, func(a, b triage.Finding) int {
		return cmp.Or(
			cmp.Compare(weightRank(a.Weight), weightRank(b.Weight)),
			cmp.Compare(math.Abs(logOdds(b)), math.Abs(logOdds(a))),
			cmp.Compare(a.Step, b.Step),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Title, b.Title),
		)
	})
}

func weightRank(w triage.Weight) int {
	switch w {
	case triage.WeightMalicious:
		return 0
	case triage.WeightSuspicious:
		return 1
	case triage.WeightBenign:
		return 2
	case triage.WeightMissing:
		return 3
	}
	return 4
}
