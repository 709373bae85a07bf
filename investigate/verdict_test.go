package investigate

import (
	"testing"

	"github.com/panther-triage/panther-triage/triage"
)

func TestDecide(t *testing.T) {
	f := func(w triage.Weight, title string) triage.Finding {
		return triage.Finding{Step: "s", Kind: "k", Title: title, Weight: w}
	}
	lo := func(x float64, title string) triage.Finding {
		return triage.Finding{Step: "s", Kind: "k", Title: title, Weight: weightOf(x), LogOdds: x}
	}
	fact := func(x float64, fact, title string) triage.Finding {
		return triage.Finding{Step: "s", Kind: "k", Title: title, Weight: weightOf(x), LogOdds: x, Fact: fact}
	}
	fpHistory := Dispositions{Invalid: 4}.Prior()
	tpHistory := Dispositions{Resolved: 4, TruePositive: 4}.Prior()
	tests := []struct {
		name       string
		findings   []triage.Finding
		prior      Prior
		verdict    string
		confidence float64
		reasons    int
	}{
		{"nothing", nil, Prior{}, triage.VerdictInconclusive, 0.50, 0},
		{"only context", []triage.Finding{f(triage.WeightInfo, "a")}, Prior{}, triage.VerdictInconclusive, 0.50, 0},
		{"no evidence, noisy detection: still inconclusive", nil, fpHistory, triage.VerdictInconclusive, 0.75, 0},
		{"one malicious", []triage.Finding{f(triage.WeightMalicious, "greynoise")}, Prior{}, triage.VerdictMalicious, 0.92, 1},
		{"two high-risk actions", []triage.Finding{lo(2.5, "DeleteTrail"), lo(3.0, "owner to gmail")}, Prior{}, triage.VerdictMalicious, 0.99, 2},
		{"one Tor flag from two sources counts once", []triage.Finding{fact(1.8, "tor 1.2.3.4", "ipinfo"), fact(1.8, "tor 1.2.3.4", "panther")}, Prior{}, triage.VerdictSuspicious, 0.86, 1},
		{"suspicious", []triage.Finding{f(triage.WeightSuspicious, "a"), f(triage.WeightSuspicious, "b"), f(triage.WeightBenign, "c")}, Prior{}, triage.VerdictSuspicious, 0.62, 2},
		{"benign", []triage.Finding{f(triage.WeightBenign, "vpn"), f(triage.WeightBenign, "svc")}, Prior{}, triage.VerdictBenign, 0.95, 2},
		{"balanced", []triage.Finding{f(triage.WeightBenign, "vpn"), lo(1.5, "new")}, Prior{}, triage.VerdictInconclusive, 0.50, 2},
		{"benign but evidence missing", []triage.Finding{f(triage.WeightBenign, "vpn"), f(triage.WeightMissing, "datalake failed")}, Prior{}, triage.VerdictInconclusive, 0.78, 2},
		{"suspicious with evidence missing", []triage.Finding{lo(1.2, "new"), f(triage.WeightMissing, "datalake failed")}, Prior{}, triage.VerdictSuspicious, 0.73, 2},
		{"never benign while a high-risk action stands", []triage.Finding{lo(2.2, "public bucket"), f(triage.WeightBenign, "known network"), f(triage.WeightBenign, "svc"), f(triage.WeightBenign, "riot")}, Prior{}, triage.VerdictSuspicious, 0.09, 1},
		{"false-positive history and a benign sign: benign", []triage.Finding{f(triage.WeightBenign, "known network")}, fpHistory, triage.VerdictBenign, 0.93, 2},
		{"false-positive history is not cancelled by a weak related alert", []triage.Finding{f(triage.WeightBenign, "same actor, place, action"), lo(0.4, "related alert")}, fpHistory, triage.VerdictBenign, 0.90, 2},
		{"false-positive history does not outweigh a brute force that worked", []triage.Finding{lo(2.5, "brute force then success")}, fpHistory, triage.VerdictSuspicious, 0.80, 1},
		{"true-positive history lifts a weak sign", []triage.Finding{lo(0.5, "no MFA")}, tpHistory, triage.VerdictSuspicious, 0.83, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.findings, tt.prior)
			if got.Label != tt.verdict || got.Confidence != tt.confidence || len(got.Reasons) != tt.reasons {
				t.Fatalf("Decide = %s %.2f (P %.2f) with %d reasons; want %s %.2f with %d", got.Label, got.Confidence, got.Probability, len(got.Reasons), tt.verdict, tt.confidence, tt.reasons)
			}
		})
	}
}

func TestDecideSaysWhatItOutweighed(t *testing.T) {
	v := Decide([]triage.Finding{{Kind: "known_network", Weight: triage.WeightBenign}, {Kind: "no_mfa", Weight: triage.WeightSuspicious, LogOdds: 0.5}}, Dispositions{Invalid: 4}.Prior())
	if v.Label != triage.VerdictBenign || len(v.Against) != 1 || v.Against[0].Kind != "no_mfa" {
		t.Fatalf("verdict %+v", v)
	}
}

func TestDecideIsDeterministic(t *testing.T) {
	a := []triage.Finding{{Step: "b", Title: "x", Weight: triage.WeightSuspicious}, {Step: "a", Title: "y", Weight: triage.WeightSuspicious}}
	b := []triage.Finding{a[1], a[0]}
	ra, rb := Decide(a, Prior{}), Decide(b, Prior{})
	if ra.Reasons[0].Step != "a" || rb.Reasons[0].Step != "a" {
		t.Fatalf("reasons not sorted: %+v / %+v", ra.Reasons, rb.Reasons)
	}
	if a[0].Step != "b" {
		t.Fatal("Decide reordered its input")
	}
}

func TestPrior(t *testing.T) {
	if p := (Dispositions{}).Prior(); p.LogOdds != 0 || p.Basis != "" {
		t.Fatalf("no history: %+v", p)
	}
	if p := (Dispositions{Invalid: 1}).Prior(); p.LogOdds >= 0 || p.LogOdds < -1 {
		t.Fatalf("one false positive should lean, not decide: %+v", p)
	}
	if p := (Dispositions{Invalid: 50}).Prior(); p.LogOdds != -maxPrior {
		t.Fatalf("prior not bounded: %+v", p)
	}
	if p := (Dispositions{Resolved: 6}).Prior(); p.LogOdds != 0 {
		t.Fatalf("resolved without a word on why says nothing either way: %+v", p)
	}
}
