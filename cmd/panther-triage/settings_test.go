package main

import (
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/store"
	"github.com/rs/zerolog"
)

// Every exported field of Config is one setting, bound exactly once: one
// flag, one environment variable, used by at least one command, with a
// help line; no two fields share a flag, a variable or a default's
// constant; and every default that names a library constant parses to that
// constant.
func TestEverySettingIsDeclaredOnce(t *testing.T) {
	commandsWithSettings := []string{"serve", "investigate", "check", "replay"}
	flags, envs, vars := map[string]string{}, map[string]string{}, map[string]string{}
	typ := reflect.TypeFor[Config]()
	bound := 0
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() || f.Tag.Get("kong") == "-" {
			continue
		}
		bound++
		name, env := f.Tag.Get("name"), f.Tag.Get("envvar")
		if name == "" || env == "" || f.Tag.Get("help") == "" {
			t.Errorf("%s: want a name, an envvar and a help tag", f.Name)
		}
		if other, dup := flags[name]; dup {
			t.Errorf("%s and %s share the flag --%s", other, f.Name, name)
		}
		if other, dup := envs[env]; dup {
			t.Errorf("%s and %s share %s", other, f.Name, env)
		}
		flags[name], envs[env] = f.Name, f.Name
		used := strings.Split(f.Tag.Get("used"), ",")
		if len(used) == 0 || used[0] == "" {
			t.Errorf("%s: used by no command", f.Name)
		}
		for _, u := range append(used, strings.Split(f.Tag.Get("need"), ",")...) {
			if u != "" && !slices.Contains(commandsWithSettings, u) {
				t.Errorf("%s: used by %q, not a command", f.Name, u)
			}
		}
		if g := f.Tag.Get("group"); g != "" && flags[g] != "" {
			t.Errorf("%s: section %q is also a setting's name", f.Name, g)
		}
		if m := regexp.MustCompile(`^\$\{(\w+)\}$`).FindStringSubmatch(f.Tag.Get("default")); m != nil {
			if want := strings.ReplaceAll(name, "-", "_"); m[1] != want {
				t.Errorf("%s: default ${%s}; want ${%s}, named for its flag", f.Name, m[1], want)
			}
			if other, dup := vars[m[1]]; dup {
				t.Errorf("%s and %s share the default ${%s}", other, f.Name, m[1])
			}
			vars[m[1]] = f.Name
		}
	}
	if n := len(settings()); n != bound {
		t.Errorf("settings() lists %d settings; Config declares %d", n, bound)
	}
	for k := range libraryDefaults() {
		if _, ok := vars[k]; !ok {
			t.Errorf("library default %q is no setting's default", k)
		}
	}

	// The defaults, as kong parses them, are the libraries' constants.
	cfg, err := parseFor("serve", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(cfg)
	for k, field := range vars {
		want, ok := libraryDefaults()[k]
		if !ok {
			t.Errorf("%s: default ${%s} is not in libraryDefaults", field, k)
			continue
		}
		got := v.FieldByName(field).Interface()
		if !reflect.DeepEqual(got, reflect.ValueOf(want).Convert(reflect.TypeOf(got)).Interface()) {
			t.Errorf("%s defaults to %#v; want the library's %#v", field, got, want)
		}
	}
}

// A flag's value reaches its field: each setting, given on the command line
// and in the environment, lands in the field declared for it and nowhere
// else.
func TestEachSettingReachesItsField(t *testing.T) {
	for _, s := range settings() {
		value := map[string]string{"number": "7", "duration": "7s", "bool": "true", "list": "HIGH", "text": "x7"}[s.typeName()]
		for _, how := range []string{"flag", "env"} {
			args, vars := []string{}, map[string]string{}
			if how == "flag" {
				args = []string{"--" + s.flag + "=" + value}
			} else {
				vars[s.env] = value
			}
			if s.flag == "config" {
				continue // names a file
			}
			cfg, err := parseFor("serve", args, vars)
			if err != nil {
				t.Errorf("%s %s=%s: %v", how, s.flag, value, err)
				continue
			}
			base, _ := parseFor("serve", nil, nil)
			got, def := reflect.ValueOf(cfg), reflect.ValueOf(base)
			for _, o := range settings() {
				changed := !reflect.DeepEqual(got.FieldByIndex(o.field.Index).Interface(), def.FieldByIndex(o.field.Index).Interface())
				if o.flag == s.flag && !changed && value != s.defaultText() {
					t.Errorf("%s %s=%s did not change %s", how, s.flag, value, o.field.Name)
				}
				if o.flag != s.flag && changed {
					t.Errorf("%s %s=%s changed %s too", how, s.flag, value, o.field.Name)
				}
			}
		}
	}
}

