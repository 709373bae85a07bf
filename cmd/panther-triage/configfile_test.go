package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseFor parses the settings of a command line of cmd.
func parseFor(cmd string, args []string, vars map[string]string) (Config, error) {
	p, err := parseCommandLine(append([]string{cmd}, args...), env(vars), io.Discard)
	return p.cfg, err
}

// loadConfig parses a command line the way serve does and validates it.
func loadConfig(args []string, vars map[string]string) (Config, error) {
	cfg, err := parseFor("serve", args, vars)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate("serve")
}

// TestConfigFiles reads each file in testdata/config. The "# want:" lines
// at its top say what must come out: "ok", or one line per problem, each
// naming the file, the line and the key.
func TestConfigFiles(t *testing.T) {
	dir := filepath.Join("testdata", "config")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The required settings, so that each file shows only its own problems.
	required := map[string]string{
		"PANTHER_API_URL":               "https://api.example.runpanther.net/public/graphql",
		"PANTHER_API_TOKEN":             "env-token",
		"PANTHER_TRIAGE_WEBHOOK_SECRET": "env-secret",
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		t.Run(strings.TrimSuffix(e.Name(), ".yaml"), func(t *testing.T) {
			path := filepath.Join(dir, e.Name())
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want = append(want, w)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s has no '# want:' line", path)
			}

			_, err = loadConfig([]string{"--config", path}, required)
			if slices.Equal(want, []string{"ok"}) {
				if err != nil {
					t.Fatalf("valid file rejected:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want errors:\n%s", strings.Join(want, "\n"))
			}
			got := strings.Split(err.Error(), "\n")
			for _, w := range want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("no error line contains %q", w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d error lines; want one per problem (%d)", len(got), len(want))
			}
			if t.Failed() {
				t.Logf("errors:\n%v", err)
			}
		})
	}
}

func TestConfigFileValues(t *testing.T) {
	cfg, err := loadConfig([]string{"--config", filepath.Join("testdata", "config", "valid.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"panther-url", cfg.PantherURL, "https://api.acme.runpanther.net/public/graphql"},
		{"panther-token", cfg.PantherToken, "file-token"},
		{"webhook-secret", cfg.WebhookSecret, "file-secret"},
		{"severities", cfg.Severities, []string{"HIGH", "CRITICAL"}},
		{"statuses", cfg.Statuses, []string{"OPEN", "TRIAGED"}},
		{"types", cfg.Types, []string{"RULE", "SCHEDULED_RULE"}},
		{"detection-regex", cfg.DetectionRegex, `^(?!AWS\.CloudTrail\.).*`},
		{"settle", cfg.Settle, 45 * time.Second},
		{"max-events", cfg.MaxEvents, 500},
		{"dedup-minutes", cfg.dedupWindow(), 30 * time.Minute},
		{"dry-run", cfg.DryRun, true},
		{"comment-format", cfg.CommentFormat, "HTML"},
		{"console-url (empty: default)", cfg.ConsoleURL, ""},
		{"addr (not in the file: default)", cfg.Addr, ":8080"},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s = %#v; want %#v", c.name, c.got, c.want)
		}
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// A flag wins over the environment, which wins over the file, which wins
// over the default.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "triage.yaml")
	if err := os.WriteFile(file, []byte(`
addr: ":7000"
settle: 10s
max-events: 50
severities: [HIGH]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"PANTHER_TRIAGE_CONFIG":     file,
		"PANTHER_TRIAGE_SETTLE":     "20s",
		"PANTHER_TRIAGE_MAX_EVENTS": "60",
	}
	cfg, err := parseFor("serve", []string{"--max-events", "70"}, vars)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConfigFile != file || cfg.Addr != ":7000" || !slices.Equal(cfg.Severities, []string{"HIGH"}) {
		t.Errorf("from the file (named by PANTHER_TRIAGE_CONFIG): config %q, addr %q, severities %v", cfg.ConfigFile, cfg.Addr, cfg.Severities)
	}
	if cfg.Settle != 20*time.Second {
		t.Errorf("settle = %v; want the environment's 20s over the file's 10s", cfg.Settle)
	}
	if cfg.MaxEvents != 70 {
		t.Errorf("max-events = %d; want the flag's 70 over the environment's 60 and the file's 50", cfg.MaxEvents)
	}
	if cfg.dedupWindow() != 15*time.Minute {
		t.Errorf("dedup window = %v; want the default 15m", cfg.dedupWindow())
	}

	// A flag names another file than the environment.
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte("addr: \":7001\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = parseFor("serve", []string{"--config", other}, vars)
	if err != nil || cfg.Addr != ":7001" {
		t.Errorf("--config over PANTHER_TRIAGE_CONFIG: addr %q, %v; want :7001", cfg.Addr, err)
	}
}

func TestConfigFileMissing(t *testing.T) {
	_, err := parseFor("serve", []string{"--config", "testdata/config/no-such.yaml"}, nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "no-such.yaml") {
		t.Fatalf("err = %v; want a missing-file error naming it", err)
	}
}

// A secret in the environment never shows up in a flag's printed default.
func TestHelpShowsNoSecretFromTheEnvironment(t *testing.T) {
	const token = "env-token-6c1d0e2f"
	var out strings.Builder
	err := run(t.Context(), []string{"serve", "-h"}, env(map[string]string{
		"PANTHER_API_TOKEN": token, "PANTHER_TRIAGE_WEBHOOK_SECRET": token,
	}), nil, &out, &out)
	if err == nil {
		t.Fatal("serve -h did not stop")
	}
	if !strings.Contains(out.String(), "-panther-token") {
		t.Fatalf("no usage printed:\n%s", out.String())
	}
	if strings.Contains(out.String(), token) {
		t.Fatalf("usage shows the token from the environment:\n%s", out.String())
	}
}

func TestConfigFileContextSection(t *testing.T) {
	vars := map[string]string{
		"PANTHER_API_URL": "https://api.example.runpanther.net/public/graphql", "PANTHER_API_TOKEN": "t",
		"PANTHER_TRIAGE_WEBHOOK_SECRET": "s",
	}
	path := filepath.Join("testdata", "config", "nested-context.yaml")
	cfg, err := loadConfig([]string{"--config", path}, vars)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := cfg.lists()
	if err != nil || lists == nil || len(lists.ServiceAccounts) != 1 || lists.ServiceAccounts[0] != "svc-deploy@acme.io" {
		t.Fatalf("lists from the context section: %+v, %v", lists, err)
	}
	vars["PANTHER_TRIAGE_CONTEXT_FILE"] = "/etc/triage/context.yaml"
	if _, err := loadConfig([]string{"--config", path}, vars); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("context section and context file together: %v", err)
	}
}
