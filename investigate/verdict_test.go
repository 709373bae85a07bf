package investigate

import "testing"

func TestDecide(t *testing.T) {
	f := func(w Weight, title string) Finding { return Finding{Step: "s", Kind: "k", Title: title, Severity: w} }
	tests := []struct {
		name       string
		findings   []Finding
		verdict    string
		confidence float64
		reasons    int
	}{
		{"nothing", nil, VerdictInconclusive, 0.30, 0},
		{"only context", []Finding{f(WeightInfo, "a")}, VerdictInconclusive, 0.30, 0},
		{"one malicious", []Finding{f(WeightMalicious, "tor")}, VerdictMalicious, 0.75, 1},
		{"malicious beats benign", []Finding{f(WeightMalicious, "tor"), f(WeightBenign, "vpn"), f(WeightBenign, "svc")}, VerdictMalicious, 0.75, 1},
		{"malicious and suspicious", []Finding{f(WeightMalicious, "tor"), f(WeightSuspicious, "new actor")}, VerdictMalicious, 0.80, 2},
		{"malicious capped", []Finding{f(WeightMalicious, "1"), f(WeightMalicious, "2"), f(WeightMalicious, "3"), f(WeightMalicious, "4"), f(WeightMalicious, "5"), f(WeightMalicious, "6")}, VerdictMalicious, 0.95, 6},
		{"suspicious", []Finding{f(WeightSuspicious, "a"), f(WeightSuspicious, "b"), f(WeightBenign, "c")}, VerdictSuspicious, 0.55, 2},
		{"benign", []Finding{f(WeightBenign, "vpn"), f(WeightBenign, "svc")}, VerdictBenign, 0.60, 2},
		{"tie", []Finding{f(WeightBenign, "vpn"), f(WeightSuspicious, "new")}, VerdictInconclusive, 0.30, 2},
		{"benign but evidence missing", []Finding{f(WeightBenign, "vpn"), f(WeightMissing, "datalake failed")}, VerdictInconclusive, 0.20, 2},
		{"suspicious with evidence missing", []Finding{f(WeightSuspicious, "new"), f(WeightMissing, "datalake failed")}, VerdictSuspicious, 0.45, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.findings)
			if got.Verdict != tt.verdict || got.Confidence != tt.confidence || len(got.Reasons) != tt.reasons {
				t.Fatalf("Decide = %s %.2f with %d reasons; want %s %.2f with %d", got.Verdict, got.Confidence, len(got.Reasons), tt.verdict, tt.confidence, tt.reasons)
			}
		})
	}
}

func TestDecideIsDeterministic(t *testing.T) {
	a := []Finding{{Step: "b", Title: "x", Severity: WeightSuspicious}, {Step: "a", Title: "y", Severity: WeightSuspicious}}
	b := []Finding{a[1], a[0]}
	ra, rb := Decide(a), Decide(b)
	if ra.Reasons[0].Step != "a" || rb.Reasons[0].Step != "a" {
		t.Fatalf("reasons not sorted: %+v / %+v", ra.Reasons, rb.Reasons)
	}
	if a[0].Step != "b" {
		t.Fatal("Decide reordered its input")
	}
}
