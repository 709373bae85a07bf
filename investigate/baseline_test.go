package investigate_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/triage"
)

// lakeCounter is a data lake observer that records outcomes.
type lakeCounter struct {
	mu       sync.Mutex
	outcomes []string
	bytes    int64
}

func (l *lakeCounter) DataLakeQuery(outcome string, bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes = append(l.outcomes, outcome)
	l.bytes += bytes
}

// TestBaselineCostAndBudget checks that the baseline's search, polls and
// bytes reach the record and the observer, that a second alert of the same
// actor and hour is answered from the cache, and that a search over the
// hourly budget is missing evidence.
func TestBaselineCostAndBudget(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	srv.SetQueryPolls(2) // running, running, then succeeded: three polls
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	st := openStore(t)
	obs := &lakeCounter{}
	steps := []investigate.Step{investigate.Events(pc, 200), investigate.Indicators(),
		investigate.BaselineStep(pc, st, investigate.BaselineOptions{MaxPerHour: 1, Observer: obs})}
	inv := investigate.New(pc, steps, investigate.Options{DryRun: true}, zerolog.Nop())

	out, err := inv.Run(t.Context(), qaAlert, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	cost := out.Report.Cost
	if cost.LakeSearches != 1 || cost.LakePolls != 3 || cost.BytesScanned <= 0 {
		t.Errorf("cost %+v, want 1 search, 3 polls and the bytes scanned", cost)
	}
	// The same actor in the same hour: the cache answers.
	srv.AddAlert(withID(t, qaAlert, "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"))
	out, err = inv.Run(t.Context(), "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if c := out.Report.Cost; c.LakeSearches != 0 || c.LakeCached != 1 || c.LakePolls != 0 {
		t.Errorf("second alert cost %+v, want the cached baseline", c)
	}
	// Another actor, with the hourly budget of one search used up.
	out, err = inv.Run(t.Context(), oktaGrantAlert, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	var budget *triage.Finding
	for _, f := range out.Report.Findings {
		if f.Kind == "baseline_budget" {
			budget = &f
		}
	}
	if budget == nil || budget.Weight != triage.WeightMissing || !strings.Contains(budget.Title, "budget") {
		t.Errorf("over budget: %+v", out.Report.Findings)
	}
	if got := strings.Join(obs.outcomes, ","); got != "succeeded,cached,over_budget" || obs.bytes <= 0 {
		t.Errorf("observer saw %s and %d bytes", got, obs.bytes)
	}
}

// withID copies a seeded alert under a new ID, its events with new row IDs.
func withID(t *testing.T, id, newID string) panthersim.SeedAlert {
	t.Helper()
	for _, s := range panthersim.DefaultSeeds() {
		if s.ID != id {
			continue
		}
		s.ID = newID
		s.CreatedAt = s.CreatedAt.Add(time.Minute)
		var events []map[string]any
		for i, ev := range s.Events {
			c := map[string]any{}
			for k, v := range ev {
				c[k] = v
			}
			c["p_row_id"] = newID[:30] + string(rune('a'+i)) + "x"
			events = append(events, c)
		}
		s.Events = events
		return s
	}
	t.Fatalf("no seed %s", id)
	return panthersim.SeedAlert{}
}
