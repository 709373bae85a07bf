package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// enqueueAll hands the deliveries to the store at once, from one goroutine
// each, so that they share transactions, and returns the answers in order.
func enqueueAll(t *testing.T, s *store.Store, ds []triage.Delivery) []triage.Enqueued {
	t.Helper()
	out := make([]triage.Enqueued, len(ds))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() {
			<-start
			got, err := s.Enqueue(context.Background(), d)
			if err != nil {
				t.Errorf("enqueue %s: %v", d.AlertID, err)
			}
			out[i] = got
		})
	}
	close(start)
	wg.Wait()
	return out
}

func TestEnqueueTogetherDuplicatesAnswerTheirFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn, newClock())
		var ds []triage.Delivery
		for i := range 40 {
			d := storm(fmt.Sprintf("alert-%d", i%10), fmt.Sprintf("title %d", i%10))
			ds = append(ds, d)
		}
		got := enqueueAll(t, s, ds)
		jobOf := map[string]int64{}
		for i, g := range got {
			if !g.Duplicate {
				if _, ok := jobOf[ds[i].AlertID]; ok {
					t.Fatalf("%s queued twice", ds[i].AlertID)
				}
				jobOf[ds[i].AlertID] = g.JobID
			}
		}
		if len(jobOf) != 10 {
			t.Fatalf("%d alerts queued; want 10", len(jobOf))
		}
		for i, g := range got {
			if g.JobID != jobOf[ds[i].AlertID] || g.JobID == 0 {
				t.Errorf("%s: job %d; want the queued job %d", ds[i].AlertID, g.JobID, jobOf[ds[i].AlertID])
			}
		}
	})
}

// Each delivery of a batch is answered with its own alert's job, however
// the database numbered the batch's jobs.
func TestEnqueueTogetherAnswersEachItsOwnJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn, newClock())
		for round := range 3 {
			var ds []triage.Delivery
			for i := range 50 {
				ds = append(ds, storm(fmt.Sprintf("alert-%d-%d", round, i), fmt.Sprintf("title %d %d", round, i)))
			}
			got := enqueueAll(t, s, ds)
			jobs := s.JobAlerts(t)
			for i, g := range got {
				if g.Duplicate || jobs[g.JobID] != ds[i].AlertID {
					t.Errorf("%s: answered %+v, the job of %q", ds[i].AlertID, g, jobs[g.JobID])
				}
			}
		}
	})
}

func TestEnqueueTogetherStormHasOneLeader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn, newClock())
		var ds []triage.Delivery
		for i := range 30 {
			ds = append(ds, storm(fmt.Sprintf("alert-%02d", i), "New Alert: Root login from [1.2.3.4]"))
		}
		enqueueAll(t, s, ds)
		modes := s.JobModes(t)
		leader := ""
		for id, m := range modes {
			if m == "" {
				if leader != "" {
					t.Fatalf("two leaders: %s and %s", leader, id)
				}
				leader = id
			}
		}
		for id, m := range modes {
			if id != leader && m != "repeat:"+leader {
				t.Errorf("%s: mode %q; want repeat:%s", id, m, leader)
			}
		}
		if len(modes) != 30 || leader == "" {
			t.Fatalf("%d jobs, leader %q; want 30 jobs and a leader", len(modes), leader)
		}
	})
}

func TestEnqueueTogetherBudgetsHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s, err := store.Open(t.Context(), store.Config{DSN: dsn, Now: c.Now, MaxPerDetectionHour: 5, MaxPerHour: 8}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		var ds []triage.Delivery
		for i := range 24 {
			d := delivery(fmt.Sprintf("alert-%02d", i))
			d.DetectionID, d.Title = []string{"A", "B", "C"}[i%3], d.AlertID // distinct titles: no storm
			ds = append(ds, d)
		}
		enqueueAll(t, s, ds)
		modes := s.JobModes(t)
		total, byDetection := 0, map[string]int{}
		for _, d := range ds {
			switch m := modes[d.AlertID]; {
			case m == "":
				total++
				byDetection[d.DetectionID]++
			case !strings.HasPrefix(m, "over_budget: "):
				t.Errorf("%s: mode %q; want investigated or over budget", d.AlertID, m)
			}
		}
		if !strings.HasPrefix(dsn, "postgres") {
			// One writer: the budgets hold exactly, batch or not.
			if total != 8 {
				t.Fatalf("%d investigated; want the hourly budget of 8", total)
			}
			for det, n := range byDetection {
				if n > 5 {
					t.Errorf("detection %s: %d investigated; want at most its budget of 5", det, n)
				}
			}
			return
		}
		// PostgreSQL runs several transactions at once, each counting what
		// is committed: the budgets hold give or take deliveries in flight
		// (see Config), but are never undercut.
		if total < 8 {
			t.Fatalf("%d investigated; want at least the hourly budget of 8", total)
		}
	})
}

func TestEnqueueTogetherOneRefusedDeliveryFailsAlone(t *testing.T) {
	// PostgreSQL refuses a NUL byte in text; SQLite stores it. Either way
	// the other deliveries of the batch are stored.
	storetest.Each(t, func(t *testing.T, dsn string) {
		s := open(t, dsn, newClock())
		var ds []triage.Delivery
		for i := range 10 {
			ds = append(ds, delivery(fmt.Sprintf("alert-%d", i)))
		}
		ds[3].Payload = []byte("{\"alertId\":\"alert-3\x00\"}")
		out := make([]error, len(ds))
		var wg sync.WaitGroup
		for i, d := range ds {
			wg.Go(func() {
				_, out[i] = s.Enqueue(context.Background(), d)
			})
		}
		wg.Wait()
		for i, err := range out {
			if i != 3 && err != nil {
				t.Errorf("%s: %v; want it stored whatever happened to alert-3", ds[i].AlertID, err)
			}
		}
	})
}

func TestEnqueueAfterCloseFails(t *testing.T) {
	s, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.Enqueue(ctx, delivery("late")); err == nil || ctx.Err() != nil {
		t.Fatalf("enqueue after close: %v (ctx %v); want an error at once", err, ctx.Err())
	}
}
