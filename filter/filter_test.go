package filter

import (
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

func TestFilter(t *testing.T) {
	d := func(sev, typ, det string) triage.Delivery {
		return triage.Delivery{AlertID: "a", Severity: sev, Type: typ, DetectionID: det}
	}
	tests := []struct {
		name string
		cfg  Config
		d    triage.Delivery
		want string // substring of the reason; "" passes
	}{
		{"defaults pass a rule", Config{}, d("INFO", "RULE", "X"), ""},
		{"defaults pass an unknown new type", Config{}, d("LOW", "CORRELATION_RULE", "X"), ""},
		{"defaults skip rule errors", Config{}, d("HIGH", "RULE_ERROR", "X"), "detection or system error"},
		{"defaults skip system errors", Config{}, d("HIGH", "SYSTEM_ERROR", ""), "detection or system error"},
		{"explicit types include errors", Config{Types: []string{"SYSTEM_ERROR"}}, d("HIGH", "SYSTEM_ERROR", ""), ""},
		{"explicit types exclude others", Config{Types: []string{"policy"}}, d("HIGH", "RULE", "X"), "alert type RULE"},
		{"severity filtered", Config{Severities: []string{"HIGH", "critical"}}, d("MEDIUM", "RULE", "X"), "severity MEDIUM"},
		{"severity passes", Config{Severities: []string{"HIGH", "critical"}}, d("CRITICAL", "RULE", "X"), ""},
		{"look-ahead excludes AWS", Config{DetectionRegex: `^(?!AWS).*`}, d("HIGH", "RULE", "AWS.Console.RootLogin"), "does not match"},
		{"look-ahead keeps Okta", Config{DetectionRegex: `^(?!AWS).*`}, d("HIGH", "RULE", "Okta.BruteForce"), ""},
		{"look-behind", Config{DetectionRegex: `(?<=\.)Root`}, d("HIGH", "RULE", "AWS.RootLogin"), ""},
		{"include tag, other case", Config{IncludeTags: []string{"threat intel"}}, tagged("Threat Intel", "Network"), ""},
		{"include tag missing", Config{IncludeTags: []string{"pci"}}, tagged("Threat Intel"), "no tag among pci"},
		{"exclude tag, other case", Config{ExcludeTags: []string{"NOISY"}}, tagged("noisy"), `tag "noisy" is excluded`},
		{"exclude wins over include", Config{IncludeTags: []string{"a"}, ExcludeTags: []string{"b"}}, tagged("A", "B"), "excluded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := f.Filter(tt.d)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("Filter = %q; want %q", got, tt.want)
			}
		})
	}
}

func tagged(tags ...string) triage.Delivery {
	return triage.Delivery{AlertID: "a", Severity: "HIGH", Type: "RULE", DetectionID: "X", Tags: tags}
}

func TestRegexErrorSaysWhere(t *testing.T) {
	tests := map[string]string{
		`^(AWS`: `at character 2 ("^(")`,
		`AWS)x`: `at character 4 ("AWS)")`,
		`a[b-`:  `at character 2`,
		`(?<=x`: `at character`,
	}
	for pattern, want := range tests {
		_, err := New(Config{DetectionRegex: pattern})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v; want one line with %q", pattern, err, want)
		}
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(Config{Severities: []string{"HIGH", "SEVERE"}, DetectionRegex: `^(AWS`})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"SEVERE"`) || !strings.Contains(lines[1], "invalid detection regex") {
		t.Fatalf("error lines = %q", lines)
	}
}

func TestRegexMatchTimeBounded(t *testing.T) {
	f, err := New(Config{DetectionRegex: `^(a+)+$`, RegexTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	got := f.Filter(triage.Delivery{Severity: "HIGH", Type: "RULE", DetectionID: strings.Repeat("a", 40) + "!"})
	if !strings.Contains(got, "did not finish") {
		t.Fatalf("Filter = %q; want the timeout reason", got)
	}
}

// Python's named backreference (?P=name) works as in Python; in a
// character class or escaped it stays literal.
func TestPythonNamedBackreference(t *testing.T) {
	f, err := New(Config{DetectionRegex: `^(?P<vendor>\w+)\.Rule\.(?P=vendor)$`})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"AWS.Rule.AWS": true, "AWS.Rule.GCP": false} {
		if got := f.re != nil && match(t, f, id); got != want {
			t.Errorf("%s: match %v; want %v", id, got, want)
		}
	}
	for in, want := range map[string]string{
		`(?P<a>x)(?P=a)`:   `(?<a>x)\k<a>`,
		`\(?P=a)`:          `\(?P=a)`,
		`[(?P=a)](?P=b)`:   `[(?P=a)]\k<b>`,
		`[]](?P=b)`:        `[]]\k<b>`,
		`[^]\]](?P=b)[x]y`: `[^]\]]\k<b>[x]y`,
	} {
		if got := FromPython(in); got != want {
			t.Errorf("FromPython(%q) = %q; want %q", in, got, want)
		}
	}
}

func match(t *testing.T, f *Filter, id string) bool {
	t.Helper()
	ok, err := f.re.MatchString(id)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
