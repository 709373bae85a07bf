package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/triage"
)

// intakeClosed posts payload until the service stops taking deliveries
// (connection refused, or 503) and returns how long that took, whether it
// happened within d, and whether the delivery was accepted meanwhile (then
// shutdown had not begun yet, and it must be investigated like any other).
func intakeClosed(url string, payload []byte, d time.Duration) (after time.Duration, closed, accepted bool) {
	start := time.Now()
	for time.Since(start) < d {
		status, err := deliverOnce(url, payload)
		if (err != nil && isRefused(err)) || status == http.StatusServiceUnavailable {
			return time.Since(start), true, accepted
		}
		if status == http.StatusAccepted {
			accepted = true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start), false, accepted
}

// TestShutdownStopsIntakeAndHandsBackRunningJobs cancels serve's context,
// as SIGTERM does, while investigations are running that cannot finish
// within the shutdown timeout: intake stops at once, run returns nil within
// the timeout, no job is left running, and after a restart every accepted
// alert has exactly one comment.
func TestShutdownStopsIntakeAndHandsBackRunningJobs(t *testing.T) {
	t.Parallel()
	const n = 12
	// Each call takes 1s and an investigation makes several rounds of calls,
	// so those running are cut short by the 2s timeout.
	p := startPanther(t, panthersim.WithLatency(time.Second))
	alerts := addDistinctAlerts(t, p, n+1)
	late := alerts[n]
	alerts = alerts[:n]
	db := filepath.Join(t.TempDir(), "shutdown.db")
	vars := testEnv(p, db, unbounded)
	const shutdownTimeout = 2 * time.Second
	vars["PANTHER_TRIAGE_SHUTDOWN_TIMEOUT"] = shutdownTimeout.String()
	svc := startServe(t, vars)
	q := openQueueDB(t, db)
	begin := time.Now()

	for _, a := range alerts {
		if status, err := deliverOnce(svc.url, a.WebhookPayload()); err != nil || status != http.StatusAccepted {
			t.Fatalf("delivery of %s: %d, %v", a.ID, status, err)
		}
	}
	eventually(t, 10*time.Second, "investigations to start", func() bool { return q.runningSince(t, begin) >= 4 },
		func() any { return q.jobStates(t) })
	running := q.runningSince(t, begin)

	stopped := make(chan error, 1)
	stopAt := time.Now()
	go func() { stopped <- svc.stop() }()
	closedAfter, closed, lateAccepted := intakeClosed(svc.url, late.WebhookPayload(), time.Second)
	var err error
	select {
	case err = <-stopped:
	case <-time.After(shutdownTimeout + 10*time.Second):
		t.Fatalf("serve did not return within %s of the cancel", shutdownTimeout+10*time.Second)
	}
	took := time.Since(stopAt)
	states := q.jobStates(t)
	handedBack := 0
	for _, r := range readRecords(t, q) {
		if strings.Contains(r.StateReason(), "interrupted by shutdown") {
			handedBack++
		}
	}
	t.Logf("running at the cancel %d; intake closed after %s; run returned after %s (timeout %s); jobs then %v; investigations handed back %d",
		running, closedAfter.Round(time.Millisecond), took.Round(time.Millisecond), shutdownTimeout, states, handedBack)
	if !closed {
		t.Errorf("deliveries still taken 1s after the shutdown began")
	}
	if err != nil {
		t.Errorf("run returned %v; want nil", err)
	}
	// That the timeout cut the investigations short, rather than waiting
	// for them, shows in those handed back below: each makes several
	// rounds of 1s calls. How long run took is logged, not compared: it
	// counts from before the cancel reached the service, and under load
	// that alone may take longer than the little the deadline leaves.
	if states["running"] != 0 {
		t.Errorf("%d jobs left running: a shutdown must finish or hand back every job", states["running"])
	}
	if handedBack == 0 {
		t.Errorf("no investigation was handed back; the test cut none short")
	}

	// The restart finishes the rest at once, without waiting for a rescue.
	p.SetLatency(20 * time.Millisecond)
	restarted := startServe(t, vars)
	drained(t, q, 30*time.Second)
	if lateAccepted {
		alerts = append(alerts, late)
	}
	total, lost, duplicated, bad := commentCounts(p, alerts, nil)
	t.Logf("alerts accepted %d, comments %d, lost %d, duplicated %d", len(alerts), total, lost, duplicated)
	if lost > 0 || duplicated > 0 {
		t.Errorf("%d lost, %d duplicated:\n%s", lost, duplicated, strings.Join(bad, "\n"))
	}
	if !lateAccepted {
		if c := len(p.Comments(late.ID)); c != 0 {
			t.Errorf("the delivery refused during shutdown was investigated (%d comments)", c)
		}
		if status := getJSON(t, restarted.url+"/api/v1/investigations/"+late.ID, testSecret, nil); status != http.StatusNotFound {
			t.Errorf("the delivery refused during shutdown has a record (GET answered %d)", status)
		}
	}
}

// TestShutdownOnSIGTERM sends a real SIGTERM to the binary while
// investigations are running: it stops taking deliveries, lets the running
// investigations finish, and exits 0.
func TestShutdownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a subprocess; -short skips it")
	}
	t.Parallel()
	bin := triageBinary(t)
	const n = 8
	p := startPanther(t, panthersim.WithLatency(150*time.Millisecond))
	alerts := addDistinctAlerts(t, p, n+1)
	late := alerts[n]
	alerts = alerts[:n]
	db := filepath.Join(t.TempDir(), "sigterm.db")
	vars := testEnv(p, db, unbounded)
	vars["PANTHER_TRIAGE_ADDR"] = freeAddr(t)
	vars["PANTHER_TRIAGE_SHUTDOWN_TIMEOUT"] = "20s"
	proc := startTriageProc(t, bin, vars)
	q := openQueueDB(t, db)

	for _, a := range alerts {
		if status, err := deliverOnce(proc.url, a.WebhookPayload()); err != nil || status != http.StatusAccepted {
			t.Fatalf("delivery of %s: %d, %v", a.ID, status, err)
		}
	}
	eventually(t, 10*time.Second, "investigations to start", func() bool { return q.runningSince(t, proc.started) > 0 },
		func() any { return q.jobStates(t) })
	running := q.runningSince(t, proc.started)
	sent := time.Now()
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	closedAfter, closed, lateAccepted := intakeClosed(proc.url, late.WebhookPayload(), time.Second)
	code, err := proc.wait(25 * time.Second)
	took := time.Since(sent)
	states := q.jobStates(t)
	commentsAtExit, _, _, _ := commentCounts(p, alerts, nil)
	t.Logf("running at SIGTERM %d; intake closed after %s; exit code %d after %s; jobs then %v; comments %d",
		running, closedAfter.Round(time.Millisecond), code, took.Round(time.Millisecond), states, commentsAtExit)
	if err != nil || code != 0 {
		t.Fatalf("exit code %d, %v; want 0 on SIGTERM", code, err)
	}
	if !closed {
		t.Errorf("deliveries still taken 1s after SIGTERM")
	}
	if states["running"] != 0 {
		t.Errorf("%d jobs left running after a graceful exit", states["running"])
	}
	// With time to spare, the running investigations finished rather than
	// being handed back.
	for _, r := range readRecords(t, q) {
		if r.State == triage.StateRunning || strings.Contains(r.StateReason(), "interrupted") {
			t.Errorf("record %s is %s (%s) after a graceful exit with time to spare", r.AlertID, r.State, r.StateReason())
		}
	}

	startTriageProc(t, bin, vars)
	drained(t, q, 30*time.Second)
	if lateAccepted {
		alerts = append(alerts, late)
	}
	total, lost, duplicated, bad := commentCounts(p, alerts, nil)
	t.Logf("alerts accepted %d, comments %d, lost %d, duplicated %d", len(alerts), total, lost, duplicated)
	if lost > 0 || duplicated > 0 {
		t.Errorf("%d lost, %d duplicated:\n%s", lost, duplicated, strings.Join(bad, "\n"))
	}
	if c := len(p.Comments(late.ID)); !lateAccepted && c != 0 {
		t.Errorf("the delivery refused after SIGTERM was investigated (%d comments)", c)
	}
}

