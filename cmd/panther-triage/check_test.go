package main

import (
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// needed is what the default settings need, Read API Token Info aside.
var needed = []string{"AlertRead", "AlertModify", "RuleRead", "PolicyRead", "DataAnalyticsRead"}

func TestCheckCommand(t *testing.T) {
	tests := []struct {
		name    string
		perms   []string
		vars    map[string]string
		wantErr string // in the error; "" for none
		want    []string
		notWant []string
	}{
		{name: "all permissions", perms: panthersim.AllPermissions(),
			want: []string{"Read Alerts     ok", "Manage Alerts   ok", "View Policies   ok", "Query Data Lake ok", "listed by GET /api-tokens/self", "least privilege"}},
		{name: "exactly what it needs, listed", perms: append([]string{"OrganizationAPITokenRead"}, needed...),
			want: []string{"View Rules      ok (required", "View Policies   ok (required", "Query Data Lake ok (required"}, notWant: []string{"least privilege"}},
		{name: "cannot comment", perms: []string{"AlertRead", "RuleRead", "PolicyRead", "DataAnalyticsRead", "OrganizationAPITokenRead"},
			wantErr: "permission", want: []string{"Manage Alerts   missing (required"}},
		{name: "least privilege without token info is probed", perms: needed,
			want: []string{"Read API Token Info (HTTP 403)", "Read Alerts     ok", "View Policies   ok", "Query Data Lake ok",
				"Manage Alerts   not checked: no write is harmless enough to try (required"}},
		{name: "probed: policies missing", perms: []string{"AlertRead", "AlertModify", "RuleRead", "DataAnalyticsRead"},
			wantErr: "permission", want: []string{"View Policies   missing (required"}},
		{name: "probed: data lake missing", perms: []string{"AlertRead", "AlertModify", "RuleRead", "PolicyRead"},
			wantErr: "permission", want: []string{"Query Data Lake missing (required"}},
		{name: "features off make permissions optional", perms: []string{"AlertRead", "RuleRead"},
			vars: map[string]string{"PANTHER_TRIAGE_DRY_RUN": "true", "PANTHER_TRIAGE_TYPES": "RULE", "PANTHER_TRIAGE_DATALAKE_MAX_QUERIES": "0"},
			want: []string{"Manage Alerts   not checked: no write is harmless enough to try (optional", "View Policies   missing (optional", "Query Data Lake missing (optional"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startPanther(t, panthersim.WithPermissions(tt.perms))
			vars := testEnv(p, "")
			for k, v := range tt.vars {
				vars[k] = v
			}
			var out strings.Builder
			err := run(t.Context(), []string{"check"}, env(vars), nil, &out, io.Discard)
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("check: err = %v; want an error saying %q\n%s", err, tt.wantErr, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestCheckNamesTheCause: the verdict line says why the API could not be
// used, so that a good token is not recreated for a wrong URL.
func TestCheckNamesTheCause(t *testing.T) {
	p := startPanther(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/public/graphql"
	closed.Close()
	untrusted := httptest.NewTLSServer(p.Handler())
	t.Cleanup(untrusted.Close)
	tests := []struct {
		name, url, token string
		want             []string
	}{
		{"token rejected", p.GraphQLURL(), "not-the-token", []string{"token rejected (HTTP 401)", "few minutes"}},
		{"wrong path", p.URL() + "/graphql", "", []string{"wrong path", "/public/graphql"}},
		{"connection", closedURL, "", []string{"connection: cannot reach"}},
		{"DNS", "http://no-such-host.invalid/public/graphql", "", []string{"DNS: no-such-host.invalid does not resolve"}},
		{"TLS", untrusted.URL + "/public/graphql", "", []string{"TLS: the connection to"}},
		{"console URL", "http://acme.runpanther.invalid", "", []string{"looks like the Panther console", "DNS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := testEnv(p, "")
			vars["PANTHER_API_URL"] = tt.url
			if tt.token != "" {
				vars["PANTHER_API_TOKEN"] = tt.token
			}
			var out strings.Builder
			err := run(t.Context(), []string{"check"}, env(vars), nil, &out, io.Discard)
			if err == nil {
				t.Fatalf("check passed:\n%s", out.String())
			}
			text := err.Error() + "\n" + out.String()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("check lacks %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, "not-the-token") || strings.Contains(text, "did not accept the token") && tt.name != "token rejected" {
				t.Errorf("check blames or leaks the token:\n%s", text)
			}
		})
	}
}

// TestProbeAtStartWarns: serve warns, once, about a URL that answers 404,
// and starts anyway.
func TestProbeAtStartWarns(t *testing.T) {
	p := startPanther(t)
	var logs strings.Builder
	log := zerolog.New(&logs)
	url := p.URL() + "/graphql"
	probeAtStart(t.Context(), panther.New(url, p.RESTURL(), p.Token), url, log)
	for _, w := range []string{"wrong path", "panther-triage check"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("logs lack %q:\n%s", w, logs.String())
		}
	}
	logs.Reset()
	probeAtStart(t.Context(), panther.New(p.GraphQLURL(), "", p.Token), p.GraphQLURL(), log)
	if logs.Len() != 0 {
		t.Errorf("warned about a good URL:\n%s", logs.String())
	}
}