// Help shows, for each setting a command uses, its flag, type, environment
// variable and default, and no setting the command does not use.
func TestHelpShowsTypeDefaultAndVariable(t *testing.T) {
	for _, cmd := range []string{"serve", "investigate", "check", "replay"} {
		var out strings.Builder
		err := run(t.Context(), []string{cmd, "--help"}, env(nil), nil, &out, &out)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		lines := strings.Split(out.String(), "\n")
		for _, s := range settings() {
			i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "--"+s.flag+" ") })
			if !s.uses(cmd) {
				if i >= 0 {
					t.Errorf("%s --help shows --%s, which %s does not use", cmd, s.flag, cmd)
				}
				continue
			}
			if i < 0 {
				t.Errorf("%s --help lacks --%s", cmd, s.flag)
				continue
			}
			for _, want := range []string{" " + s.typeName() + " ", "$" + s.env, "(default "} {
				if !strings.Contains(lines[i], want) {
					t.Errorf("%s --help: line of --%s lacks %q: %s", cmd, s.flag, want, lines[i])
				}
			}
		}
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"serve", "--help"}, env(nil), nil, &out, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"--workers number  $PANTHER_TRIAGE_WORKERS  (default 4)", "--max-per-hour number  $PANTHER_TRIAGE_MAX_PER_HOUR  (default 500; 0: no bound)", "--job-timeout duration  $PANTHER_TRIAGE_JOB_TIMEOUT  (default 0s; 0: derived from the Panther deadlines", "--severities list"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	if err := run(t.Context(), []string{"frobnicate"}, env(nil), nil, &out, &out); !errors.Is(err, errUsage) {
		t.Fatalf("unknown command: %v", err)
	}
}

// One rule for 0: a number or duration of 0 means what its declaration's
// zero tag says, else it is refused with a message naming the setting, in
// every way it can be given.
func TestZeroIsOffOrRefused(t *testing.T) {
	required := map[string]string{
		"PANTHER_API_URL": "https://api.example.runpanther.net/public/graphql", "PANTHER_API_TOKEN": "t",
		"PANTHER_TRIAGE_WEBHOOK_SECRET": "s",
	}
	for _, s := range settings() {
		if !s.numeric() {
			continue
		}
		zero := "0"
		if s.typeName() == "duration" {
			zero = "0s"
		}
		vars := map[string]string{s.env: zero}
		for k, v := range required {
			vars[k] = v
		}
		_, err := loadConfig(nil, vars)
		switch {
		case s.zero != "" && err != nil:
			t.Errorf("%s=0 (0: %s) refused: %v", s.env, s.zero, err)
		case s.zero == "" && err == nil:
			t.Errorf("%s=0 accepted; its declaration says nothing of what 0 means", s.env)
		case s.zero == "" && !strings.Contains(err.Error(), s.env+": 0 is not allowed"):
			t.Errorf("%s=0: the message does not name the setting: %v", s.env, err)
		}
	}
	if _, err := loadConfig([]string{"--workers=-2"}, required); err == nil || !strings.Contains(err.Error(), "--workers: -2 is negative") {
		t.Errorf("negative workers: %v", err)
	}
}

// --datalake-max-queries=0 means no data lake search at all, not the
// default of 3.
func TestNoDataLakeStepWithZeroQueries(t *testing.T) {
	names := func(cfg Config) []string {
		var out []string
		for _, s := range steps(cfg, nil, nil, nil, nil) {
			out = append(out, s.Name())
		}
		return out
	}
	on, _ := parseFor("serve", nil, nil)
	off, _ := parseFor("serve", []string{"--datalake-max-queries", "0"}, nil)
	if !slices.Contains(names(on), "datalake") || slices.Contains(names(off), "datalake") {
		t.Fatalf("steps with the default %v; with 0 %v", names(on), names(off))
	}
}

