package main

// Helpers of the reliability tests (crash, replicas, shutdown, faults): the
// real binary run as a subprocess, many distinct alerts in the simulated
// Panther, deliveries that retry as Panther's do, and a look into the
// queue's own tables to tell when it has drained.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the tests read the service's SQLite queue

	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/triage"
)

// TestMain removes the binary that triageBinary built, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary.dir != "" {
		_ = os.RemoveAll(builtBinary.dir)
	}
	os.Exit(code)
}

// builtBinary is the panther-triage binary built once for all the
// subprocess tests of a run.
var builtBinary struct {
	once      sync.Once
	dir, path string
	err       error
}

// triageBinary builds ./cmd/panther-triage once per test run (with -race
// when the tests run with it, so that the subprocess is checked too) and
// returns its path.
func triageBinary(t *testing.T) string {
	t.Helper()
	b := &builtBinary
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "panther-triage-bin-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "panther-triage")
		args := []string{"build", "-o", b.path}
		if raceEnabled() {
			args = append(args, "-race")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
			return
		}
		t.Logf("built %s in %s (race %v)", b.path, time.Since(start).Round(time.Millisecond), raceEnabled())
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// freeAddr returns a loopback address with a port that was free a moment
// ago, so that a restarted subprocess can listen where the first one did.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// triageProc is `panther-triage serve` running as a subprocess.
type triageProc struct {
	cmd     *exec.Cmd
	url     string
	started time.Time
	stdout  *lineWriter
	stderr  *lineWriter
	exited  chan struct{} // closed once the process has exited
	state   *os.ProcessState
}

// startTriageProc starts the binary with `serve` and the given environment
// (on top of this process's, without its PANTHER_ variables) and waits until
// it listens. The process is killed at the end of the test if still running.
func startTriageProc(t *testing.T, bin string, vars map[string]string) *triageProc {
	t.Helper()
	p := &triageProc{stdout: newLineWriter(), stderr: newLineWriter(), exited: make(chan struct{}), started: time.Now()}
	p.cmd = exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PANTHER_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		p.cmd.Env = append(p.cmd.Env, k+"="+vars[k])
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("the race detector reported a data race in the subprocess:\n%s", tail(p.stderr.String(), 8000))
		}
		if t.Failed() {
			t.Logf("subprocess %d stderr (tail):\n%s", p.cmd.Process.Pid, tail(p.stderr.String(), 3000))
		}
	})
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line := <-p.stdout.lines:
			if rest, ok := strings.CutPrefix(line, "panther-triage listening on "); ok {
				p.url = rest
				return p
			}
		case <-p.exited:
			t.Fatalf("panther-triage exited before listening: %v\nstderr:\n%s", p.state, tail(p.stderr.String(), 3000))
		case <-deadline:
			t.Fatalf("panther-triage did not listen within 30s\nstderr:\n%s", tail(p.stderr.String(), 3000))
		}
	}
}

