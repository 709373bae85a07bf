package investigate_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// qualityScenario is one labelled alert of testdata/quality: what happened,
// the verdict a careful analyst would give, the alert with its events and
// detection, the earlier alerts Panther holds, and the team's context file.
type qualityScenario struct {
	About  string `json:"about"`
	Expect string `json:"expect"`
	// Facts are what a competent analyst would state about the alert,
	// each a phrase the comment must carry (compared without case).
	Facts   []string               `json:"facts"`
	Alert   panthersim.SeedAlert   `json:"alert"`
	History []panthersim.SeedAlert `json:"history"`
	Context string                 `json:"context"`
}

// qualityResult is one row of the quality table.
type qualityResult struct {
	name, expect, got       string
	confidence, probability float64
	calls                   map[string]int
	facts, found            int
	missed                  []string
	logType                 string
}

// Goals of the quality set. A true positive called benign is the one
// mistake that is never allowed.
const (
	// qualityMinAccuracy is the share of scenarios whose verdict must match
	// the label exactly.
	qualityMinAccuracy = 0.80
	// qualityMinBenignRecall is the share of false positives (label
	// benign) that must be called benign.
	qualityMinBenignRecall = 0.50
	// qualityMinFactRecall is the share of key facts the comments must
	// state.
	qualityMinFactRecall = 0.90
	// qualityMaxBrier bounds the Brier score of the probability of a true
	// positive; 0.25 is what always saying 50% scores.
	qualityMaxBrier = 0.25
	// The set's breadth.
	qualityMinScenarios = 30
	qualityMinLogTypes  = 8
)

// TestQualitySet investigates every labelled scenario of testdata/quality
// against the simulated Panther, with the steps the service runs, and
// compares the verdict with the analyst's label and the comment with the
// key facts. A disagreement is reported, not fatal on its own: the test
// fails below the goals (qualityMin*, qualityMaxBrier) or when a true
// positive is called benign. The comments are kept in
// testdata/golden/TestQualitySet (rewrite them with -update). Run
// `go test -run TestQualitySet -v ./investigate` for the table.
func TestQualitySet(t *testing.T) {
	dir := filepath.Join("..", "testdata", "quality")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var results []qualityResult
	scenarios := 0
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || !ok {
			continue
		}
		scenarios++
		t.Run(name, func(t *testing.T) {
			sc := loadQualityScenario(t, filepath.Join(dir, e.Name()))
			r, comment := runQualityScenario(t, name, sc)
			results = append(results, r)
			if r.got != sc.Expect {
				t.Logf("engine says %s (%.2f), the label says %s: %s", r.got, r.confidence, sc.Expect, sc.About)
			}
			compareGolden(t, filepath.Join("..", "testdata", "golden", "TestQualitySet", name+".txt"), comment)
		})
	}
	if len(results) == 0 {
		t.Fatalf("no scenarios in %s", dir)
	}

	t.Log(qualityTable(results))
	if len(results) < scenarios {
		t.Logf("%d of %d scenarios ran (-run filter or a failed load): figures not gated", len(results), scenarios)
		return
	}
	logTypes := map[string]bool{}
	for _, r := range results {
		if r.logType != "" {
			logTypes[r.logType] = true
		}
	}
	if len(results) < qualityMinScenarios || len(logTypes) < qualityMinLogTypes {
		t.Errorf("%d scenarios over %d log types; the set needs at least %d over %d", len(results), len(logTypes), qualityMinScenarios, qualityMinLogTypes)
	}
	q := scoreQuality(results)
	if q.accuracy < qualityMinAccuracy-1e-9 {
		t.Errorf("accuracy %.0f%% is below %.0f%%", 100*q.accuracy, 100*qualityMinAccuracy)
	}
	if q.benignPrecision < 1 {
		t.Errorf("benign precision %.0f%%: a true positive was called benign", 100*q.benignPrecision)
	}
	if q.benignRecall < qualityMinBenignRecall-1e-9 {
		t.Errorf("%.0f%% of false positives called benign; the goal is %.0f%%", 100*q.benignRecall, 100*qualityMinBenignRecall)
	}
	if q.factRecall < qualityMinFactRecall-1e-9 {
		t.Errorf("key-fact recall %.0f%% is below %.0f%%", 100*q.factRecall, 100*qualityMinFactRecall)
	}
	if q.brier > qualityMaxBrier {
		t.Errorf("Brier score %.3f is above %.2f", q.brier, qualityMaxBrier)
	}
}

// qualityFigures are the quality set's measures.
type qualityFigures struct {
	accuracy        float64 // verdict equals the label
	benignPrecision float64 // of those called benign, the share labelled benign
	benignRecall    float64 // of those labelled benign, the share called benign
	factRecall      float64 // key facts found in the comments
	brier           float64 // mean squared error of the probability of a true positive
}

func scoreQuality(results []qualityResult) qualityFigures {
	var q qualityFigures
	right, calledBenign, benignRight, labelledBenign, facts, found, scored := 0, 0, 0, 0, 0, 0, 0
	for _, r := range results {
		if r.got == r.expect {
			right++
		}
		if r.got == triage.VerdictBenign {
			calledBenign++
			if r.expect == triage.VerdictBenign {
				benignRight++
			}
		}
		if r.expect == triage.VerdictBenign {
			labelledBenign++
		}
		facts += r.facts
		found += r.found
		// Inconclusive labels say the truth is unknown: not scored.
		y := -1.0
		switch r.expect {
		case triage.VerdictMalicious, triage.VerdictSuspicious:
			y = 1
		case triage.VerdictBenign:
			y = 0
		}
		if y >= 0 {
			q.brier += (r.probability - y) * (r.probability - y)
			scored++
		}
	}
	share := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	q.accuracy = share(right, len(results))
	q.benignPrecision = share(benignRight, calledBenign)
	q.benignRecall = share(benignRight, labelledBenign)
	q.factRecall = share(found, facts)
	if scored > 0 {
		q.brier /= float64(scored)
	}
	return q
}