// TestSecondSignalStopsAtOnce sends SIGTERM twice to the binary while
// investigations run and the shutdown timeout is long: the first starts the
// shutdown and says how many run, the second exits at once and says what it
// abandoned. The abandoned jobs stay running in the queue and are rescued
// by the next start once --rescue-after has passed: every alert ends with
// one comment.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a subprocess; -short skips it")
	}
	t.Parallel()
	bin := triageBinary(t)
	const rescueAfter = 5 * time.Second
	p := startPanther(t, panthersim.WithLatency(time.Second))
	alerts := addDistinctAlerts(t, p, 4)
	db := filepath.Join(t.TempDir(), "abort.db")
	vars := testEnv(p, db, unbounded, set("PANTHER_TRIAGE_ADDR", freeAddr(t)),
		set("PANTHER_TRIAGE_SHUTDOWN_TIMEOUT", "60s"), set("PANTHER_TRIAGE_DATALAKE_MAX_QUERIES", "0"),
		set("PANTHER_TRIAGE_JOB_TIMEOUT", "4s"), set("PANTHER_TRIAGE_RESCUE_AFTER", rescueAfter.String()))
	proc := startTriageProc(t, bin, vars)
	q := openQueueDB(t, db)
	for _, a := range alerts {
		if status, err := deliverOnce(proc.url, a.WebhookPayload()); err != nil || status != http.StatusAccepted {
			t.Fatalf("delivery of %s: %d, %v", a.ID, status, err)
		}
	}
	eventually(t, 10*time.Second, "investigations to start", func() bool { return q.jobStates(t)["running"] > 0 },
		func() any { return q.jobStates(t) })

	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the shutdown to say how many investigations run", func() bool {
		return strings.Contains(proc.stderr.String(), `"running":`) && strings.Contains(proc.stderr.String(), "shutting down")
	})
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	abandonedAt := time.Now()
	code, err := proc.wait(3 * time.Second)
	if err != nil || code == 0 {
		t.Fatalf("after the second signal: exit code %d, %v; want a prompt non-zero exit", code, err)
	}
	if !regexp.MustCompile(`abandoned; they stay in the queue and are retried 5s \(--rescue-after\)`).MatchString(proc.stderr.String()) {
		t.Errorf("the exit does not say what it abandoned:\n%s", tail(proc.stderr.String(), 2000))
	}
	if states := q.jobStates(t); states["running"] == 0 {
		t.Fatalf("jobs after the second signal: %v; want some abandoned, still running", states)
	}

	// The next start rescues them once --rescue-after has passed.
	time.Sleep(time.Until(abandonedAt.Add(rescueAfter + time.Second)))
	p.SetLatency(20 * time.Millisecond)
	startTriageProc(t, bin, vars)
	drained(t, q, 40*time.Second)
	total, lost, duplicated, bad := commentCounts(p, alerts, nil)
	t.Logf("alerts %d, comments %d, lost %d, duplicated %d", len(alerts), total, lost, duplicated)
	if lost > 0 || duplicated > 0 {
		t.Errorf("%d lost, %d duplicated:\n%s", lost, duplicated, strings.Join(bad, "\n"))
	}
}
