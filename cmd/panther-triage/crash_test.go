package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/triage"
)

// crashRescueAfter is how long a job of a killed process stays running
// before it counts as stuck and is retried, in the crash tests: the
// shortest the settings allow (the job timeout must exceed the data lake
// timeout by 15s, and the rescue delay the job timeout).
const crashRescueAfter = 17 * time.Second

// crashable is the setting of a subprocess that is going to be killed,
// listening on addr: a short job timeout and rescue delay, so that the jobs
// a killed process left running are taken over within seconds of the
// restart, not minutes.
func crashable(addr string) envOption {
	return func(vars map[string]string) {
		vars["PANTHER_TRIAGE_ADDR"] = addr
		vars["PANTHER_TRIAGE_DATALAKE_TIMEOUT"] = "500ms"
		vars["PANTHER_TRIAGE_DATALAKE_MAX_QUERIES"] = "1" // less work per alert, for the test's time
		vars["PANTHER_TRIAGE_JOB_TIMEOUT"] = "16s"
		vars["PANTHER_TRIAGE_RESCUE_AFTER"] = crashRescueAfter.String()
		vars["PANTHER_TRIAGE_RETRY_BACKOFF"] = "100ms"
		vars["PANTHER_TRIAGE_RETRY_BACKOFF_MAX"] = "1s"
		vars["PANTHER_TRIAGE_WORKERS"] = "8"
		vars["PANTHER_TRIAGE_API_CONCURRENCY"] = "16"
	}
}

// TestCrashSIGKILLLosesAndDuplicatesNothing runs the real binary, posts a
// few hundred alerts at it concurrently, kills it with SIGKILL twice while
// investigations run, restarts it on the same SQLite file each time, and
// checks that every delivery answered 2xx ends with exactly one comment.
//
// The jobs a killed process left running are rescued by the queue's leader
// once they are older than the rescue delay; river's rescuer runs when a
// process becomes leader and every 30s after. So the last restart waits
// until the jobs of both kills count as stuck (and the killed leader's
// lease has run out), as an orchestrator's restart back-off would: the new
// process is then leader at once and rescues them all in its first pass.
func TestCrashSIGKILLLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a subprocess; -short skips it")
	}
	t.Parallel()
	bin := triageBinary(t)
	const n = 300
	// Latency makes each investigation take a while, so that jobs are
	// running whenever the process is killed.
	p := startPanther(t, panthersim.WithLatency(15*time.Millisecond))
	alerts := addDistinctAlerts(t, p, n)
	db := filepath.Join(t.TempDir(), "crash.db")
	addr := freeAddr(t)
	vars := testEnv(p, db, unbounded, crashable(addr))
	q := openQueueDB(t, db)

	var cur atomic.Pointer[triageProc]
	cur.Store(startTriageProc(t, bin, vars))
	url := func() string { return "http://" + addr }

	// Deliver every alert, 16 at a time, retrying as Panther does while the
	// service is down.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	statuses := make([]int, n)
	tries := make([]int, n)
	var posted atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				statuses[i], tries[i] = deliverUntil2xx(ctx, url, alerts[i].WebhookPayload())
				posted.Add(1)
			}
		})
	}
	wg.Go(func() {
		defer close(next)
		for i := range n {
			next <- i
		}
	})

	commented := func() int {
		c := 0
		for _, a := range alerts {
			if len(p.Comments(a.ID)) > 0 {
				c++
			}
		}
		return c
	}
	// Kill while jobs run: first during intake, then as soon as the
	// restarted process is at work.
	type kill struct {
		at                         time.Duration
		posted, running, commented int
	}
	var kills []kill
	start := time.Now()
	killWhen := func(what string, ready func() bool, restartAfter time.Duration) {
		t.Helper()
		var running int
		eventually(t, 40*time.Second, "an investigation running when "+what, func() bool {
			if !ready() {
				return false
			}
			running = q.runningSince(t, cur.Load().started)
			return running > 0
		})
		cur.Load().kill()
		kills = append(kills, kill{at: time.Since(start), posted: int(posted.Load()), running: running, commented: commented()})
		time.Sleep(restartAfter)
		cur.Store(startTriageProc(t, bin, vars))
	}
	killWhen("a third of the alerts were posted", func() bool { return posted.Load() >= n/3 }, 0)
	before := commented()
	killWhen("the restarted process had commented on 5 alerts", func() bool { return commented() >= before+5 }, crashRescueAfter+time.Second)

	wg.Wait()
	accepted := map[string]bool{}
	retried := 0
	for i, st := range statuses {
		if st >= 200 && st < 300 {
			accepted[alerts[i].ID] = true
		} else {
			t.Errorf("alert %s: no 2xx within a minute (status %d after %d tries)", alerts[i].ID, st, tries[i])
		}
		if tries[i] > 1 {
			retried++
		}
	}

	// The last process drains the queue, including the jobs the killed
	// processes left running.
	drained(t, q, 60*time.Second)
	total, lost, duplicated, bad := commentCounts(p, alerts, func(id string) bool { return accepted[id] })
	// An alert whose answer was lost in a crash may be investigated without
	// a 2xx; never twice.
	_, _, dupUnaccepted, badUnaccepted := commentCounts(p, alerts, func(id string) bool { return !accepted[id] })
	recs := listRecords(t, url())
	resumed := 0
	for _, r := range recs {
		if r.Attempts > 1 {
			resumed++
		}
	}
	for i, k := range kills {
		t.Logf("kill %d at %s: %d alerts posted, %d investigations running, %d alerts commented",
			i+1, k.at.Round(time.Millisecond), k.posted, k.running, k.commented)
	}
	t.Logf("alerts sent %d, answered 2xx %d (%d after a retry), comments %d, lost %d, duplicated %d, kills %d, investigations resumed after a kill %d, took %s",
		n, len(accepted), retried, total, lost, duplicated+dupUnaccepted, len(kills), resumed, time.Since(start).Round(time.Millisecond))

	if lost > 0 || duplicated > 0 || dupUnaccepted > 0 {
		t.Errorf("%d lost, %d duplicated (+%d duplicated without a 2xx):\n%s",
			lost, duplicated, dupUnaccepted, strings.Join(append(bad, badUnaccepted...), "\n"))
	}
	if len(kills) < 2 {
		t.Errorf("%d kills; want at least 2", len(kills))
	}
	if resumed == 0 {
		t.Errorf("no investigation took a second attempt: the kills interrupted none")
	}
	for alert, jobs := range q.jobsPerAlert(t) {
		if jobs != 1 {
			t.Errorf("alert %s has %d jobs; want 1 (a redelivery after a crash is a duplicate)", alert, jobs)
		}
	}
	for _, r := range recs {
		if r.State != triage.StateDone {
			t.Errorf("record %s is %s (%s); want done", r.AlertID, r.State, r.StateReason())
			continue
		}
		cs := p.Comments(r.AlertID)
		if len(cs) == 1 && (cs[0].ID != r.CommentID || !strings.Contains(cs[0].Body, investigate.Marker(r.JobID, r.AlertID))) {
			t.Errorf("record %s names comment %s of job %d; the alert has comment %s", r.AlertID, r.CommentID, r.JobID, cs[0].ID)
		}
	}

	// The last process still stops cleanly.
	last := cur.Load()
	_ = last.cmd.Process.Signal(syscall.SIGTERM)
	if code, err := last.wait(40 * time.Second); err != nil || code != 0 {
		t.Errorf("after SIGTERM: exit code %d, %v; want 0", code, err)
	}
}

