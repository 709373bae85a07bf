package investigate_test

import (
	"cmp"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden comments in testdata/golden")

// TestGoldenComments investigates every sample alert of the simulated
// Panther and compares the comment with testdata/golden/TestGoldenComments.
// Run `go test ./investigate -update` to rewrite them after a deliberate
// change, and read the diff.
func TestGoldenComments(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	st, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	steps := investigate.DefaultSteps(investigate.Deps{Panther: pc, Store: st})
	now := func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }

	for _, seed := range panthersim.DefaultSeeds() {
		name := cmp.Or(seed.Origin.ID, seed.Origin.Type, "alert") + "-" + seed.ID[:8]
		t.Run(name, func(t *testing.T) {
			for _, format := range []string{panther.FormatPlainText, panther.FormatHTML} {
				inv := investigate.New(pc, steps, investigate.Options{DryRun: true, Format: format, Now: now,
					Statuses: []string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"}}, zerolog.Nop())
				out, err := inv.Run(t.Context(), seed.ID, 1001, false)
				if err != nil {
					t.Fatal(err)
				}
				ext := ".txt"
				if format == panther.FormatHTML {
					ext = ".html"
				}
				compareGolden(t, filepath.Join("..", "testdata", "golden", "TestGoldenComments", name+ext), out.Comment)
			}
		})
	}
}

// queryIDs are the simulated Panther's data lake query IDs, numbered in the
// order searches arrive; searches run concurrently, so goldens hide them.
var queryIDs = regexp.MustCompile(`\bquery d[0-9a-f]{31}\b`)

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	got = queryIDs.ReplaceAllString(got, "query <query-id>")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./investigate -update` to create it)", err)
	}
	if string(want) != got {
		t.Fatalf("comment differs from %s (run `go test ./investigate -update` to accept it, then read the diff)\n--- got\n%s\n--- want\n%s",
			path, got, strings.TrimSpace(string(want)))
	}
}
