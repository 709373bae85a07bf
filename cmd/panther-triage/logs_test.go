package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// TestLogsCarryIDsAndNoSecrets runs deliveries through every path that
// logs (queued, retried after a 5xx, failed for good on a 403, duplicate,
// test, rejected, the API and the page), at debug level, and reads what
// the service wrote: JSON lines with the request, alert, job and step IDs,
// and never the Panther token or the webhook secret.
func TestLogsCarryIDsAndNoSecrets(t *testing.T) {
	const (
		token  = "pt-token-3f8e1c0b9a7d55e1"
		secret = "whsec-5b2d94e07c1a8f36"
	)
	p := startPanther(t, panthersim.WithToken(token))
	vars := testEnv(p, filepath.Join(t.TempDir(), "logs.db"))
	vars["PANTHER_TRIAGE_WEBHOOK_SECRET"] = secret
	vars["PANTHER_TRIAGE_LOG_LEVEL"] = "debug"
	svc := startServe(t, vars)

	// The alert's two reads fail with 500 four times each, outlasting the
	// client's retries: the job retries, then comments.
	p.FailNext(8, http.StatusInternalServerError)
	if status, body := post(t, svc.url+"/webhook", secret, documentedPayload); status != http.StatusAccepted {
		t.Fatalf("delivery: %d %v", status, body)
	}
	eventually(t, 30*time.Second, "the comment", func() bool { return len(p.Comments(documentedAlert)) == 1 })
	post(t, svc.url+"/webhook", secret, documentedPayload)                                                    // duplicate
	post(t, svc.url+"/webhook", secret, strings.ReplaceAll(documentedPayload, documentedAlert, "Test.Alert")) // test
	post(t, svc.url+"/webhook", secret+"-not", documentedPayload)                                             // unauthorized
	post(t, svc.url+"/webhook", secret, `{"alertId": "x", "createdAt": "yesterday"}`)                         // invalid
	post(t, svc.url+"/webhook", secret, `{not json`)                                                          // invalid JSON
	const deliveries = 6
	var rec map[string]any
	getJSON(t, svc.url+"/api/v1/investigations/"+documentedAlert, secret, &rec)
	getJSON(t, svc.url+"/", secret, nil)
	getJSON(t, svc.url+"/api/v1/investigations", "wrong", nil)

	// Panther refuses every call for another alert: it fails for good.
	var other panthersim.SeedAlert
	for _, s := range panthersim.DefaultSeeds() {
		if s.ID != documentedAlert && s.Type == "RULE" {
			other = s
			break
		}
	}
	p.FailNext(1000, http.StatusForbidden)
	if status, body := post(t, svc.url+"/webhook", secret, string(other.WebhookPayload())); status != http.StatusAccepted {
		t.Fatalf("delivery of %s: %d %v", other.ID, status, body)
	}
	eventually(t, 30*time.Second, "the investigation to fail", func() bool {
		var r map[string]any
		getJSON(t, svc.url+"/api/v1/investigations/"+other.ID, secret, &r)
		return r["state"] == "failed"
	})
	p.FailNext(0, 0)
	if err := svc.stop(); err != nil {
		t.Fatal(err)
	}

	for name, out := range map[string]string{"stderr": svc.stderr.String(), "stdout": svc.stdout.String()} {
		for _, leak := range []string{token, secret} {
			if strings.Contains(out, leak) {
				t.Errorf("%s carries a secret (%s…):\n%s", name, leak[:6], out)
			}
		}
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(svc.stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, l)
		}
		lines = append(lines, m)
	}
	find := func(msg string, want map[string]any, keys ...string) {
		t.Helper()
		for _, l := range lines {
			if l["message"] != msg {
				continue
			}
			match := true
			for k, v := range want {
				if l[k] != v {
					match = false
				}
			}
			if !match {
				continue
			}
			for _, k := range keys {
				if l[k] == nil {
					t.Errorf("%q line lacks %s: %v", msg, k, l)
				}
			}
			return
		}
		t.Errorf("no %q line with %v in the logs:\n%s", msg, want, svc.stderr.String())
	}

	n := 0
	for _, l := range lines {
		if l["message"] == "webhook delivery" {
			n++
			if l["request_id"] == nil || l["outcome"] == nil || l["status"] == nil || l["duration"] == nil {
				t.Errorf("delivery line lacks request_id, outcome, status or duration: %v", l)
			}
		}
	}
	if n != deliveries+1 {
		t.Errorf("%d delivery lines; want one per delivery (%d)", n, deliveries+1)
	}
	find("webhook delivery", map[string]any{"outcome": "queued", "alert_id": documentedAlert}, "request_id", "job_id")
	find("webhook delivery", map[string]any{"outcome": "duplicate", "alert_id": documentedAlert}, "request_id", "job_id")
	find("webhook delivery", map[string]any{"outcome": "unauthorized"}, "request_id")
	find("investigation will be retried", map[string]any{"alert_id": documentedAlert}, "job_id", "error")
	find("step finished", map[string]any{"alert_id": documentedAlert, "step": "events"}, "job_id", "duration")
	find("investigation finished", map[string]any{"alert_id": documentedAlert, "state": "done"}, "job_id", "duration", "verdict")
	find("investigation failed", map[string]any{"alert_id": other.ID}, "job_id", "error")
}
