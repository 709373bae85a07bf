package investigate

import (
	"fmt"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// eventPage returns n events cycled from panthersim's sample alerts
// (CloudTrail, Okta, GitHub, GCP audit, VPC flow logs…), each with its own
// p_row_id, as one page of an alert's events would come.
func eventPage(n int) []panther.Event {
	var pool []map[string]any
	for _, s := range panthersim.DefaultSeeds() {
		pool = append(pool, s.Events...)
	}
	out := make([]panther.Event, n)
	for i := range out {
		ev := panther.Event{}
		for k, v := range pool[i%len(pool)] {
			ev[k] = v
		}
		ev["p_row_id"] = fmt.Sprintf("row%05d", i)
		out[i] = ev
	}
	return out
}

// BenchmarkExtractIndicators extracts and ranks the indicators of a page
// of 50 events and an alert context.
func BenchmarkExtractIndicators(b *testing.B) {
	events := eventPage(50)
	alertContext := map[string]any{"srcAddr": "123.123.123.123", "dstAddr": "10.0.1.25", "user": "alice@example.com"}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(ExtractIndicators(events, alertContext))
	}
	b.ReportMetric(float64(n), "indicators")
}
