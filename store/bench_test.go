package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// BenchmarkEnqueue stores unique deliveries of 20 detections with distinct
// titles, under the default budgets, from 32 goroutines, as the webhook does
// under load.
func BenchmarkEnqueue(b *testing.B) {
	s, err := store.Open(b.Context(), store.Config{
		DSN: storetest.SQLite(b), MaxPerDetectionHour: 30, MaxPerHour: 500,
	}, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	payload := []byte(`{"alertId":"x","id":"Bench.Detection","severity":"HIGH","type":"RULE","title":"t","createdAt":"2026-01-02T03:04:05Z"}`)
	var n atomic.Int64
	b.SetParallelism(16) // 32 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			d := triage.Delivery{
				AlertID: fmt.Sprintf("bench-%d", i), DetectionID: fmt.Sprintf("Bench.Detection.%02d", i%20),
				Severity: "HIGH", Title: fmt.Sprintf("Bench alert %d", i), Payload: payload, ReceivedAt: time.Now(),
			}
			if _, err := s.Enqueue(b.Context(), d); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
