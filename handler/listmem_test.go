package handler_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/handler"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// BenchmarkListMemory stores 200 records whose titles and comments are
// 1 MiB each, then lists them the ways a browser and a client do (the
// page, the API at its largest page size, every page of the API), and
// reports this process's peak RSS while listing (peak-RSS-MB; the peak is
// reset after the records are stored). It fails above 100 MB.
//
//	go test ./handler -run '^$' -bench BenchmarkListMemory -benchtime 20x
func BenchmarkListMemory(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchListMemory(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchListMemory(b, storetest.Postgres(b)) })
}

func benchListMemory(b *testing.B, dsn string) {
	const records, big = 200, 1 << 20
	st, err := store.Open(b.Context(), store.Config{DSN: dsn}, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	huge := strings.Repeat("A", big)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range records {
		rec := triage.Record{
			AlertID: fmt.Sprintf("%032x", i), State: triage.StateDone, Verdict: triage.VerdictBenign,
			Title: huge, Comment: huge, CreatedAt: start.Add(time.Duration(i) * time.Second),
		}
		if err := st.SaveRecord(b.Context(), rec); err != nil {
			b.Fatal(err)
		}
	}
	h := handler.New(handler.Config{Secret: "s"}, st, st, st, zerolog.Nop())
	get := func(path string) string {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.SetBasicAuth("any", "s")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}

	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the peak RSS: %v", err)
	}
	before := rssMB(b, "VmRSS")
	for b.Loop() {
		get("/")
		get("/?limit=500")
		get("/api/v1/investigations?limit=500")
		for cursor, pages := "", 0; ; pages++ {
			body := get("/api/v1/investigations?limit=50&cursor=" + cursor)
			i := strings.Index(body, `"nextCursor":"`)
			if i < 0 {
				break
			}
			cursor = body[i+len(`"nextCursor":"`):]
			cursor = cursor[:strings.IndexByte(cursor, '"')]
		}
	}
	peak := rssMB(b, "VmHWM")
	b.ReportMetric(before, "RSS-before-MB")
	b.ReportMetric(peak, "peak-RSS-MB")
	if peak > 100 {
		b.Errorf("peak RSS while listing = %.0f MB, want at most 100", peak)
	}
}

// rssMB reads a field of /proc/self/status (in kB) in MB.
func rssMB(b *testing.B, field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if ok && name == field {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				b.Fatalf("%s: %v", field, err)
			}
			return float64(kb) / 1000
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}
