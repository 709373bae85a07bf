package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
)

const (
	documentedAlert = "b90c19e66e160e194a5b3b94ec27fb7c"
	testSecret      = "e2e-secret"
)

// documentedPayload is Panther's documented Custom Webhook example.
const documentedPayload = `{"id":"AllLogs.IPMonitoring","createdAt":"2020-10-13T03:35:24Z","severity":"INFO","type":"RULE",
 "link":"https://runpanther.io/alerts/b90c19e66e160e194a5b3b94ec27fb7c",
 "title":"New Alert: Suspicious traffic detected from [123.123.123.123]","name":"Monitor Suspicious IPs",
 "alertId":"b90c19e66e160e194a5b3b94ec27fb7c",
 "description":"This rule alerts on any activity outside of our IP address whitelist","runbook":"",
 "tags":["Network Monitoring","Threat Intel"],"version":"CJm9PiaXV0q8U0JhoFmE6L21ou7e5Ek0"}`

// env is a getenv over a map.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// lineWriter collects output and hands each line to a channel as well.
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	lines chan string
	part  string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 1000)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part += string(p)
	for {
		i := strings.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- w.part[:i]:
		default:
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// service is a running `serve` started in-process.
type service struct {
	url    string
	stdout *lineWriter
	stderr *lineWriter
	stop   func() error
}

// startServe runs `serve` with args and the environment, and waits until it
// listens.
func startServe(t *testing.T, vars map[string]string, args ...string) *service {
	t.Helper()
	s, listening := launchServe(t, "serve", vars, nil, args...)
	if err := listening(); err != nil {
		t.Fatalf("serve %v", err)
	}
	return s
}

// launchServe runs `serve` in-process once gate is closed (nil: at once),
// stopped when the test ends; listening waits until it listens and sets its
// URL.
func launchServe(t *testing.T, name string, vars map[string]string, gate <-chan struct{}, args ...string) (s *service, listening func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newLineWriter(), newLineWriter()
	done := make(chan error, 1)
	go func() {
		if gate != nil {
			<-gate
		}
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), env(vars), strings.NewReader(""), stdout, stderr)
	}()
	s = &service{stdout: stdout, stderr: stderr}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(60 * time.Second):
				stopErr = fmt.Errorf("serve did not stop within 60s")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("%s: %v\nstderr:\n%s", name, err, tail(stderr.String(), 3000))
		}
	})
	listening = func() error {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case line := <-stdout.lines:
				if rest, ok := strings.CutPrefix(line, "panther-triage listening on "); ok {
					s.url = rest
					return nil
				}
			case err := <-done:
				done <- err // for stop
				return fmt.Errorf("exited before listening: %v\nstderr:\n%s", err, tail(stderr.String(), 3000))
			case <-deadline:
				return fmt.Errorf("did not listen within 30s\nstderr:\n%s", tail(stderr.String(), 3000))
			}
		}
	}
	return s, listening
}

