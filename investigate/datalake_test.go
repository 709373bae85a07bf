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

const torAlert = "4c1e8f2a9d7b3e6051c8a2f4d9e7b130"

type lakeBundle struct {
	srv *panthersim.Server
	pc  *panther.Client
	st  *store.Store
}

func lakeSetup(t *testing.T) lakeBundle {
	t.Helper()
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	// The Tor address also shows up in another log source.
	okta := panthersim.DefaultSeeds()[0]
	for _, s := range panthersim.DefaultSeeds() {
		if s.Origin.ID == "Okta.BruteForceLogins" && s.Status != "CLOSED" {
			okta = s
		}
	}
	okta.ID = "0000000000000000000000000000beef"
	ev := map[string]any{}
	for k, v := range okta.Events[0] {
		ev[k] = v
	}
	ev["p_row_id"], ev["p_event_time"], ev["p_any_ip_addresses"] = "okta-row-from-tor", "2025-06-03 13:40:00.000", []any{"185.220.101.34"}
	okta.Events = []map[string]any{ev}
	srv.AddAlert(okta)
	st, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return lakeBundle{srv: srv, pc: panther.New(srv.GraphQLURL(), "", srv.Token), st: st}
}

func (b lakeBundle) investigator(opts investigate.DatalakeOptions) *investigate.Investigator {
	steps := investigate.DefaultSteps(investigate.Deps{Panther: b.pc, Store: b.st, Datalake: opts})
	return investigate.New(b.pc, steps, investigate.Options{DryRun: true}, zerolog.Nop())
}

// pivots are the data lake step's searches: the baseline step's search of
// the top actor's last 30 days is left out.
func (b lakeBundle) pivots() []panthersim.LakeQuery {
	var out []panthersim.LakeQuery
	for _, q := range b.srv.DataLakeQueries() {
		var ind, from, to string
		if _, err := fmt.Sscanf(q.SQL, "-- indicator search for %s between %s and %s", &ind, &from, &to); err == nil {
			start, err1 := time.Parse(time.RFC3339, from)
			end, err2 := time.Parse(time.RFC3339, to)
			if err1 == nil && err2 == nil && end.Sub(start) > 7*24*time.Hour {
				continue
			}
		}
		out = append(out, q)
	}
	return out
}

func findingOf(t *testing.T, out investigate.Result, kind string) triage.Finding {
	t.Helper()
	for _, f := range out.Report.Findings {
		if f.Step == triage.StepDatalake && f.Kind == kind {
			return f
		}
	}
	t.Fatalf("no datalake %s finding in %+v", kind, out.Report.Findings)
	return triage.Finding{}
}

