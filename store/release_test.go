package store_test

import (
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/store/storetest"
)

// TestReleasedDeliveryIsNoDuplicate: once the investigation of an alert
// failed for good, its delivery is released and a redelivery within the
// window starts a new job; another job's release changes nothing.
func TestReleasedDeliveryIsNoDuplicate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()
		first, err := s.Enqueue(ctx, delivery("a1"))
		if err != nil || first.Duplicate {
			t.Fatalf("first delivery: %+v, %v", first, err)
		}
		if err := s.ReleaseDelivery(ctx, "a1", first.JobID+100); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
		if got, _ := s.Enqueue(ctx, delivery("a1")); !got.Duplicate {
			t.Fatalf("redelivery after another job's release: %+v; want duplicate", got)
		}
		if err := s.ReleaseDelivery(ctx, "a1", first.JobID); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
		again, err := s.Enqueue(ctx, delivery("a1"))
		if err != nil || again.Duplicate || again.JobID == first.JobID {
			t.Fatalf("redelivery after the failed job's release: %+v, %v; want a new job", again, err)
		}
	})
}
