package investigate

import (
	"strings"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

func TestEnrichmentFindings(t *testing.T) {
	evs := []panther.Event{
		{"p_row_id": "r1", "src": "185.220.101.4", "p_enrichment": map[string]any{
			"tor_exit_nodes":              map[string]any{"p_any_ip_addresses": map[string]any{"ip": "185.220.101.4"}},
			"ipinfo_privacy":              map[string]any{"src": map[string]any{"vpn": true, "proxy": false}},
			"ipinfo_privacy_hosting_only": map[string]any{"src": map[string]any{"hosting": true}},
			"ipinfo_location":             map[string]any{"src": map[string]any{"city": "Berlin", "country": "DE"}},
		}},
		{"p_row_id": "r2", "src": "8.8.8.8", "p_enrichment": map[string]any{
			"greynoise_riot":  map[string]any{"src": map[string]any{"ip": "8.8.8.8", "name": "Google Public DNS", "riot": true}},
			"greynoise_noise": map[string]any{"dst": map[string]any{"ip": "45.1.1.1", "classification": "malicious"}},
			"unknown_table":   map[string]any{"src": map[string]any{"x": 1}},
			"broken":          "not an object",
		}},
	}
	fs, err := Enrichment(nil).Run(t.Context(), &Case{Events: evs, Alert: &panther.Alert{}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]triage.Weight{
		// Tor is one fact, counted once (see TestDecide): suspicious alone.
		"tor_exit_nodes": triage.WeightSuspicious, "ipinfo_privacy": triage.WeightSuspicious, "ipinfo_location": triage.WeightInfo,
		"ipinfo_privacy_hosting_only": triage.WeightInfo, // cloud and CI addresses: context, not suspicion
		"greynoise_riot":              triage.WeightBenign, "greynoise_noise": triage.WeightMalicious,
	}
	got := map[string]triage.Weight{}
	for _, f := range fs {
		got[f.Kind] = f.Weight
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

func TestContextFile(t *testing.T) {
	lists, err := ParseLists([]byte(`
known_networks:
  - name: Acme VPN
    cidrs: [198.51.100.0/24, "2001:db8:10::/48"]
service_accounts: [svc-deploy@acme.io]
vip_users: [CFO@acme.io]
known_bad:
  cidrs: [45.155.205.7]
  domains: [evil.example]
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := &Case{Alert: &panther.Alert{}, Indicators: []Indicator{
		{Kind: KindIP, Value: "198.51.100.20", Class: IPReserved, RowIDs: []string{"r1"}},
		{Kind: KindIP, Value: "2001:db8:10::5"},
		{Kind: KindIP, Value: "45.155.205.7"},
		{Kind: KindIP, Value: "8.8.8.8"},
		{Kind: KindEmail, Value: "svc-deploy@acme.io"},
		{Kind: KindUsername, Value: "cfo@acme.io"},
		{Kind: KindDomain, Value: "cdn.evil.example"},
		{Kind: KindDomain, Value: "notevil.example"},
	}}
	fs, err := Enrichment(lists).Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, string(f.Weight)+": "+f.Title)
	}
	want := []string{
		"benign: 198.51.100.20 is in a known network: Acme VPN (198.51.100.0/24)",
		"benign: 2001:db8:10::5 is in a known network: Acme VPN (2001:db8:10::/48)",
		"malicious: 45.155.205.7 is on the team's known-bad list (context file: 45.155.205.7/32)",
		"benign: svc-deploy@acme.io is a known service account",
		"suspicious: cfo@acme.io is a VIP user: alerts on them deserve a closer look",
		"malicious: cdn.evil.example is on the known-bad domain list",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestContextFileErrorsNameTheLine(t *testing.T) {
	_, err := ParseLists([]byte("known_networks:\n  - name: x\n    cidrs: [10.0.0.0/8, not-a-cidr]\nknown_bad:\n  cidrs: [300.1.1.1]\n"), "ctx.yaml")
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "line 5") {
		t.Fatalf("err = %v; want both bad lines named", err)
	}
	_, err = ParseLists([]byte("known_networks: []\nallow_list: [1.2.3.4]\n"), "ctx.yaml")
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "allow_list") {
		t.Fatalf("unknown key: %v", err)
	}
}