func post(t *testing.T, url, secret, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func getJSON(t *testing.T, url, secret string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("any", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

// eventually polls cond every 20 ms until it holds; if within passes
// first, the test fails, naming what it waited for and printing details.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool, details ...func() any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			var d []string
			for _, f := range details {
				d = append(d, fmt.Sprint(f()))
			}
			t.Fatalf("timed out after %s waiting for %s %s", within, what, strings.Join(d, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startPanther(t *testing.T, opts ...panthersim.Option) *panthersim.Server {
	t.Helper()
	p := panthersim.New(append([]panthersim.Option{panthersim.WithSeeds(panthersim.DefaultSeeds()...)}, opts...)...)
	p.Start()
	t.Cleanup(p.Close)
	return p
}

// testEnv is the one environment builder of these tests: the settings of a
// service against the simulated Panther p with the database db, changed by
// each of opts in turn.
func testEnv(p *panthersim.Server, db string, opts ...envOption) map[string]string {
	vars := map[string]string{
		"PANTHER_API_URL":               p.GraphQLURL(),
		"PANTHER_API_TOKEN":             p.Token,
		"PANTHER_TRIAGE_WEBHOOK_SECRET": testSecret,
		"PANTHER_TRIAGE_DB":             db,
	}
	for _, o := range opts {
		o(vars)
	}
	return vars
}

// envOption changes the settings testEnv builds.
type envOption func(vars map[string]string)

// unbounded removes the intake's budgets, so that every alert of a test is
// investigated in full rather than answered with a notice.
func unbounded(vars map[string]string) {
	vars["PANTHER_TRIAGE_MAX_PER_DETECTION_HOUR"] = "0"
	vars["PANTHER_TRIAGE_MAX_PER_HOUR"] = "0"
}

// set sets one environment variable.
func set(name, value string) envOption {
	return func(vars map[string]string) { vars[name] = value }
}

func TestEndToEndOneCommentPerAlert(t *testing.T) {
	p := startPanther(t)
	db := filepath.Join(t.TempDir(), "triage.db")
	svc := startServe(t, testEnv(p, db))

	status, body := post(t, svc.url+"/webhook", testSecret, documentedPayload)
	if status != http.StatusAccepted || body["status"] != "queued" || body["jobId"] == "" {
		t.Fatalf("first delivery: %d %v; want 202 queued with a job ID", status, body)
	}
	jobID := body["jobId"].(string)
	eventually(t, 30*time.Second, "the comment", func() bool { return len(p.Comments(documentedAlert)) == 1 })

	comment := p.Comments(documentedAlert)[0].Body
	lines := strings.Split(strings.TrimRight(comment, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "panther-triage: ") || !strings.Contains(lines[0], "(confidence 0.") {
		t.Errorf("first line = %q", lines[0])
	}
	if want := "panther-triage run " + jobID + " · " + documentedAlert; lines[len(lines)-1] != want {
		t.Errorf("last line = %q; want %q", lines[len(lines)-1], want)
	}

	// Panther retries, or someone re-sends: still one comment.
	status, body = post(t, svc.url+"/webhook", testSecret, documentedPayload)
	if status != http.StatusOK || body["status"] != "duplicate" {
		t.Fatalf("second delivery: %d %v; want 200 duplicate", status, body)
	}
	var rec map[string]any
	eventually(t, 30*time.Second, "the record to be done", func() bool {
		getJSON(t, svc.url+"/api/v1/investigations/"+documentedAlert, testSecret, &rec)
		return rec["state"] == "done"
	})
	if rec["commentId"] != p.Comments(documentedAlert)[0].ID || rec["verdict"] == "" || rec["attempts"] != float64(1) {
		t.Errorf("record = %v", rec)
	}
	if timings, _ := rec["timings"].(map[string]any); timings["events"] == nil || timings["total"] == nil {
		t.Errorf("record timings = %v", rec["timings"])
	}
	// The duplicate queued no job, and the first one is final: no comment
	// can come any more.
	q := openQueueDB(t, db)
	drained(t, q, 30*time.Second)
	if jobs := q.jobsPerAlert(t)[documentedAlert]; jobs != 1 {
		t.Fatalf("%d jobs after a duplicate delivery; want 1", jobs)
	}
	if n := len(p.Comments(documentedAlert)); n != 1 {
		t.Fatalf("%d comments after a duplicate delivery; want 1", n)
	}

	// The same database after a restart still knows the delivery.
	if err := svc.stop(); err != nil {
		t.Fatal(err)
	}
	svc2 := startServe(t, testEnv(p, db))
	if status, body := post(t, svc2.url+"/webhook", testSecret, documentedPayload); status != http.StatusOK || body["status"] != "duplicate" {
		t.Fatalf("delivery after restart: %d %v; want 200 duplicate", status, body)
	}
}

func TestEndToEndTestAlertAndRejects(t *testing.T) {
	p := startPanther(t)
	db := filepath.Join(t.TempDir(), "t.db")
	svc := startServe(t, testEnv(p, db))
	test := `{"id":"Test.Alert","createdAt":"2022-04-26T03:17:32.099054303Z","severity":"INFO","type":"RULE","link":"https://domain.runpanther.net","title":"This is a Test Alert","name":"Test Alert","alertId":"Test.Alert","alertContext":{},"description":"This is a Test Alert","runbook":"Stuck? Check out our docs: https://docs.runpanther.io","tags":["test"],"version":"abcdefg"}`
	before := p.Calls()
	if status, body := post(t, svc.url+"/webhook", testSecret, test); status != http.StatusOK || body["status"] != "test" {
		t.Fatalf("test alert: %d %v", status, body)
	}
	if status, _ := post(t, svc.url+"/webhook", "wrong", documentedPayload); status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", status)
	}
	// Only a job calls Panther, and none was queued.
	if jobs := openQueueDB(t, db).jobStates(t); len(jobs) != 0 {
		t.Fatalf("jobs queued for a test alert or a rejected delivery: %v", jobs)
	}
	if after := p.Calls(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("Panther was called for a test alert or a rejected delivery: %v → %v", before, after)
	}
}

func TestEndToEndFiltered(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "f.db"))
	vars["PANTHER_TRIAGE_DETECTION_REGEX"] = `^(?!AllLogs\.).*`
	svc := startServe(t, vars)
	status, body := post(t, svc.url+"/webhook", testSecret, documentedPayload)
	if status != http.StatusOK || body["status"] != "filtered" || !strings.Contains(fmt.Sprint(body["reason"]), "regex") {
		t.Fatalf("filtered delivery: %d %v", status, body)
	}
}

func TestEndToEndSkipsClosedAlert(t *testing.T) {
	p := startPanther(t)
	svc := startServe(t, testEnv(p, filepath.Join(t.TempDir(), "s.db")))
	p.SetStatus(documentedAlert, "CLOSED")
	if status, _ := post(t, svc.url+"/webhook", testSecret, documentedPayload); status != http.StatusAccepted {
		t.Fatalf("status %d", status)
	}
	var rec map[string]any
	eventually(t, 30*time.Second, "the record to be skipped", func() bool {
		getJSON(t, svc.url+"/api/v1/investigations/"+documentedAlert, testSecret, &rec)
		return rec["state"] == "skipped"
	})
	if !strings.Contains(fmt.Sprint(rec["reason"]), "CLOSED") || len(p.Comments(documentedAlert)) != 0 {
		t.Fatalf("record %v, %d comments; want skipped because CLOSED, no comment", rec, len(p.Comments(documentedAlert)))
	}
}

func TestServeFailsFastWithOneLinePerProblem(t *testing.T) {
	var stderr strings.Builder
	err := run(t.Context(), []string{"serve", "--severities", "HIGH,SEVERE", "--detection-regex", "^(AWS", "--statuses", "OPEN,DONE"}, env(nil), strings.NewReader(""), io.Discard, &stderr)
	if err == nil {
		t.Fatal("serve started with a bad configuration")
	}
	msg := err.Error()
	for _, want := range []string{"PANTHER_API_URL", "PANTHER_API_TOKEN", "PANTHER_TRIAGE_WEBHOOK_SECRET", `"SEVERE"`, "invalid detection regex", `"DONE"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %s:\n%s", want, msg)
		}
	}
	if n := len(strings.Split(msg, "\n")); n != 6 {
		t.Errorf("%d lines; want one per problem (6):\n%s", n, msg)
	}
}

func TestServeFailsOnUnreachableDatabase(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, "postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, env(vars), strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("err = %v; want a database error", err)
	}
}

func TestInvestigateCommand(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "inv.db"))
	var out, errOut strings.Builder
	err := run(t.Context(), []string{"investigate", "--dry-run", "--format", "json", documentedAlert}, env(vars), strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("investigate: %v\n%s", err, errOut.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rec); err != nil || rec["state"] != "done" || rec["verdict"] == "" {
		t.Fatalf("json output: %v\n%s", err, out.String())
	}
	if len(p.Comments(documentedAlert)) != 0 {
		t.Fatal("--dry-run posted a comment")
	}

	out.Reset()
	if err := run(t.Context(), []string{"investigate", documentedAlert}, env(vars), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "panther-triage: ") || len(p.Comments(documentedAlert)) != 1 {
		t.Fatalf("text output %q, %d comments; want the comment printed and posted", out.String(), len(p.Comments(documentedAlert)))
	}
	if err := run(t.Context(), []string{"investigate", "--format", "yaml", documentedAlert}, env(vars), nil, io.Discard, io.Discard); err == nil {
		t.Fatal("bad --format accepted")
	}
}

func TestReplayCommand(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "r.db"))
	svc := startServe(t, vars)
	file := filepath.Join(t.TempDir(), "payload.json")
	if err := os.WriteFile(file, []byte(documentedPayload), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"replay", "--url", svc.url + "/webhook", file}, env(vars), nil, &out, io.Discard); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if !strings.HasPrefix(out.String(), "202 ") {
		t.Fatalf("replay printed %q", out.String())
	}
	out.Reset()
	// From stdin, and a rejected payload makes replay fail.
	err := run(t.Context(), []string{"replay", "--url", svc.url + "/webhook", "-"}, env(vars), strings.NewReader(`{"alertId":""}`), &out, io.Discard)
	if err == nil || !strings.HasPrefix(out.String(), "422 ") {
		t.Fatalf("replay of an invalid payload: %v, %q", err, out.String())
	}
	eventually(t, 30*time.Second, "the comment", func() bool { return len(p.Comments(documentedAlert)) == 1 })
}

func TestDevModePrintsAWorkingCurlLine(t *testing.T) {
	svc := startServe(t, map[string]string{}, "--dev")
	var curl string
	deadline := time.After(10 * time.Second)
	for curl == "" {
		select {
		case line := <-svc.stdout.lines:
			if strings.Contains(line, "curl -sS -X POST") {
				curl = line
			}
		case <-deadline:
			t.Fatalf("no curl line printed:\n%s", svc.stdout.String())
		}
	}
	// Do what the line says, without a shell.
	if !strings.Contains(curl, "Authorization: Bearer "+devSecret) || !strings.Contains(curl, svc.url+"/webhook") {
		t.Fatalf("curl line %q does not target this server with the dev secret", curl)
	}
	file := curl[strings.Index(curl, "--data-binary @")+len("--data-binary @"):]
	payload, err := os.ReadFile(strings.TrimSpace(file))
	if err != nil {
		t.Fatal(err)
	}
	if status, body := post(t, svc.url+"/webhook", devSecret, string(payload)); status != http.StatusAccepted {
		t.Fatalf("dev delivery: %d %v", status, body)
	}
	eventually(t, 30*time.Second, "the comment to be printed", func() bool {
		return strings.Contains(svc.stdout.String(), "simulated Panther: comment") && strings.Contains(svc.stdout.String(), "panther-triage run 1 · ")
	})

	// The printed viewer login opens the API; the webhook secret does not.
	var login []string
	for _, line := range strings.Split(svc.stdout.String(), "\n") {
		if f := strings.Fields(line); len(f) == 5 && f[0] == "curl" && f[2] == "-u" {
			login = f
		}
	}
	if login == nil {
		t.Fatalf("no viewer login printed:\n%s", svc.stdout.String())
	}
	user, pass, _ := strings.Cut(login[3], ":")
	for _, c := range []struct {
		user, pass string
		want       int
	}{{user, pass, http.StatusOK}, {"any", devSecret, http.StatusUnauthorized}} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, login[4], nil)
		req.SetBasicAuth(c.user, c.pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s as %s: %d; want %d", login[4], c.user, resp.StatusCode, c.want)
		}
	}
}

// sampleAlert returns a copy of the documented sample alert to adapt.
func sampleAlert(t *testing.T) panthersim.SeedAlert {
	t.Helper()
	for _, s := range panthersim.DefaultSeeds() {
		if s.ID == documentedAlert {
			return s
		}
	}
	t.Fatal("no documented sample alert")
	return panthersim.SeedAlert{}
}

func TestConsoleURL(t *testing.T) {
	tests := map[string]Config{
		"https://acme.runpanther.net":   {PantherURL: "https://api.acme.runpanther.net/public/graphql"},
		"https://console.example.com":   {PantherURL: "https://api.acme.runpanther.net/public/graphql", ConsoleURL: "https://console.example.com"},
		"https://panther.internal:8443": {PantherURL: "https://panther.internal:8443/public/graphql"},
	}
	for want, cfg := range tests {
		if got := cfg.consoleURL(); got != want {
			t.Errorf("consoleURL(%+v) = %q; want %q", cfg, got, want)
		}
	}
}
