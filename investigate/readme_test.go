package investigate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEExamplesAreGoldens checks that every example comment of the
// README is the golden comment it names (a `<!-- golden: PATH -->` line
// before a fenced block), so the examples come from the program. With
// -update, the blocks are rewritten from the goldens.
func TestREADMEExamplesAreGoldens(t *testing.T) {
	readme := filepath.Join("..", "README.md")
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	found := 0
	for i := 0; i < len(lines); i++ {
		out.WriteString(lines[i])
		path, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "<!-- golden: ")
		if !ok {
			continue
		}
		path = strings.TrimSuffix(path, " -->")
		want, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Fatalf("README names %s: %v", path, err)
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Fatalf("README: no fenced block after the golden line for %s", path)
		}
		fence := strings.TrimSpace(lines[i+1])
		end := i + 2
		for end < len(lines) && strings.TrimSpace(lines[end]) != fence {
			end++
		}
		if end == len(lines) {
			t.Fatalf("README: the block for %s is not closed", path)
		}
		found++
		if got := strings.Join(lines[i+2:end], ""); got != string(want) && !*update {
			t.Errorf("README's example differs from %s (run `go test ./investigate -update`)\n--- README\n%s\n--- golden\n%s", path, got, want)
		}
		out.WriteString(lines[i+1])
		out.Write(want)
		out.WriteString(lines[end])
		i = end
	}
	if found == 0 {
		t.Fatal("README has no example comment")
	}
	if *update {
		if err := os.WriteFile(readme, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