// kill sends SIGKILL, as the OOM killer or a power cut would, and waits for
// the process to be gone.
func (p *triageProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// wait waits up to d for the process to exit and returns its exit code, or
// -1 and an error when it did not exit in time.
func (p *triageProc) wait(d time.Duration) (int, error) {
	select {
	case <-p.exited:
		return p.state.ExitCode(), nil
	case <-time.After(d):
		return -1, fmt.Errorf("still running after %s", d)
	}
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// investigable reports whether the service investigates a sample alert
// with its default settings and comments on it: open, and not an error.
func investigable(s panthersim.SeedAlert) bool {
	return (s.Status == "" || s.Status == "OPEN" || s.Status == "TRIAGED") &&
		s.Origin.Kind != "SystemError" && !strings.HasSuffix(s.Type, "ERROR")
}

// addDistinctAlerts adds n alerts to p and returns them: copies of the
// investigable sample alerts under new 32-hex IDs derived from the test's
// name, each with its own title and detection (alerts of one detection with
// the same title would be storm repeats, linked to the first rather than
// investigated) and a day apart (so that the history step of each reads
// its own past, not every other copy's).
func addDistinctAlerts(t *testing.T, p *panthersim.Server, n int) []panthersim.SeedAlert {
	t.Helper()
	var samples []panthersim.SeedAlert
	for _, s := range panthersim.DefaultSeeds() {
		if investigable(s) {
			samples = append(samples, s)
		}
	}
	if len(samples) == 0 {
		t.Fatal("no investigable sample alert")
	}
	out := make([]panthersim.SeedAlert, 0, n)
	for i := range n {
		a := samples[i%len(samples)]
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", t.Name(), i))
		a.ID = hex.EncodeToString(sum[:16])
		a.Title = fmt.Sprintf("%s (copy %d)", a.Title, i)
		a.CreatedAt = a.CreatedAt.Add(-time.Duration(i) * 25 * time.Hour)
		if a.Detection != nil {
			d := *a.Detection
			d.ID = fmt.Sprintf("%s.Copy%d", d.ID, i)
			a.Detection = &d
			if a.Origin.ID != "" {
				a.Origin.ID = d.ID
			}
		}
		a.Link, a.Version = "", ""
		a.Events = slices.Clone(a.Events)
		for j, ev := range a.Events {
			ev = maps.Clone(ev)
			delete(ev, "p_alert_id") // AddAlert sets the new ID
			a.Events[j] = ev
		}
		p.AddAlert(a)
		out = append(out, a)
	}
	return out
}

// deliveryClient posts webhooks for the reliability tests; it never reuses
// a connection, so that a closed listener shows at once.
var deliveryClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// deliverOnce posts one webhook and returns the HTTP status, or an error when
// no answer came (refused, reset, timed out).
func deliverOnce(url string, payload []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/webhook", bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testSecret)
	resp, err := deliveryClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// deliverUntil2xx posts one webhook the way Panther retries a destination:
// again after a failed connection or a 5xx, until a 2xx or until ctx ends.
// It returns the last status (0 if no answer) and how many tries it took.
func deliverUntil2xx(ctx context.Context, url func() string, payload []byte) (status, tries int) {
	for ctx.Err() == nil {
		tries++
		st, err := deliverOnce(url(), payload)
		if err == nil && st < 500 {
			return st, tries // a 2xx, or a 4xx that Panther would not retry either
		}
		status = st
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return status, tries
}

// isRefused reports whether err means that nothing listens any more.
func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// queueDB reads the service's tables, on SQLite (a file path) or PostgreSQL
// (a postgres:// URL), to see what the queue holds.
type queueDB struct {
	sqlite *sql.DB
	pg     *pgx.Conn
}

func openQueueDB(t *testing.T, dsn string) *queueDB {
	t.Helper()
	q := &queueDB{}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatalf("connect to the test database: %v", err)
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		q.pg = conn
		return q
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	q.sqlite = db
	return q
}

// rows runs a query and calls scan for each row.
func (q *queueDB) rows(t *testing.T, query string, dest []any, each func(), args ...any) {
	t.Helper()
	if q.pg != nil {
		rows, err := q.pg.Query(t.Context(), query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if _, err := pgx.ForEachRow(rows, dest, func() error { each(); return nil }); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return
	}
	rows, err := q.sqlite.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		each()
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// jobStates counts the queue's investigation jobs by river's state
// (available, running, retryable, scheduled, completed, cancelled, …).
func (q *queueDB) jobStates(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	var state string
	var n int
	q.rows(t, `SELECT state, count(*) FROM river_job WHERE kind = 'investigate_alert' GROUP BY state`,
		[]any{&state, &n}, func() { out[state] = n })
	return out
}

// completedJobs counts the completed jobs of a kind (reconcile_alerts,
// investigate_alert, …).
func (q *queueDB) completedJobs(t *testing.T, kind string) int {
	t.Helper()
	var n int
	q.rows(t, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`, []any{&n}, func() {}, kind)
	return n
}

// jobsPerAlert counts the investigation jobs of each alert.
func (q *queueDB) jobsPerAlert(t *testing.T) map[string]int {
	t.Helper()
	query := `SELECT args->>'alert_id', count(*) FROM river_job WHERE kind = 'investigate_alert' GROUP BY 1`
	if q.sqlite != nil {
		query = `SELECT json_extract(args, '$.alert_id'), count(*) FROM river_job WHERE kind = 'investigate_alert' GROUP BY 1`
	}
	out := map[string]int{}
	var alert string
	var n int
	q.rows(t, query, []any{&alert, &n}, func() { out[alert] = n })
	return out
}

// runningSince counts the investigations that started at or after since
// and are running now, by their records: the jobs a killed process left
// behind look running too, but started before.
func (q *queueDB) runningSince(t *testing.T, since time.Time) int {
	t.Helper()
	n := 0
	var c int
	q.rows(t, `SELECT count(*) FROM triage_investigation WHERE state = 'running' AND updated_at >= $1`,
		[]any{&c}, func() { n = c }, since.UnixMilli())
	return n
}

// readRecords reads every investigation record from the database, for when
// no process serves the API.
func readRecords(t *testing.T, q *queueDB) []triage.Record {
	t.Helper()
	var out []triage.Record
	var body string
	q.rows(t, `SELECT record FROM triage_investigation ORDER BY alert_id`, []any{&body}, func() {
		var r triage.Record
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("decode record: %v", err)
		}
		out = append(out, r)
	})
	return out
}

// pending is how many investigation jobs are still to run, or running.
func pending(states map[string]int) int {
	return states["available"] + states["running"] + states["retryable"] + states["scheduled"] + states["pending"]
}

// drained waits until no investigation job is left to run: every job is
// completed, cancelled or discarded. It is the barrier before counting
// comments: once the queue is drained, no comment can come any more. It
// fails when no job ends for stall, a queue that is stuck; a slow machine
// (the race detector on two cores) only makes it wait longer. A total
// bound would turn the speed of the machine into a test failure.
func drained(t *testing.T, q *queueDB, stall time.Duration) {
	t.Helper()
	ended, since := -1, time.Now()
	for {
		states := q.jobStates(t)
		if pending(states) == 0 {
			return
		}
		if n := states["completed"] + states["cancelled"] + states["discarded"]; n != ended {
			ended, since = n, time.Now()
		}
		if time.Since(since) > stall {
			t.Fatalf("the queue made no progress for %s before it drained: %v", stall, states)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listRecords reads every investigation record through the read API.
func listRecords(t *testing.T, url string) []triage.Record {
	t.Helper()
	var page struct {
		Investigations []triage.Record `json:"investigations"`
	}
	if status := getJSON(t, url+"/api/v1/investigations?limit=500", testSecret, &page); status != http.StatusOK {
		t.Fatalf("GET /api/v1/investigations: %d", status)
	}
	return page.Investigations
}

// commentCounts tallies, over the alerts that want selects (all when nil),
// the comments in all, the alerts with none (lost) and those with more than
// one (duplicated).
func commentCounts(p *panthersim.Server, alerts []panthersim.SeedAlert, want func(id string) bool) (total, lost, duplicated int, bad []string) {
	for _, a := range alerts {
		if want != nil && !want(a.ID) {
			continue
		}
		n := len(p.Comments(a.ID))
		total += n
		switch {
		case n == 0:
			lost++
			bad = append(bad, a.ID+": no comment")
		case n > 1:
			duplicated++
			bad = append(bad, fmt.Sprintf("%s: %d comments", a.ID, n))
		}
	}
	return total, lost, duplicated, bad
}
