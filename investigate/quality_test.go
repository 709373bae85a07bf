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
)

// qualityScenario is one labelled alert of testdata/quality: what happened,
// the verdict a careful analyst would give, the alert with its events and
// detection, the earlier alerts Panther holds, and the team's context file.
type qualityScenario struct {
	About   string                 `json:"about"`
	Expect  string                 `json:"expect"`
	Alert   panthersim.SeedAlert   `json:"alert"`
	History []panthersim.SeedAlert `json:"history"`
	Context string                 `json:"context"`
}

// qualityResult is one row of the quality table.
type qualityResult struct {
	name, expect, got string
	confidence        float64
	calls             map[string]int
}

// qualityMinShare is the share of scenarios the engine must get right:
// 11 of 12.
const qualityMinShare = 11.0 / 12.0

// TestQualitySet investigates every labelled scenario of testdata/quality
// against the simulated Panther, with the steps the service runs, and
// compares the verdict with the analyst's label. A disagreement is reported,
// not fatal on its own: the test fails when the engine gets fewer than 11 of
// 12 right (the same share for a larger set). The comments are kept in
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

	right := 0
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-42s %-12s %-12s %-5s %s\n", "scenario", "expected", "got", "conf", "Panther API calls")
	for _, r := range results {
		mark := " "
		if r.got == r.expect {
			right++
		} else {
			mark = "✗"
		}
		fmt.Fprintf(&b, "%-42s %-12s %-12s %.2f  %s %s\n", r.name, r.expect, r.got, r.confidence, formatCalls(r.calls), mark)
	}
	fmt.Fprintf(&b, "accuracy %d/%d", right, len(results))
	t.Log(b.String())
	if len(results) < scenarios {
		t.Logf("%d of %d scenarios ran (-run filter or a failed load): accuracy not gated", len(results), scenarios)
		return
	}
	if float64(right) < qualityMinShare*float64(len(results))-1e-9 {
		t.Errorf("accuracy %d/%d is below %.0f%% (11/12)", right, len(results), qualityMinShare*100)
	}
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
	if !slices.Contains([]string{investigate.VerdictMalicious, investigate.VerdictSuspicious, investigate.VerdictBenign, investigate.VerdictInconclusive}, sc.Expect) {
		t.Fatalf("%s: expect %q is not malicious, suspicious, benign or inconclusive", path, sc.Expect)
	}
	if strings.TrimSpace(sc.About) == "" {
		t.Fatalf("%s: about is empty", path)
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
	// The steps of cmd/panther-triage/serve.go's steps(), with the default
	// data lake bounds.
	steps := []investigate.Step{
		investigate.Events(pc, 200),
		investigate.Indicators(),
		investigate.Detection(pc),
		investigate.Enrichment(lists),
		investigate.History(pc),
		investigate.PrecedentStep(pc, st, investigate.PrecedentOptions{}),
		investigate.BaselineStep(pc, st, investigate.BaselineOptions{}),
		investigate.Datalake(pc, st, investigate.DatalakeOptions{}),
	}
	inv := investigate.New(pc, steps, investigate.Options{DryRun: true, Now: now}, zerolog.Nop())
	out, err := inv.Run(t.Context(), sc.Alert.ID, 1001, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.State != investigate.StateDone {
		t.Fatalf("state %s: %s", out.State, out.Reason)
	}
	return qualityResult{name: name, expect: sc.Expect, got: out.Report.Verdict.Verdict,
		confidence: out.Report.Verdict.Confidence, calls: srv.Calls()}, out.Comment
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
