package investigate

import (
	"testing"

	"github.com/panther-triage/panther-triage/panther"
)

func TestEnrichmentFindings(t *testing.T) {
	evs := []panther.Event{
		{"p_row_id": "r1", "src": "185.220.101.4", "p_enrichment": map[string]any{
			"tor_exit_nodes":  map[string]any{"p_any_ip_addresses": map[string]any{"ip": "185.220.101.4"}},
			"ipinfo_privacy":  map[string]any{"src": map[string]any{"vpn": true, "proxy": false}},
			"ipinfo_location": map[string]any{"src": map[string]any{"city": "Berlin", "country": "DE"}},
		}},
		{"p_row_id": "r2", "src": "8.8.8.8", "p_enrichment": map[string]any{
			"greynoise_riot":  map[string]any{"src": map[string]any{"ip": "8.8.8.8", "name": "Google Public DNS", "riot": true}},
			"greynoise_noise": map[string]any{"dst": map[string]any{"ip": "45.1.1.1", "classification": "malicious"}},
			"unknown_table":   map[string]any{"src": map[string]any{"x": 1}},
			"broken":          "not an object",
		}},
	}
	fs, err := Enrichment().Run(t.Context(), &Case{Events: evs, Alert: &panther.Alert{}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Weight{
		"tor_exit_nodes": WeightMalicious, "ipinfo_privacy": WeightSuspicious, "ipinfo_location": WeightInfo,
		"greynoise_riot": WeightBenign, "greynoise_noise": WeightMalicious,
	}
	got := map[string]Weight{}
	for _, f := range fs {
		got[f.Kind] = f.Severity
		if len(f.Evidence) == 0 {
			t.Errorf("%s: no evidence", f.Title)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("findings %+v; want kinds %v", fs, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: weight %q; want %q", k, got[k], w)
		}
	}
}