// Each command validates only the settings it uses: investigate needs no
// webhook secret, replay no Panther URL, and a bad setting serve alone
// uses stops only serve.
func TestEachCommandValidatesWhatItUses(t *testing.T) {
	vars := map[string]string{"PANTHER_TRIAGE_WORKERS": "0", "PANTHER_TRIAGE_SEVERITIES": "SEVERE"}
	cfg, err := parseFor("investigate", nil, vars)
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate("investigate")
	if err == nil || strings.Contains(err.Error(), "WEBHOOK_SECRET") || strings.Contains(err.Error(), "WORKERS") || strings.Contains(err.Error(), "SEVERE") {
		t.Errorf("investigate validates what it does not use: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "PANTHER_API_URL") {
		t.Errorf("investigate does not need the Panther URL: %v", err)
	}
	if err := cfg.Validate("replay"); err != nil {
		t.Errorf("replay: %v", err)
	}
	// A value of the wrong type stops only the commands that use it.
	bad := map[string]string{"PANTHER_TRIAGE_MAX_EVENTS": "many"}
	if _, err := parseFor("replay", nil, bad); err != nil {
		t.Errorf("replay refused a setting it does not use: %v", err)
	}
	if _, err := parseFor("serve", nil, bad); err == nil || !strings.Contains(err.Error(), `PANTHER_TRIAGE_MAX_EVENTS: "many" is not a whole number`) {
		t.Errorf("serve: %v", err)
	}
	if err := cfg.Validate("serve"); err == nil || !strings.Contains(err.Error(), "PANTHER_TRIAGE_WORKERS") || !strings.Contains(err.Error(), "SEVERE") {
		t.Errorf("serve: %v", err)
	}
}

// Flags go before or after the command's argument.
func TestFlagsAfterTheArgument(t *testing.T) {
	for _, args := range [][]string{
		{"investigate", "--dev", "4c1e8f2a9d7b3e6051c8a2f4d9e7b130", "--dry-run", "--max-events=5"},
		{"--dry-run", "investigate", "4c1e8f2a9d7b3e6051c8a2f4d9e7b130", "--max-events", "5", "--dev"},
	} {
		p, err := parseCommandLine(args, env(nil), nil)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if p.cmd != "investigate" || p.line.Investigate.AlertID != "4c1e8f2a9d7b3e6051c8a2f4d9e7b130" || !p.cfg.DryRun || p.cfg.MaxEvents != 5 || !p.line.Investigate.Dev {
			t.Errorf("%q: command %q, alert %q, dry run %v, max events %d, dev %v", args, p.cmd, p.line.Investigate.AlertID, p.cfg.DryRun, p.cfg.MaxEvents, p.line.Investigate.Dev)
		}
	}
}

// investigate --dev investigates a sample alert of the simulated Panther
// and prints the comment, flags after the alert ID; without an ID it lists
// the sample alerts.
func TestInvestigateDev(t *testing.T) {
	var stdout, stderr strings.Builder
	dir := t.TempDir()
	err := run(t.Context(), []string{"investigate", "--dev", "4c1e8f2a9d7b3e6051c8a2f4d9e7b130", "--dry-run"}, env(map[string]string{"PANTHER_TRIAGE_DB": filepath.Join(dir, "d.db")}), nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "panther-triage: MALICIOUS") || !strings.Contains(stdout.String(), "185.220.101.34") || !strings.Contains(stderr.String(), "dry run") || !strings.Contains(stderr.String(), "token ") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	stdout.Reset()
	if err := run(t.Context(), []string{"investigate", "--dev"}, env(nil), nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "4c1e8f2a9d7b3e6051c8a2f4d9e7b130  AWS root login") {
		t.Errorf("no list of sample alerts:\n%s", stdout.String())
	}
}

func TestVersion(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"version"}, env(nil), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^panther-triage \S+ \((revision [0-9a-f]+|no VCS revision recorded).*\), go1\.\d+`).MatchString(out.String()) {
		t.Errorf("version: %q", out.String())
	}
}

// A busy address names the setting that chose it.
func TestBusyAddressNamesTheSetting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "busy.db"))
	vars["PANTHER_TRIAGE_ADDR"] = ln.Addr().String()
	err = run(t.Context(), []string{"serve"}, env(vars), nil, &strings.Builder{}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "--addr or PANTHER_TRIAGE_ADDR") || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("err = %v", err)
	}
}

// The configuration file's messages: "did you mean" for every unknown
// key, file:line for every problem, a clear word for a tab and for
// context together with a context file; keys may sit in their sections,
// and the context section takes the same spelling as every other key.
func TestConfigFileMessages(t *testing.T) {
	required := map[string]string{
		"PANTHER_API_URL": "https://api.example.runpanther.net/public/graphql", "PANTHER_API_TOKEN": "t",
		"PANTHER_TRIAGE_WEBHOOK_SECRET": "s",
	}
	write := func(body string) string {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct{ body, want string }{
		{"severites: [HIGH]\n", `c.yaml:1: unknown key "severites" (did you mean severities?)`},
		{"queue:\n  wrkers: 3\n", `c.yaml:2: unknown key "wrkers" (did you mean workers?)`},
		{"queue:\n  severities: [HIGH]\n", "c.yaml:2: severities: belongs in section filter"},
		{"addr: \":9\"\nqueue:\n\tworkers: 3\n", "c.yaml:3: a tab indents this line; YAML indents with spaces only"},
		{"workers: 0\n", "c.yaml:1: workers: 0 is not allowed"},
		{"context:\n  vip-users: [cfo@acme.io]\n", "c.yaml:1: context: the lists come either from this section or from the context file"},
	}
	for _, tt := range tests {
		vars := map[string]string{"PANTHER_TRIAGE_CONTEXT_FILE": "/etc/context.yaml"}
		for k, v := range required {
			vars[k] = v
		}
		_, err := loadConfig([]string{"--config", write(tt.body)}, vars)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v; want %q", tt.body, err, tt.want)
		}
	}

	// Sections and the context section in the one spelling.
	path := write("queue:\n  workers: 3\nfilter:\n  severities: [HIGH]\ncontext:\n  vip-users: [CFO@acme.io]\n  known-networks:\n    - {name: Office, cidrs: [198.51.100.0/24]}\n")
	cfg, err := loadConfig([]string{"--config", path}, required)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := cfg.lists()
	if cfg.Workers != 3 || !slices.Equal(cfg.Severities, []string{"HIGH"}) || err != nil || len(lists.VIPUsers) != 1 || len(lists.KnownNetworks) != 1 {
		t.Errorf("workers %d, severities %v, lists %+v, %v", cfg.Workers, cfg.Severities, lists, err)
	}
	// The context file's spelling is read, with a warning.
	p, err := parseCommandLine([]string{"serve", "--config", write("context:\n  vip_users: [cfo@acme.io]\n")}, env(required), nil)
	if err != nil || len(p.warnings) != 1 || !strings.Contains(p.warnings[0], "c.yaml:2: context: vip_users is the old spelling of vip-users") {
		t.Errorf("old spelling: %v, warnings %q", err, p.warnings)
	}
}

// The environment wins over the file, which wins over the default, for a
// duration given in a section too.
func TestConfigSectionPrecedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("queue:\n  job-timeout: 2m\n  retry-backoff: 3s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseFor("serve", []string{"--retry-backoff=4s"}, map[string]string{"PANTHER_TRIAGE_CONFIG": path, "PANTHER_TRIAGE_RETRY_BACKOFF": "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.JobTimeout != 2*time.Minute || cfg.RetryBackoff != 4*time.Second {
		t.Errorf("job timeout %v (want the file's 2m), retry backoff %v (want the flag's 4s)", cfg.JobTimeout, cfg.RetryBackoff)
	}
}

// A variable that looks like a setting but is none is named, with the
// nearest setting's.
func TestUnknownEnvironmentVariable(t *testing.T) {
	got := envWarnings([]string{"PANTHER_TRIAGE_SEVERITES=HIGH", "PANTHER_TRIAGE_WORKERS=2", "HOME=/root", "PANTHER_TRIAGE_FROBNICATE_EVERYTHING=1"})
	want := []string{
		"environment variable PANTHER_TRIAGE_SEVERITES is not a setting (did you mean PANTHER_TRIAGE_SEVERITIES?)",
		"environment variable PANTHER_TRIAGE_FROBNICATE_EVERYTHING is not a setting",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q; want %q", got, want)
	}
}

// By default an attempt's bound is the investigator's budget, derived from
// the Panther deadlines and the step timeouts, and the rescue delay is that
// plus a margin; set ones are kept.
func TestAttemptBoundsDerivedFromDeadlines(t *testing.T) {
	required := map[string]string{
		"PANTHER_API_URL": "https://api.example.runpanther.net/public/graphql", "PANTHER_API_TOKEN": "t",
		"PANTHER_TRIAGE_WEBHOOK_SECRET": "s",
	}
	bounds := func(vars map[string]string) (attempt, rescue, budget time.Duration) {
		t.Helper()
		for k, v := range required {
			vars[k] = v
		}
		cfg, err := loadConfig(nil, vars)
		if err != nil {
			t.Fatal(err)
		}
		pc := newPantherClient(cfg)
		inv := investigate.New(pc, steps(cfg, pc, nil, nil, nil), investigateOptions(cfg), zerolog.Nop())
		attempt, rescue = attemptBounds(cfg, pc, inv, zerolog.Nop())
		return attempt, rescue, inv.AttemptBudget(pc.ReadBudget(), pc.WriteBudget())
	}
	attempt, rescue, budget := bounds(map[string]string{})
	if attempt != budget || rescue != budget+store.DefaultRescueMargin {
		t.Errorf("default bounds: attempt %s, rescue %s; want the budget %s and %s", attempt, rescue, budget, budget+store.DefaultRescueMargin)
	}
	// A longer read deadline lengthens the budget.
	if _, _, longer := bounds(map[string]string{"PANTHER_TRIAGE_PANTHER_READ_TIMEOUT": "10s"}); longer <= budget {
		t.Errorf("budget with 10s reads %s; want more than %s", longer, budget)
	}
	attempt, rescue, _ = bounds(map[string]string{"PANTHER_TRIAGE_JOB_TIMEOUT": "20m", "PANTHER_TRIAGE_RESCUE_AFTER": "25m"})
	if attempt != 20*time.Minute || rescue != 25*time.Minute {
		t.Errorf("set bounds: attempt %s, rescue %s; want 20m and 25m", attempt, rescue)
	}
}