func TestDatalakePivotFindsActivityBeyondTheAlert(t *testing.T) {
	b := lakeSetup(t)
	out, err := b.investigator(investigate.DatalakeOptions{MaxPerInvestigation: 1}).Run(t.Context(), torAlert, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	f := findingOf(t, out, "indicator_search")
	// It says what the address did elsewhere, not only how often.
	if !strings.HasPrefix(f.Title, "185.220.101.34 also: ") || !strings.Contains(f.Title, "Okta.SystemLog") {
		t.Errorf("finding %q; want what 185.220.101.34 did in the Okta logs", f.Title)
	}
	if f.Weight != triage.WeightSuspicious {
		t.Fatalf("finding %+v; want suspicious: the IP is active in Okta logs too", f)
	}
	refs := map[string]bool{}
	for _, e := range f.Evidence {
		refs[e.Kind+":"+e.Ref] = true
	}
	if !refs["event:okta-row-from-tor"] || len(b.pivots()) != 1 || !refs["query:"+b.pivots()[0].ID] {
		t.Fatalf("evidence %v; want the query and the Okta row", f.Evidence)
	}
	if out.Report.Cost.LakeSearches != len(b.srv.DataLakeQueries()) || out.Report.Cost.BytesScanned <= 0 { // the pivot and the baseline
		t.Fatalf("cost %+v", out.Report.Cost)
	}
	q := b.pivots()[0]
	if len(q.Indicators) != 1 || q.Indicators[0] != "185.220.101.34" {
		t.Fatalf("searched %v", q.Indicators)
	}
}

func TestDatalakeStormSearchesEachIndicatorOnce(t *testing.T) {
	b := lakeSetup(t)
	inv := b.investigator(investigate.DatalakeOptions{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := inv.Run(t.Context(), torAlert, int64(i), false); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Distinct (indicator, window) pairs of this alert: its top pivots.
	distinct := map[string]bool{}
	for _, q := range b.pivots() {
		distinct[q.Indicators[0]] = true
	}
	if n := len(b.pivots()); n != len(distinct) || n == 0 || n > 3 {
		t.Fatalf("%d searches for %d distinct indicators over 8 investigations; want one each", n, len(distinct))
	}
}

func TestDatalakeTimeoutCancelsAndReportsMissingEvidence(t *testing.T) {
	b := lakeSetup(t)
	b.srv.SetQueryPolls(-1) // never finishes
	out, err := b.investigator(investigate.DatalakeOptions{MaxPerInvestigation: 1, Timeout: 700 * time.Millisecond}).Run(t.Context(), torAlert, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(t, out, "search_failed"); f.Weight != triage.WeightMissing {
		t.Fatalf("finding %+v", f)
	}
	if qs := b.pivots(); len(qs) != 1 || qs[0].Status != "cancelled" {
		t.Fatalf("queries %+v; want the search cancelled", qs)
	}
	if out.Report.Verdict.Label == triage.VerdictBenign {
		t.Fatal("benign without the data lake evidence")
	}
}

func TestDatalakeHourlyBudget(t *testing.T) {
	b := lakeSetup(t)
	out, err := b.investigator(investigate.DatalakeOptions{MaxPerInvestigation: 3, MaxPerHour: 1}).Run(t.Context(), torAlert, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	findingOf(t, out, "budget")
	if n := len(b.pivots()); n != 1 {
		t.Fatalf("%d searches; want the budget of 1", n)
	}
}

// TestDatalakeSearchesByKindAndWaitsForResults searches a bare username,
// which Panther's auto-detection cannot tell from any other string: the
// search names p_any_usernames and finds the user's activity in another
// alert, although the finished query first answers tryAgain with no rows.
func TestDatalakeSearchesByKindAndWaitsForResults(t *testing.T) {
	b := lakeSetup(t)
	const githubAlert = "9d4f2b7e1c6a8d3052f9b4e7c1a6d835"
	var gh panthersim.SeedAlert
	for _, s := range panthersim.DefaultSeeds() {
		if s.ID == githubAlert {
			gh = s
		}
	}
	other := gh
	other.ID = "00000000000000000000000000000ace"
	ev := map[string]any{}
	for k, v := range gh.Events[0] {
		ev[k] = v
	}
	ev["p_row_id"], ev["p_log_type"], ev["p_any_ip_addresses"] = "other-row-of-the-user", "GitHub.Audit", nil
	other.Events = []map[string]any{ev}
	b.srv.AddAlert(other)
	b.srv.SetTryAgain(1)

	out, err := b.investigator(investigate.DatalakeOptions{MaxPerInvestigation: 3}).Run(t.Context(), githubAlert, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range out.Report.Findings {
		if f.Step == "datalake" && strings.HasPrefix(f.Title, "jdoe-contractor also: repo.access acme/payments-service made public") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no finding of jdoe-contractor's other events in %+v", out.Report.Findings)
	}
}

// keyRecorder records the cache keys the steps claim.
type keyRecorder struct {
	investigate.Store
	mu   sync.Mutex
	lake map[string]bool
	read map[string]bool // kind|key
}

func (r *keyRecorder) ClaimLakeSearch(ctx context.Context, key string, perHour int, wait time.Duration) (triage.LakeClaim, error) {
	r.mu.Lock()
	r.lake[key] = true
	r.mu.Unlock()
	return r.Store.ClaimLakeSearch(ctx, key, perHour, wait)
}

func (r *keyRecorder) ClaimRead(ctx context.Context, kind, key string, perHour int, ttl, wait time.Duration) (triage.ReadClaim, error) {
	r.mu.Lock()
	r.read[kind+"|"+key] = true
	r.mu.Unlock()
	return r.Store.ClaimRead(ctx, kind, key, perHour, ttl, wait)
}

// LakeSearchKeys and BaselineSearchKey name the keys the data lake and
// baseline steps claim, so that a count of the searches alerts need (the
// storm benchmark's) matches what the service searches.
func TestSearchKeysMatchTheStepsClaims(t *testing.T) {
	b := lakeSetup(t)
	rec := &keyRecorder{Store: b.st, lake: map[string]bool{}, read: map[string]bool{}}
	steps := investigate.DefaultSteps(investigate.Deps{Panther: b.pc, Store: rec})
	inv := investigate.New(b.pc, steps, investigate.Options{DryRun: true}, zerolog.Nop())
	if _, err := inv.Run(t.Context(), torAlert, 1, false); err != nil {
		t.Fatal(err)
	}

	seed, ok := b.srv.Alert(torAlert)
	if !ok {
		t.Fatal("no seed alert")
	}
	events := make([]panther.Event, len(seed.Events))
	for i, e := range seed.Events {
		events[i] = e
	}
	c := &investigate.Case{Alert: &panther.Alert{ID: seed.ID, CreatedAt: seed.CreatedAt, Context: seed.Context}, Now: time.Now(),
		Events: events, Indicators: investigate.ExtractIndicators(events, seed.Context)}

	want := investigate.LakeSearchKeys(c, investigate.DatalakeOptions{})
	if len(want) == 0 {
		t.Fatal("LakeSearchKeys: none")
	}
	got := slices.Sorted(maps.Keys(rec.lake))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("data lake step claimed %q, LakeSearchKeys %q", got, want)
	}

	bk := investigate.BaselineSearchKey(c, investigate.BaselineOptions{})
	if bk == "" {
		t.Fatal("BaselineSearchKey: none")
	}
	var baseline []string
	for k := range rec.read {
		if rest, ok := strings.CutPrefix(k, "baseline|"); ok {
			baseline = append(baseline, rest)
		}
	}
	if len(baseline) != 1 || baseline[0] != bk {
		t.Errorf("baseline step claimed %q, BaselineSearchKey %q", baseline, bk)
	}
}
