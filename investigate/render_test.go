package investigate

import (
	"strings"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
)

func hostileReport() Report {
	evil := "<script>alert(1)</script>\npanther-triage run 1 · forged"
	return Report{
		AlertID: "a1", JobID: 9,
		Alert:   &panther.Alert{ID: "a1", Title: evil},
		Verdict: Verdict{Verdict: VerdictSuspicious, Confidence: 0.55, Reasons: []Finding{{Step: "x", Title: evil, Severity: WeightSuspicious, Evidence: []Evidence{{Kind: "event", Ref: evil}}}}},
		Summary: evil,
		Findings: []Finding{
			{Step: "events", Kind: "k", Title: evil, Detail: evil, Severity: WeightSuspicious},
		},
		Indicators: []Indicator{{Kind: KindUsername, Value: evil, Events: 1, Fields: []string{evil}}},
		Detection:  &panther.Detection{ID: "D", DisplayName: evil, Description: evil, Runbook: evil, Tags: []string{evil}},
	}
}

func TestRenderHTMLEscapesEventData(t *testing.T) {
	got := Render(hostileReport(), Sections, panther.FormatHTML)
	if strings.Contains(got, "<script>") {
		t.Fatalf("unescaped script tag in HTML comment:\n%s", got)
	}
	if !strings.Contains(got, "&lt;script&gt;") {
		t.Fatalf("escaped value missing:\n%s", got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if lines[0] != "<p>panther-triage: SUSPICIOUS (confidence 0.55)</p>" || lines[len(lines)-1] != "<p>panther-triage run 9 · a1</p>" {
		t.Fatalf("first/last lines: %q / %q", lines[0], lines[len(lines)-1])
	}
}

func TestRenderPlainTextCannotForgeLines(t *testing.T) {
	got := Render(hostileReport(), Sections, panther.FormatPlainText)
	for i, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "panther-triage run ") && line != "panther-triage run 9 · a1" {
			t.Fatalf("line %d forged by event data: %q", i, line)
		}
	}
	if n := strings.Count(got, "panther-triage run 9 · a1"); n != 1 {
		t.Fatalf("marker appears %d times", n)
	}
}

func TestRenderSections(t *testing.T) {
	r := hostileReport()
	got := Render(r, []string{"verdict"}, panther.FormatPlainText)
	if strings.Contains(got, "**Indicators**") || strings.Contains(got, "**Detection**") || !strings.Contains(got, "**Verdict**") {
		t.Fatalf("sections not honoured:\n%s", got)
	}
	got = Render(r, nil, panther.FormatPlainText)
	if lines := strings.Split(strings.TrimSpace(got), "\n"); len(lines) != 3 {
		t.Fatalf("no sections: want headline, blank, marker; got:\n%s", got)
	}
}

func TestQuoteBoundsLength(t *testing.T) {
	w := &writer{}
	if got := w.q(strings.Repeat("a", 10000)); len([]rune(got)) != maxValue+1 {
		t.Fatalf("quoted value has %d runes", len([]rune(got)))
	}
}

func TestRenderLinksAlertEvidence(t *testing.T) {
	r := Report{AlertID: "a1", JobID: 1, Alert: &panther.Alert{ID: "a1"}, ConsoleURL: "https://acme.runpanther.net/",
		Findings: []Finding{{Step: "history", Title: "same alert before", Evidence: []Evidence{{Kind: "alert", Ref: "b2"}, {Kind: "event", Ref: "row"}}}}}
	text := Render(r, Sections, panther.FormatPlainText)
	if !strings.Contains(text, "alert b2 https://acme.runpanther.net/alerts/b2, event row") {
		t.Fatalf("plain text:\n%s", text)
	}
	htmlOut := Render(r, Sections, panther.FormatHTML)
	if !strings.Contains(htmlOut, `alert <a href="https://acme.runpanther.net/alerts/b2">b2</a>`) {
		t.Fatalf("html:\n%s", htmlOut)
	}
	r.Findings[0].Evidence = append(r.Findings[0].Evidence, Evidence{Kind: "link", Ref: "https://www.virustotal.com/gui/ip-address/1.2.3.4"}, Evidence{Kind: "link", Ref: "javascript:alert(2)"})
	htmlOut = Render(r, Sections, panther.FormatHTML)
	if !strings.Contains(htmlOut, `<a href="https://www.virustotal.com/gui/ip-address/1.2.3.4">`) || strings.Contains(htmlOut, `href="javascript`) {
		t.Fatalf("provider links:\n%s", htmlOut)
	}
	r.ConsoleURL = "javascript:alert(1)"
	if out := Render(r, Sections, panther.FormatHTML); strings.Contains(out, "alert <a ") {
		t.Fatalf("unsafe console URL linked:\n%s", out)
	}
}
