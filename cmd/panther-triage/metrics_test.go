package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/panther-triage/panther-triage/metrics/metricstest"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeMetrics reads GET /metrics, without credentials as Prometheus does.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// metricValue is metricstest.Value.
var metricValue = metricstest.Value

func TestMetricsAfterAnEndToEndRun(t *testing.T) {
	p := startPanther(t)
	svc := startServe(t, testEnv(p, filepath.Join(t.TempDir(), "m.db")))

	if status, body := post(t, svc.url+"/webhook", testSecret, documentedPayload); status != http.StatusAccepted {
		t.Fatalf("first delivery: %d %v", status, body)
	}
	eventually(t, 30*time.Second, "the comment", func() bool { return len(p.Comments(documentedAlert)) == 1 })
	if status, body := post(t, svc.url+"/webhook", testSecret, documentedPayload); body["status"] != "duplicate" {
		t.Fatalf("second delivery: %d %v; want duplicate", status, body)
	}
	testAlert := strings.ReplaceAll(documentedPayload, documentedAlert, "Test.Alert")
	if _, body := post(t, svc.url+"/webhook", testSecret, testAlert); body["status"] != "test" {
		t.Fatalf("test alert: %v", body)
	}
	if status, _ := post(t, svc.url+"/webhook", "wrong", documentedPayload); status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", status)
	}
	if status, _ := post(t, svc.url+"/webhook", testSecret, `{"alertId":"x"}`); status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid payload: %d", status)
	}

	// The job is marked complete just after the record is saved.
	var fams map[string]*dto.MetricFamily
	eventually(t, 30*time.Second, "the job to complete", func() bool {
		fams = scrapeMetrics(t, svc.url)
		return metricValue(fams, "panther_triage_queue_jobs", "state=completed") == 1
	})

	exact := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"panther_triage_deliveries_total", []string{"outcome=queued"}, 1},
		{"panther_triage_deliveries_total", []string{"outcome=duplicate"}, 1},
		{"panther_triage_deliveries_total", []string{"outcome=test"}, 1},
		{"panther_triage_deliveries_total", []string{"outcome=filtered"}, 0},
		{"panther_triage_deliveries_total", []string{"outcome=rejected", "code=unauthorized"}, 1},
		{"panther_triage_deliveries_total", []string{"outcome=rejected", "code=invalid_payload"}, 1},
		{"panther_triage_investigations_total", []string{"state=done"}, 1},
		{"panther_triage_investigations_total", nil, 1},
		{"panther_triage_investigation_duration_seconds", []string{"state=done"}, 1},
		{"panther_triage_comments_posted_total", []string{"kind=investigation"}, 1},
		{"panther_triage_comments_posted_total", nil, 1},
		{"panther_triage_storm_repeats_total", nil, 0},
		{"panther_triage_budget_skips_total", nil, 0},
		{"panther_triage_step_duration_seconds", []string{"step=events"}, 1},
		{"panther_triage_panther_api_calls_total", []string{"operation=add_comment", "status=200"}, 1},
		{"panther_triage_panther_api_errors_total", nil, 0},
		{"panther_triage_queue_jobs", []string{"state=available"}, 0},
		{"panther_triage_queue_jobs", []string{"state=running"}, 0},
		{"panther_triage_queue_oldest_available_job_age_seconds", nil, 0},
	}
	for _, c := range exact {
		if got := metricValue(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
		}
	}
	calls := metricValue(fams, "panther_triage_panther_api_calls_total")
	if calls < 3 || metricValue(fams, "panther_triage_panther_api_calls_total", "operation=alert") < 1 {
		t.Errorf("Panther API calls = %v (alert: %v); want the alert read, the comments listed and the comment posted",
			calls, metricValue(fams, "panther_triage_panther_api_calls_total", "operation=alert"))
	}
	if got := metricValue(fams, "panther_triage_panther_api_duration_seconds"); got != calls {
		t.Errorf("API latency samples = %v; want one per call (%v)", got, calls)
	}
	// The verdict is one of four, and it is the one recorded.
	var rec map[string]any
	getJSON(t, svc.url+"/api/v1/investigations/"+documentedAlert, testSecret, &rec)
	if got := metricValue(fams, "panther_triage_investigations_total", "state=done", "verdict="+rec["verdict"].(string)); got != 1 {
		t.Errorf("investigations{done,%s} = %v; want 1", rec["verdict"], got)
	}

	// No label carries an alert ID.
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), documentedAlert) || strings.Contains(l.GetValue(), "Test.Alert") {
					t.Errorf("%s has label %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}
