package main

import (
	"strings"
	"testing"
)

// TestReputationProvidersOnlyWithKeys: each provider is on exactly when
// its key is set, and the keys show neither in help nor in config errors.
func TestReputationProvidersOnlyWithKeys(t *testing.T) {
	keys := map[string]string{
		"PANTHER_TRIAGE_ABUSEIPDB_KEY":  "abuse-key-0f3c9a71",
		"PANTHER_TRIAGE_GREYNOISE_KEY":  "grey-key-6b2e8d45",
		"PANTHER_TRIAGE_VIRUSTOTAL_KEY": "vt-key-9d1a7c3e",
	}
	tests := []struct {
		set  []string
		want string
	}{
		{nil, ""},
		{[]string{"PANTHER_TRIAGE_VIRUSTOTAL_KEY"}, "virustotal"},
		{[]string{"PANTHER_TRIAGE_ABUSEIPDB_KEY", "PANTHER_TRIAGE_GREYNOISE_KEY"}, "abuseipdb,greynoise"},
		{[]string{"PANTHER_TRIAGE_ABUSEIPDB_KEY", "PANTHER_TRIAGE_GREYNOISE_KEY", "PANTHER_TRIAGE_VIRUSTOTAL_KEY"}, "abuseipdb,greynoise,virustotal"},
	}
	for _, tt := range tests {
		vars := map[string]string{}
		for _, k := range tt.set {
			vars[k] = keys[k]
		}
		cfg, err := parseFor("serve", nil, vars)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range cfg.providers(nil) {
			names = append(names, p.Name())
		}
		if got := strings.Join(names, ","); got != tt.want {
			t.Errorf("with %v: providers %q; want %q", tt.set, got, tt.want)
		}
	}

	vars := map[string]string{"PANTHER_TRIAGE_WORKERS": "many"}
	for k, v := range keys {
		vars[k] = v
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"serve", "-h"}, env(vars), nil, &out, &out); err == nil {
		t.Fatal("-h: no error")
	}
	_, err := parseFor("serve", nil, vars)
	if err == nil {
		t.Fatal("bad --workers accepted")
	}
	if err := run(t.Context(), []string{"help"}, env(vars), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(out.String(), k) || strings.Contains(err.Error(), k) {
			t.Errorf("a key shows in the usage, help or an error:\n%s\n%v", out.String(), err)
		}
	}
	if !strings.Contains(out.String(), "$PANTHER_TRIAGE_VIRUSTOTAL_KEY") {
		t.Errorf("usage lacks the VirusTotal key setting:\n%s", out.String())
	}
}