// TestCrashAfterCommentBeforeJobCompletes kills the process in the window
// where a comment exists but the queue does not know it: right as Panther
// stores the comment, before the answer reaches the worker. The job is
// retried after the restart and must find its comment rather than post a
// second one.
func TestCrashAfterCommentBeforeJobCompletes(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a subprocess; -short skips it")
	}
	t.Parallel()
	bin := triageBinary(t)
	var (
		victim   atomic.Pointer[triageProc]
		killOnce sync.Once
		killed   atomic.Bool
	)
	// The hook runs as Panther stores the comment, before it answers.
	p := startPanther(t, panthersim.WithCommentHook(func(panther.Comment) {
		killOnce.Do(func() {
			if v := victim.Load(); v != nil {
				killed.Store(true) // before the kill, which the test may see first
				_ = v.cmd.Process.Kill()
			}
		})
	}))
	db := filepath.Join(t.TempDir(), "window.db")
	vars := testEnv(p, db, unbounded, crashable(freeAddr(t)))
	q := openQueueDB(t, db)

	first := startTriageProc(t, bin, vars)
	victim.Store(first)
	if status, err := deliverOnce(first.url, []byte(documentedPayload)); err != nil || status != http.StatusAccepted {
		t.Fatalf("delivery: %d, %v; want 202", status, err)
	}
	if _, err := first.wait(30 * time.Second); err != nil {
		t.Fatalf("the process was not killed by the first comment: %v", err)
	}
	killedAt := time.Now()
	if !killed.Load() {
		t.Fatalf("the process exited, but not from the comment hook:\n%s", tail(first.stderr.String(), 3000))
	}
	comments := p.Comments(documentedAlert)
	if len(comments) != 1 {
		t.Fatalf("%d comments after the kill; want the 1 posted just before it", len(comments))
	}
	if states := q.jobStates(t); states["running"] != 1 {
		t.Fatalf("jobs after the kill: %v; want the one job still running (not marked complete)", states)
	}

	// Restart once the job counts as stuck (see
	// TestCrashSIGKILLLosesAndDuplicatesNothing).
	time.Sleep(time.Until(killedAt.Add(crashRescueAfter + time.Second)))
	second := startTriageProc(t, bin, vars)
	start := time.Now()
	var rec triage.Record
	eventually(t, 60*time.Second, "the interrupted job to finish after the restart", func() bool {
		rec = triage.Record{}
		getJSON(t, second.url+"/api/v1/investigations/"+documentedAlert, testSecret, &rec)
		return rec.State == triage.StateDone && pending(q.jobStates(t)) == 0
	}, func() any { return rec }, func() any { return q.jobStates(t) })
	after := p.Comments(documentedAlert)
	t.Logf("job %d resumed %s after the restart, attempt %d; comments %d (the first %s)",
		rec.JobID, time.Since(start).Round(time.Millisecond), rec.Attempts, len(after), comments[0].ID)
	if len(after) != 1 {
		t.Fatalf("%d comments after the retry; want 1", len(after))
	}
	if rec.CommentID != comments[0].ID || rec.Attempts != 2 {
		t.Errorf("record names comment %s after %d attempts; want %s after 2", rec.CommentID, rec.Attempts, comments[0].ID)
	}
	if !strings.Contains(second.stderr.String(), `"posted":false`) {
		t.Errorf("the retry did not log that it found its comment instead of posting:\n%s", tail(second.stderr.String(), 2000))
	}
}