// qualityTable is the per-scenario table and the figures, for -v.
func qualityTable(results []qualityResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-44s %-12s %-12s %-5s %-5s %-6s %s\n", "scenario", "expected", "got", "conf", "P(tp)", "facts", "Panther API calls")
	for _, r := range results {
		mark := " "
		if r.got != r.expect {
			mark = "✗"
		}
		fmt.Fprintf(&b, "%-44s %-12s %-12s %.2f  %.2f  %d/%-4d %s %s\n", r.name, r.expect, r.got, r.confidence, r.probability, r.found, r.facts, formatCalls(r.calls), mark)
		if len(r.missed) > 0 {
			fmt.Fprintf(&b, "%-44s missed: %s\n", "", strings.Join(r.missed, "; "))
		}
	}
	q := scoreQuality(results)
	fmt.Fprintf(&b, "scenarios %d; accuracy %.0f%%; benign precision %.0f%%; false positives called benign %.0f%%; key-fact recall %.0f%%; Brier %.3f",
		len(results), 100*q.accuracy, 100*q.benignPrecision, 100*q.benignRecall, 100*q.factRecall, q.brier)
	return b.String()
}

// loadQualityScenario reads and checks one scenario file: unknown fields,
// labels and alerts that LoadSeeds would reject, and history that is not
// earlier than the alert are errors.
func loadQualityScenario(t *testing.T, path string) qualityScenario {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var sc qualityScenario
	if err := dec.Decode(&sc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !slices.Contains([]string{triage.VerdictMalicious, triage.VerdictSuspicious, triage.VerdictBenign, triage.VerdictInconclusive}, sc.Expect) {
		t.Fatalf("%s: expect %q is not malicious, suspicious, benign or inconclusive", path, sc.Expect)
	}
	if strings.TrimSpace(sc.About) == "" {
		t.Fatalf("%s: about is empty", path)
	}
	if len(sc.Facts) == 0 {
		t.Fatalf("%s: no key facts", path)
	}
	// The seed loader checks severities, kinds and required fields.
	all, err := json.Marshal(append([]panthersim.SeedAlert{sc.Alert}, sc.History...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := panthersim.LoadSeeds(fstest.MapFS{"scenario.json": {Data: all}}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, h := range sc.History {
		if !h.CreatedAt.Before(sc.Alert.CreatedAt) {
			t.Fatalf("%s: history alert %s is not earlier than the alert", path, h.ID)
		}
		if h.ID == sc.Alert.ID {
			t.Fatalf("%s: history alert %s has the alert's ID", path, h.ID)
		}
	}
	return sc
}

// runQualityScenario investigates the scenario's alert in dry run with the
// service's steps and a clock two minutes after the alert was created, and
// returns the result and the comment.
func runQualityScenario(t *testing.T, name string, sc qualityScenario) (qualityResult, string) {
	t.Helper()
	at := sc.Alert.CreatedAt.Add(2 * time.Minute)
	now := func() time.Time { return at }
	srv := panthersim.New(panthersim.WithClock(now), panthersim.WithSeeds(sc.History...))
	srv.AddAlert(sc.Alert) // last, so that its detection is the one served
	srv.Start()
	t.Cleanup(srv.Close)

	var lists *investigate.Lists
	if strings.TrimSpace(sc.Context) != "" {
		var err error
		if lists, err = investigate.ParseLists([]byte(sc.Context), name+".context"); err != nil {
			t.Fatal(err)
		}
	}
	// The data lake searches are cached in the database, as in the service.
	st, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	// The service's pipeline, with the default bounds.
	steps := investigate.DefaultSteps(investigate.Deps{Panther: pc, Store: st, Lists: lists})
	inv := investigate.New(pc, steps, investigate.Options{DryRun: true, Now: now, PublicURL: goldenPublicURL, ConsoleURL: goldenConsoleURL}, zerolog.Nop())
	out, err := inv.Run(t.Context(), sc.Alert.ID, 1001, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.State != triage.StateDone {
		t.Fatalf("state %s: %s", out.State, out.Reason)
	}
	r := qualityResult{name: name, expect: sc.Expect, got: out.Report.Verdict.Label,
		confidence: out.Report.Verdict.Confidence, probability: out.Report.Verdict.Probability, calls: srv.Calls()}
	if len(sc.Alert.Events) > 0 {
		r.logType, _ = sc.Alert.Events[0]["p_log_type"].(string)
	}
	// The facts are looked for in what an analyst reads: the comment, and
	// the digest's full sequence of actions.
	text := strings.ToLower(out.Comment + "\n" + out.Report.Digest.Sequence())
	for _, f := range sc.Facts {
		r.facts++
		if strings.Contains(text, strings.ToLower(f)) {
			r.found++
		} else {
			r.missed = append(r.missed, f)
		}
	}
	return r, out.Comment
}

// formatCalls lists the GraphQL root fields, then the REST routes, with
// their counts; POST /public/graphql is left out since the root fields
// count what it carried.
func formatCalls(calls map[string]int) string {
	var fields, routes []string
	for _, k := range slices.Sorted(maps.Keys(calls)) {
		s := k
		if n := calls[k]; n > 1 {
			s = fmt.Sprintf("%s×%d", k, n)
		}
		switch {
		case k == "POST /public/graphql":
		case strings.Contains(k, " "):
			routes = append(routes, s)
		default:
			fields = append(fields, s)
		}
	}
	return "graphql: " + strings.Join(fields, ", ") + "; rest: " + strings.Join(routes, ", ")
}
