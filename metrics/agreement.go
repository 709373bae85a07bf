package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/panther-triage/panther-triage/triage"
)

// Agreements reads how often analysts agreed with the verdicts.
type Agreements interface {
	Agreements(ctx context.Context) ([]triage.Agreement, error)
}

// WatchAgreement exports, per detection, how many investigated alerts
// analysts ended the way the verdict said and how many they did not
// (panther_triage_verdict_agreement_alerts{detection,result}).
func (m *Metrics) WatchAgreement(a Agreements) {
	m.reg.MustRegister(&agreementCollector{a: a, m: m, desc: prometheus.NewDesc(
		"panther_triage_verdict_agreement_alerts",
		"Investigated alerts whose final status in Panther (RESOLVED, or CLOSED as a false positive) agrees or disagrees with the verdict, by detection.",
		[]string{"detection", "result"}, nil)})
}

type agreementCollector struct {
	a    Agreements
	m    *Metrics
	desc *prometheus.Desc
}

func (c *agreementCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *agreementCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.a.Agreements(ctx)
	if err != nil {
		c.m.log.Warn().Err(err).Msg("metrics: read verdict agreement")
		return
	}
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(r.Agree), r.DetectionID, "agree")
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(r.Disagree), r.DetectionID, "disagree")
	}
}
