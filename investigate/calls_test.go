package investigate_test

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
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
)

// lakeOps are the client operations that search the data lake or poll it;
// they are counted apart from the calls an investigation makes to read and
// comment on the alert.
var lakeOps = []string{"indicator_search", "lake_query", "lake_cancel"}

// maxCallsPerInvestigation bounds the Panther calls, data lake searches and
// polls aside, that one investigation of a sample alert makes, comment
// included.
const maxCallsPerInvestigation = 6

// TestCallsPerInvestigation investigates every sample alert with the
// production steps, as the worker does (the delivery names the detection),
// and counts the Panther API requests, data lake searches
// and polls aside: each alert costs at most maxCallsPerInvestigation.
// Run with -v to read the counts per operation.
func TestCallsPerInvestigation(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	var (
		mu    sync.Mutex
		calls = map[string]int{}
	)
	pc := panther.New(srv.GraphQLURL(), "", srv.Token, panther.WithObserver(func(op string, _ int, _ error, _ time.Duration) {
		mu.Lock()
		calls[op]++
		mu.Unlock()
	}))
	st, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	steps := []investigate.Step{investigate.Events(pc, 200), investigate.Indicators(), investigate.Detection(pc),
		investigate.Enrichment(nil), investigate.History(pc), investigate.Datalake(pc, st, investigate.DatalakeOptions{})}
	now := func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }
	inv := investigate.New(pc, steps, investigate.Options{Now: now, Writer: pc,
		Statuses: []string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"}}, zerolog.Nop())

	for i, seed := range panthersim.DefaultSeeds() {
		name := cmp.Or(seed.Origin.ID, seed.Origin.Type, "alert") + "-" + seed.ID[:8]
		mu.Lock()
		clear(calls)
		mu.Unlock()
		req := investigate.Request{AlertID: seed.ID, JobID: int64(2000 + i),
			DetectionID: seed.Origin.ID, ReceivedAt: seed.CreatedAt.Add(time.Minute)}
		if seed.Type == "SYSTEM_ERROR" {
			req.DetectionID = ""
		}
		if _, err := inv.Investigate(t.Context(), req); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		mu.Lock()
		api, lake := 0, 0
		var parts []string
		for _, op := range slices.Sorted(maps.Keys(calls)) {
			parts = append(parts, op+"="+strconv.Itoa(calls[op]))
			if slices.Contains(lakeOps, op) {
				lake += calls[op]
			} else {
				api += calls[op]
			}
		}
		mu.Unlock()
		t.Logf("%-45s calls %d (data lake %d): %s", name, api, lake, strings.Join(parts, " "))
		if api > maxCallsPerInvestigation {
			t.Errorf("%s: %d Panther calls besides the data lake; want at most %d", name, api, maxCallsPerInvestigation)
		}
	}
}
