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
	"unicode/utf8"

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
					Statuses:  []string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"},
					PublicURL: goldenPublicURL, ConsoleURL: goldenConsoleURL}, zerolog.Nop())
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

// The service's and Panther's addresses in the golden comments.
const (
	goldenPublicURL  = "https://triage.acme.example"
	goldenConsoleURL = "https://acme.runpanther.net"
)

// queryIDs are the simulated Panther's data lake query IDs, numbered in the
// order searches arrive; searches run concurrently, so goldens hide them.
var queryIDs = regexp.MustCompile(`\bquery d[0-9a-f]{31}\b`)

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	got = queryIDs.ReplaceAllString(got, "query <query-id>")
	checkComment(t, path, got)
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

// commentIDs are what the comments must not repeat: Panther's alert IDs and
// event p_row_ids (32 hex digits), query IDs, UUIDs and AWS access keys.
var commentIDs = regexp.MustCompile(`\b[0-9a-f]{32}\b|<query-id>|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)

// checkComment fails when a comment is longer than the budget or writes an
// ID more than twice.
func checkComment(t *testing.T, name, comment string) {
	t.Helper()
	if n := utf8.RuneCountInString(comment); n > investigate.MaxCommentChars {
		t.Errorf("%s: %d characters; the budget is %d", name, n, investigate.MaxCommentChars)
	}
	counts := map[string]int{}
	for _, id := range commentIDs.FindAllString(comment, -1) {
		counts[id]++
	}
	for id, n := range counts {
		if n > 2 {
			t.Errorf("%s: %s written %d times; at most twice", name, id, n)
		}
	}
}

// TestGoldenCommentsKeepTheBudget reads every golden comment, of the
// sample alerts and of the quality set, and checks the length budget and
// that no ID is written more than twice.
func TestGoldenCommentsKeepTheBudget(t *testing.T) {
	n := 0
	for _, dir := range []string{"TestGoldenComments", "TestQualitySet"} {
		paths, err := filepath.Glob(filepath.Join("..", "testdata", "golden", dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			checkComment(t, p, string(b))
			n++
		}
	}
	if n < 2*len(panthersim.DefaultSeeds())+30 {
		t.Fatalf("only %d golden comments found", n)
	}
}
