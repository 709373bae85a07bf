package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// sameTitleAlerts adds n copies of the documented sample alert with new IDs
// and returns their webhook payloads.
func sameTitleAlerts(t *testing.T, p *panthersim.Server, n int, title func(i int) string) (ids []string, payloads []string) {
	t.Helper()
	base := sampleAlert(t)
	for i := range n {
		a := base
		a.ID = fmt.Sprintf("5707%028x", i)
		a.Title = title(i)
		p.AddAlert(a)
		ids = append(ids, a.ID)
		payloads = append(payloads, string(a.WebhookPayload()))
	}
	return ids, payloads
}

func postAll(t *testing.T, url string, payloads []string) {
	t.Helper()
	var wg sync.WaitGroup
	for _, body := range payloads {
		wg.Go(func() {
			if status, b := post(t, url, testSecret, body); status != http.StatusAccepted {
				t.Errorf("delivery: %d %v", status, b)
			}
		})
	}
	wg.Wait()
}

func TestStormOfSameTitleAlertsIsInvestigatedOnce(t *testing.T) {
	p := startPanther(t)
	svc := startServe(t, testEnv(p, filepath.Join(t.TempDir(), "storm.db")))
	ids, payloads := sameTitleAlerts(t, p, 50, func(int) string { return "Suspicious traffic detected from [123.123.123.123]" })
	postAll(t, svc.url+"/webhook", payloads)

	count := func() (full, short int) {
		for _, id := range ids {
			for _, c := range p.Comments(id) {
				if strings.Contains(c.Body, "Not investigated again: this alert repeats alert") {
					short++
				} else {
					full++
				}
			}
		}
		return
	}
	eventually(t, 30*time.Second, "50 comments", func() bool { f, s := count(); return f+s == 50 })
	full, short := count()
	if full != 1 || short != 49 {
		t.Fatalf("%d full investigations and %d short comments; want 1 and 49", full, short)
	}
	// The short comments carry the leader's verdict on their first line.
	var leaderHead string
	for _, id := range ids {
		for _, c := range p.Comments(id) {
			if !strings.Contains(c.Body, "repeats alert") {
				leaderHead = strings.SplitN(c.Body, "\n", 2)[0]
			}
		}
	}
	for _, id := range ids {
		for _, c := range p.Comments(id) {
			if head := strings.SplitN(c.Body, "\n", 2)[0]; head != leaderHead {
				t.Fatalf("comment on %s starts %q; want the leader's %q", id, head, leaderHead)
			}
		}
	}
	t.Logf("storm of %d same-title alerts: %d investigation, %d short comments", len(ids), full, short)
}

func TestBudgetOverflowCommentsWhyNot(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "budget.db"))
	vars["PANTHER_TRIAGE_MAX_PER_DETECTION_HOUR"] = "3"
	svc := startServe(t, vars)
	ids, payloads := sameTitleAlerts(t, p, 5, func(i int) string { return fmt.Sprintf("Traffic from [10.0.0.%d]", i) })
	for _, body := range payloads { // one at a time: the order decides who is over budget
		if status, b := post(t, svc.url+"/webhook", testSecret, body); status != http.StatusAccepted {
			t.Fatalf("delivery: %d %v", status, b)
		}
	}
	eventually(t, 30*time.Second, "5 comments", func() bool {
		n := 0
		for _, id := range ids {
			n += len(p.Comments(id))
		}
		return n == 5
	})
	for i, id := range ids {
		body := p.Comments(id)[0].Body
		over := strings.HasPrefix(body, "panther-triage: NOT INVESTIGATED — the budget of 3 investigations per hour for detection AllLogs.IPMonitoring is used up")
		if over != (i >= 3) {
			t.Errorf("alert %d: over budget %v; comment:\n%s", i, over, body)
		}
	}
	// The record is saved just after the comment is posted.
	var rec map[string]any
	eventually(t, 30*time.Second, "the over-budget record", func() bool {
		getJSON(t, svc.url+"/api/v1/investigations/"+ids[4], testSecret, &rec)
		return rec["state"] != "running" && rec["state"] != "queued"
	})
	if rec["state"] != "skipped" || !strings.Contains(fmt.Sprint(rec["reason"]), "budget") {
		t.Fatalf("over-budget record: %v", rec)
	}
}

func TestSettleDelaysTheInvestigation(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "settle.db"))
	vars["PANTHER_TRIAGE_SETTLE"] = "2s"
	svc := startServe(t, vars)
	sent := time.Now()
	if status, _ := post(t, svc.url+"/webhook", testSecret, documentedPayload); status != http.StatusAccepted {
		t.Fatal(status)
	}
	// Panther attaches one more event while the alert settles.
	time.Sleep(500 * time.Millisecond)
	a, _ := p.Alert(documentedAlert)
	extra := map[string]any{}
	for k, v := range a.Events[0] {
		extra[k] = v
	}
	extra["p_row_id"] = "late-event-row"
	a.Events = append(a.Events, extra)
	p.AddAlert(a)
	if n := len(p.Comments(documentedAlert)); n != 0 {
		t.Fatalf("commented before the settle delay")
	}
	eventually(t, 30*time.Second, "the comment", func() bool { return len(p.Comments(documentedAlert)) == 1 })
	if since := time.Since(sent); since < 2*time.Second {
		t.Fatalf("investigated %s after the delivery; want at least the 2s settle delay", since)
	}
	if body := p.Comments(documentedAlert)[0].Body; !strings.Contains(body, "3 events read") {
		t.Fatalf("the late event was not seen:\n%s", body)
	}
}

func TestShadowModeWritesNothingButRecordsTheReport(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "shadow.db"))
	vars["PANTHER_TRIAGE_DRY_RUN"] = "true"
	svc := startServe(t, vars)
	before := p.Calls()["createAlertComment"]
	if status, _ := post(t, svc.url+"/webhook", testSecret, documentedPayload); status != http.StatusAccepted {
		t.Fatal(status)
	}
	var rec map[string]any
	eventually(t, 30*time.Second, "the record", func() bool {
		getJSON(t, svc.url+"/api/v1/investigations/"+documentedAlert, testSecret, &rec)
		return rec["state"] == "done"
	})
	if !strings.HasPrefix(fmt.Sprint(rec["comment"]), "panther-triage: ") {
		t.Fatalf("record lacks the report: %v", rec)
	}
	if len(p.Comments(documentedAlert)) != 0 || p.Calls()["createAlertComment"] != before || p.Calls()["POST /alert-comments"] != 0 {
		t.Fatalf("dry run wrote to Panther: calls %v", p.Calls())
	}
	raw, _ := json.Marshal(rec)
	t.Logf("shadow record: %.200s…", raw)
}

func TestWriteBackSetsStatus(t *testing.T) {
	p := startPanther(t)
	vars := testEnv(p, filepath.Join(t.TempDir(), "wb.db"))
	vars["PANTHER_TRIAGE_SET_STATUS"] = "inconclusive=TRIAGED"
	svc := startServe(t, vars)
	if status, _ := post(t, svc.url+"/webhook", testSecret, documentedPayload); status != http.StatusAccepted {
		t.Fatal(status)
	}
	eventually(t, 30*time.Second, "the status write-back", func() bool {
		a, _ := p.Alert(documentedAlert)
		return a.Status == "TRIAGED"
	})
	if n := len(p.Comments(documentedAlert)); n != 1 {
		t.Fatalf("%d comments", n)
	}
	err := run(t.Context(), []string{"serve", "--set-status", "benign=DONE"}, env(testEnv(p, "")), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--set-status") {
		t.Fatalf("bad policy: %v", err)
	}
}
