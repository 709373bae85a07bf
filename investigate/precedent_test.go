package investigate_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// Alerts of the seed files precedent-*.json.
const (
	qaAlert        = "7cbdbe57e4daf9cc30ff784c1892f5a6" // QA login without MFA, from its usual place
	qaDeparture    = "31896c056006f74bdbf7b08b5174ed4a" // the same account, from a hosting network abroad
	qaWeakAlert    = "c4c03cbb64a8dab288706864812b26de" // a LOW alert of another detection naming the QA user
	oktaGrantAlert = "e57871306b03f3bd9a79881ef5a43360" // admin role granted by the actor of three earlier grants
	oktaBruteForce = "44658390e3597eba7c086b13fb4a6c6a" // the brute force of that actor the day before
)

// serveSteps are the steps of cmd/panther-triage/serve.go, with defaults.
func serveSteps(pc *panther.Client, src investigate.PrecedentSource, st *store.Store) []investigate.Step {
	return []investigate.Step{
		investigate.Events(pc, 200),
		investigate.Indicators(),
		investigate.Detection(investigate.CachedDetections(pc, st, 0)),
		investigate.Enrichment(nil),
		investigate.History(investigate.CachedAlerts(pc, st, 0)),
		investigate.PrecedentStep(src, st, investigate.PrecedentOptions{}),
		investigate.BaselineStep(pc, st, investigate.BaselineOptions{}),
		investigate.Datalake(pc, st, investigate.DatalakeOptions{}),
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// byKind indexes findings by kind.
func byKind(fs []triage.Finding) map[string]triage.Finding {
	out := map[string]triage.Finding{}
	for _, f := range fs {
		if _, ok := out[f.Kind]; !ok {
			out[f.Kind] = f
		}
	}
	return out
}

// TestPrecedentSeedScenarios runs the seeded scenarios with planted
// history and checks what the precedent and the baseline say.
func TestPrecedentSeedScenarios(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	st := openStore(t)
	now := func() time.Time { return time.Date(2025, 6, 11, 12, 0, 0, 0, time.UTC) }
	inv := investigate.New(pc, serveSteps(pc, pc, st), investigate.Options{DryRun: true, Now: now}, zerolog.Nop())

	run := func(t *testing.T, id string) (map[string]triage.Finding, investigate.Report) {
		out, err := inv.Run(t.Context(), id, 1, false)
		if err != nil {
			t.Fatal(err)
		}
		return byKind(out.Report.Findings), out.Report
	}
	t.Run("QA account closed as expected four times", func(t *testing.T) {
		fs, r := run(t, qaAlert)
		f, ok := fs["precedent_closed_as_expected"]
		if !ok || f.Weight != triage.WeightBenign || len(f.Evidence) != 4 ||
			!strings.Contains(f.Title, `"QA account, expected."`) || !strings.Contains(f.Title, "34.201.55.18") {
			t.Fatalf("no strong benign precedent quoting the analysts: %+v", fs)
		}
		// The weak alert naming the same user is context, not a reason.
		if c, ok := fs["correlated_alerts"]; !ok || c.Weight != triage.WeightInfo || !strings.Contains(c.Title, qaWeakAlert) {
			t.Errorf("weak co-occurring alert: %+v", c)
		}
		if b := fs["baseline_usual_place"]; b.Weight != triage.WeightBenign || !strings.Contains(b.Title, "seen on 4 of the last 30 days") {
			t.Errorf("baseline: %+v", b)
		}
		if _, ok := fs["precedent_departure"]; ok {
			t.Errorf("departure from the usual place reported: %+v", fs["precedent_departure"])
		}
		if r.Verdict.Label != triage.VerdictBenign {
			t.Errorf("verdict %s, want benign", r.Verdict.Label)
		}
	})
	t.Run("same QA account from elsewhere departs from precedent", func(t *testing.T) {
		fs, _ := run(t, qaDeparture)
		f, ok := fs["precedent_departure"]
		if !ok || f.Weight != triage.WeightSuspicious ||
			!strings.Contains(f.Title, "came from 34.201.55.18 (AS14618") || !strings.Contains(f.Title, "this alert's is from 91.214.124.77 (AS51765") {
			t.Fatalf("departure: %+v", f)
		}
		if _, ok := fs["precedent_closed_as_expected"]; ok {
			t.Error("benign precedent not overridden by the departure")
		}
		if b := fs["baseline_new_network"]; b.Weight != triage.WeightSuspicious || !strings.Contains(b.Title, "First time in 30 days") {
			t.Errorf("baseline: %+v", b)
		}
	})
	t.Run("Okta grant by the actor of the earlier grants, from the brute-forcing address", func(t *testing.T) {
		fs, r := run(t, oktaGrantAlert)
		if f, ok := fs["actor_new_to_detection"]; ok {
			t.Errorf("the actor made the three earlier grants, yet: %s", f.Title)
		}
		f := fs["precedent_departure"]
		if !strings.Contains(f.Title, "64.124.16.10") || !strings.Contains(f.Title, "193.32.162.77") || !strings.Contains(f.Detail, "Approved") {
			t.Errorf("departure: %+v", f)
		}
		c := fs["correlated_alerts"]
		if c.Weight != triage.WeightSuspicious || !strings.Contains(c.Title, oktaBruteForce) || !strings.Contains(c.Title, "address 193.32.162.77") {
			t.Errorf("correlation with the brute force: %+v", c)
		}
		if b := fs["baseline_new_network"]; !strings.Contains(b.Title, "10 h before") {
			t.Errorf("baseline: %+v", b)
		}
		p := findPrecedent(t, r)
		if len(p) != 4 {
			t.Fatalf("precedent alerts %+v, want the 3 grants and the brute force", p)
		}
	})
}

// findPrecedent returns the alerts the precedent read, from the record's
// evidence (the Case is not in the report).
func findPrecedent(t *testing.T, r investigate.Report) []string {
	t.Helper()
	var ids []string
	for _, f := range r.Findings {
		if f.Step != "precedent" {
			continue
		}
		for _, e := range f.Evidence {
			if e.Kind == "alert" && !slices.Contains(ids, e.Ref) {
				ids = append(ids, e.Ref)
			}
		}
	}
	return ids
}

// countingReader counts reads of other alerts per alert.
type countingReader struct {
	pc     *panther.Client
	mu     sync.Mutex
	events map[string]int
	notes  map[string]int
}

func (c *countingReader) AlertEvents(ctx context.Context, id string, max int) ([]panther.Event, error) {
	c.mu.Lock()
	c.events[id]++
	c.mu.Unlock()
	return c.pc.AlertEvents(ctx, id, max)
}

func (c *countingReader) Comments(ctx context.Context, id string) ([]panther.Comment, error) {
	c.mu.Lock()
	c.notes[id]++
	c.mu.Unlock()
	return c.pc.Comments(ctx, id)
}

// TestPrecedentBurst investigates a burst of alerts of one detection at
// once: each earlier alert's events and comments are read once, and an
// alert costs at most 6 Panther API calls on average, data lake searches
// and polls aside.
func TestPrecedentBurst(t *testing.T) {
	const burst = 20
	var seeds []panthersim.SeedAlert
	var current panthersim.SeedAlert
	for _, s := range panthersim.DefaultSeeds() {
		switch {
		case s.Origin.ID == "AWS.Console.LoginWithoutMFA" && s.Status == "CLOSED", s.ID == qaWeakAlert:
			seeds = append(seeds, s)
		case s.ID == qaAlert:
			current = s
		}
	}
	var ids []string
	for i := range burst {
		a := current
		a.ID = fmt.Sprintf("%032x", 0xb0000+i)
		a.CreatedAt = current.CreatedAt.Add(time.Duration(i) * time.Second)
		ev := maps.Clone(a.Events[0])
		ev["p_row_id"] = fmt.Sprintf("%032x", 0xe0000+i)
		a.Events = []map[string]any{ev}
		seeds = append(seeds, a)
		ids = append(ids, a.ID)
	}
	srv := panthersim.New(panthersim.WithSeeds(seeds...))
	srv.Start()
	t.Cleanup(srv.Close)
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	st := openStore(t)
	reader := &countingReader{pc: pc, events: map[string]int{}, notes: map[string]int{}}
	now := func() time.Time { return current.CreatedAt.Add(2 * time.Minute) }
	inv := investigate.New(pc, serveSteps(pc, reader, st), investigate.Options{Now: now}, zerolog.Nop())

	var wg sync.WaitGroup
	errs := make([]error, burst)
	reports := make([]investigate.Report, burst)
	for i, id := range ids {
		wg.Go(func() {
			out, err := inv.Run(t.Context(), id, int64(i+1), false)
			errs[i], reports[i] = err, out.Report
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("alert %s: %v", ids[i], err)
		}
		if _, ok := byKind(reports[i].Findings)["precedent_closed_as_expected"]; !ok {
			t.Errorf("alert %s: no precedent: %+v", ids[i], reports[i].Findings)
		}
	}
	for _, s := range seeds[:5] {
		if n := reader.events[s.ID]; n != 1 {
			t.Errorf("events of earlier alert %s read %d times, want once", s.ID, n)
		}
		if want := map[bool]int{true: 1, false: 0}[s.Status == "CLOSED"]; reader.notes[s.ID] != want {
			t.Errorf("comments of earlier alert %s read %d times, want %d", s.ID, reader.notes[s.ID], want)
		}
	}
	calls := srv.Calls()
	total, lake := 0, calls["executeIndicatorSearchQuery"]+calls["dataLakeQuery"]+calls["cancelDataLakeQuery"]
	for k, v := range calls {
		if strings.HasPrefix(k, "GET ") || strings.HasPrefix(k, "POST ") {
			total += v
		}
	}
	perAlert := float64(total-lake) / burst
	t.Logf("%d alerts: %d API calls besides %d data lake calls, %.2f per alert; %v", burst, total-lake, lake, perAlert, calls)
	if perAlert > 6 {
		t.Errorf("%.2f API calls per alert besides the data lake, want at most 6", perAlert)
	}
}
