package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// clock is a settable test clock.
type clock struct{ now atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.now.Store(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

func open(t *testing.T, dsn string, c *clock) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), store.Config{DSN: dsn, DedupWindow: 15 * time.Minute, Now: c.Now}, zerolog.Nop())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func delivery(alertID string) triage.Delivery {
	return triage.Delivery{AlertID: alertID, DetectionID: "AWS.Console.RootLogin", Severity: "HIGH", Title: "Root login", Payload: []byte(`{"alertId":"` + alertID + `"}`)}
}

func TestEnqueueDedupWindowSlides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()

		first, err := s.Enqueue(ctx, delivery("a1"))
		if err != nil || first.Duplicate || first.JobID == 0 {
			t.Fatalf("first delivery: %+v, %v; want a new job", first, err)
		}
		// Two minutes later, which a clock-bucketed window could put in the
		// next bucket: still a duplicate, answered with the first job.
		c.Advance(2 * time.Minute)
		again, err := s.Enqueue(ctx, delivery("a1"))
		if err != nil || !again.Duplicate || again.JobID != first.JobID {
			t.Fatalf("redelivery after 2m: %+v, %v; want duplicate of job %d", again, err, first.JobID)
		}
		c.Advance(12*time.Minute + 59*time.Second)
		if got, _ := s.Enqueue(ctx, delivery("a1")); !got.Duplicate {
			t.Fatalf("redelivery at 14m59s: %+v; want duplicate", got)
		}
		c.Advance(2 * time.Second)
		later, err := s.Enqueue(ctx, delivery("a1"))
		if err != nil || later.Duplicate || later.JobID == first.JobID {
			t.Fatalf("redelivery after the window: %+v, %v; want a new job", later, err)
		}
		rec, err := s.Investigation(ctx, "a1")
		if err != nil || rec.State != triage.StateQueued || rec.JobID != later.JobID {
			t.Fatalf("record: %+v, %v; want queued for job %d", rec, err, later.JobID)
		}
	})
}

func TestEnqueueConcurrentSameAlertOneJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		// Two stores on one database stand for two replicas.
		stores := []*store.Store{open(t, dsn, c), open(t, dsn, c)}
		var wg sync.WaitGroup
		var queued, dup atomic.Int32
		for i := range 20 {
			wg.Go(func() {
				got, err := stores[i%2].Enqueue(context.Background(), delivery("same"))
				switch {
				case err != nil:
					t.Errorf("enqueue: %v", err)
				case got.Duplicate:
					dup.Add(1)
				default:
					queued.Add(1)
				}
			})
		}
		wg.Wait()
		if queued.Load() != 1 || dup.Load() != 19 {
			t.Fatalf("queued %d, duplicate %d; want 1 and 19", queued.Load(), dup.Load())
		}
	})
}

func TestRecordsNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()
		for _, id := range []string{"old", "mid", "new"} {
			if _, err := s.Enqueue(ctx, delivery(id)); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
		}
		rec, _ := s.Investigation(ctx, "mid")
		rec.State, rec.Verdict, rec.Confidence = triage.StateDone, "benign", 0.8
		rec.Findings = []triage.Finding{{Step: "events", Kind: "event_count", Title: "3 events"}}
		if err := s.SaveRecord(ctx, rec); err != nil {
			t.Fatal(err)
		}
		page, err := s.Investigations(ctx, triage.ListQuery{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		list := page.Records
		if len(list) != 2 || list[0].AlertID != "new" || list[1].AlertID != "mid" {
			t.Fatalf("list = %+v; want new, mid", list)
		}
		if list[1].Verdict != "benign" || len(list[1].Findings) != 1 {
			t.Fatalf("saved record not read back: %+v", list[1])
		}
		if _, err := s.Investigation(ctx, "nope"); !errors.Is(err, triage.ErrNoRecord) {
			t.Fatalf("missing record: err = %v; want ErrNoRecord", err)
		}
	})
}

func TestEnqueueSurvivesReopen(t *testing.T) {
	dsn := storetest.SQLite(t)
	c := newClock()
	s, err := store.Open(t.Context(), store.Config{DSN: dsn, Now: c.Now}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Enqueue(t.Context(), delivery("kept"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := open(t, dsn, c)
	again, err := s2.Enqueue(t.Context(), delivery("kept"))
	if err != nil || !again.Duplicate || again.JobID != first.JobID {
		t.Fatalf("after reopen: %+v, %v; want duplicate of job %d", again, err, first.JobID)
	}
}

func TestEnqueueFailsWhenStoreCannotWrite(t *testing.T) {
	c := newClock()
	s, err := store.Open(t.Context(), store.Config{DSN: storetest.SQLite(t), Now: c.Now}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.Enqueue(t.Context(), delivery("lost?")); err == nil {
		t.Fatal("enqueue on a closed store succeeded; want an error so the intake answers 503")
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("ping on a closed store succeeded")
	}
}

func TestOpenFailsOnUnreachableDatabase(t *testing.T) {
	_, err := store.Open(t.Context(), store.Config{DSN: "postgres://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2"}, zerolog.Nop())
	if err == nil {
		t.Fatal("open succeeded against a closed port")
	}
	if got := err.Error(); strings.Contains(got, "hunter2") {
		t.Fatalf("error reveals the password: %s", got)
	}
}

func TestEnqueueMissedOnlyNeverSeenAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()
		if _, err := s.Enqueue(ctx, delivery("delivered")); err != nil {
			t.Fatal(err)
		}
		// Long after the dedup window, the reconciler must still leave a
		// delivered alert alone.
		c.Advance(24 * time.Hour)
		if got, err := s.EnqueueMissed(ctx, delivery("delivered")); err != nil || !got.Duplicate {
			t.Fatalf("missed delivered alert: %+v, %v; want duplicate", got, err)
		}
		got, err := s.EnqueueMissed(ctx, delivery("missed"))
		if err != nil || got.Duplicate || got.JobID == 0 {
			t.Fatalf("missed alert: %+v, %v; want a new job", got, err)
		}
		if again, _ := s.EnqueueMissed(ctx, delivery("missed")); !again.Duplicate {
			t.Fatalf("second reconcile enqueued again: %+v", again)
		}
		// And a late webhook for it is a duplicate within the window.
		if late, _ := s.Enqueue(ctx, delivery("missed")); !late.Duplicate {
			t.Fatalf("late webhook after reconcile: %+v; want duplicate", late)
		}
	})
}

// storm is a delivery with a title, for storm tests.
func storm(alertID, title string) triage.Delivery {
	d := delivery(alertID)
	d.Title = title
	return d
}

func TestStormFollowersLinkToTheLeader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()
		mustEnqueue := func(d triage.Delivery) triage.Enqueued {
			t.Helper()
			got, err := s.Enqueue(ctx, d)
			if err != nil || got.Duplicate {
				t.Fatalf("enqueue %s: %+v, %v", d.AlertID, got, err)
			}
			return got
		}
		mustEnqueue(storm("leader", "New Alert: Root login from [1.2.3.4]"))
		c.Advance(time.Minute)
		mustEnqueue(storm("follower", "[Re-sent]: Root login from [1.2.3.4]"))
		mustEnqueue(storm("other-title", "Root login from [5.6.7.8]"))
		modes := s.JobModes(t)
		if modes["leader"] != "" || modes["follower"] != "repeat:leader" || modes["other-title"] != "" {
			t.Fatalf("modes = %v; want the follower to repeat the leader, the rest investigated", modes)
		}
		// After the window the storm starts anew.
		c.Advance(15 * time.Minute)
		mustEnqueue(storm("late", "Root login from [1.2.3.4]"))
		if m := s.JobModes(t)["late"]; m != "" {
			t.Fatalf("alert after the window: mode %q; want a full investigation", m)
		}
	})
}

func TestBudgets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s, err := store.Open(t.Context(), store.Config{DSN: dsn, Now: c.Now, MaxPerDetectionHour: 2, MaxPerHour: 3}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		ctx := t.Context()
		add := func(id, detection string) {
			d := delivery(id)
			d.DetectionID, d.Title = detection, id // distinct titles: no storm
			if _, err := s.Enqueue(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		add("a1", "A")
		add("a2", "A")
		add("a3", "A") // third of detection A in the hour
		add("b1", "B")
		add("c1", "C") // fourth investigation in the hour
		c.Advance(61 * time.Minute)
		add("a4", "A") // a new hour
		modes := s.JobModes(t)
		want := map[string]string{"a1": "", "a2": "", "a3": "over_budget", "b1": "", "c1": "over_budget", "a4": ""}
		for id, m := range want {
			if !strings.HasPrefix(modes[id], m) || (m == "" && modes[id] != "") {
				t.Errorf("%s: mode %q; want %q", id, modes[id], m)
			}
		}
	})
}

// Two stores on one database, as two replicas, or two processes on one
// SQLite file: each counts the other's deliveries against the budgets.
func TestBudgetsSharedByTwoStores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		var stores []*store.Store
		for range 2 {
			s, err := store.Open(t.Context(), store.Config{DSN: dsn, Now: c.Now, MaxPerDetectionHour: 3, MaxPerHour: 4}, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			stores = append(stores, s)
		}
		add := func(s *store.Store, id, detection string) {
			t.Helper()
			d := delivery(id)
			d.DetectionID, d.Title = detection, id
			if _, err := s.Enqueue(t.Context(), d); err != nil {
				t.Fatal(err)
			}
		}
		s1, s2 := stores[0], stores[1]
		add(s1, "a1", "A")
		add(s2, "a2", "A")
		add(s1, "a3", "A")
		add(s2, "a4", "A") // fourth of detection A in the hour
		add(s1, "b1", "B")
		add(s2, "b2", "B") // fifth investigation in the hour
		add(s1, "b3", "B")
		c.Advance(61 * time.Minute)
		add(s2, "a5", "A")
		add(s1, "a6", "A") // a new hour
		modes := s1.JobModes(t)
		want := map[string]string{"a1": "", "a2": "", "a3": "", "a4": "over_budget", "b1": "", "b2": "over_budget",
			"b3": "over_budget", "a5": "", "a6": ""}
		for id, m := range want {
			if !strings.HasPrefix(modes[id], m) || (m == "" && modes[id] != "") {
				t.Errorf("%s: mode %q; want %q", id, modes[id], m)
			}
		}
	})
}

func TestLakeClaimOneRunnerAndBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s1, s2 := open(t, dsn, c), open(t, dsn, c)
		ctx := t.Context()
		// Two replicas claim the same search at once: one runs it, the
		// other waits for its result.
		var wg sync.WaitGroup
		var runs, cached atomic.Int32
		for i, s := range []*store.Store{s1, s2, s1, s2} {
			wg.Go(func() {
				claim, err := s.ClaimLakeSearch(context.Background(), "1.2.3.4|w", 10, 10*time.Second)
				switch {
				case err != nil:
					t.Error(err)
				case claim.Run:
					runs.Add(1)
					time.Sleep(200 * time.Millisecond)
					if err := s.SaveLakeSearch(context.Background(), "1.2.3.4|w", triage.LakeSearch{QueryID: fmt.Sprint("q", i), Rows: 3}); err != nil {
						t.Error(err)
					}
				case claim.Cached != nil:
					cached.Add(1)
				}
			})
		}
		wg.Wait()
		if runs.Load() != 1 || cached.Load() != 3 {
			t.Fatalf("runs %d, cached %d; want 1 and 3", runs.Load(), cached.Load())
		}
		// The budget counts searches started in the last hour.
		if claim, _ := s1.ClaimLakeSearch(ctx, "other|w", 1, time.Second); !claim.OverBudget {
			t.Fatalf("claim beyond the budget: %+v", claim)
		}
		c.Advance(61 * time.Minute)
		claim, err := s1.ClaimLakeSearch(ctx, "other|w", 1, time.Second)
		if err != nil || !claim.Run {
			t.Fatalf("claim in a new hour: %+v, %v", claim, err)
		}
		// A failed search is released for another try.
		if err := s1.ReleaseLakeSearch(ctx, "other|w"); err != nil {
			t.Fatal(err)
		}
		if claim, _ := s2.ClaimLakeSearch(ctx, "other|w", 0, time.Second); !claim.Run {
			t.Fatalf("claim after release: %+v", claim)
		}
	})
}

func TestInvestigationsFilterAndPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()
		for i := range 7 {
			id := fmt.Sprintf("alert-%d", i)
			verdict := []string{"benign", "malicious"}[i%2]
			rec := triage.Record{AlertID: id, State: triage.StateDone, Verdict: verdict, CreatedAt: c.Now()}
			if i == 6 {
				rec.State, rec.Verdict = triage.StateQueued, ""
			}
			if i == 3 || i == 4 {
				rec.CreatedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // two records at the same instant
			}
			if err := s.SaveRecord(ctx, rec); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
		}
		var ids []string
		q := triage.ListQuery{Limit: 2, State: triage.StateDone}
		for pages := 0; ; pages++ {
			page, err := s.Investigations(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				ids = append(ids, r.AlertID)
			}
			if page.Next == "" {
				if pages != 2 {
					t.Fatalf("%d pages; want 3", pages+1)
				}
				break
			}
			q.Cursor = page.Next
		}
		if got := strings.Join(ids, ","); got != "alert-5,alert-2,alert-1,alert-0,alert-4,alert-3" {
			t.Fatalf("done records paged: %s", got)
		}
		page, err := s.Investigations(ctx, triage.ListQuery{Limit: 10, Verdict: "malicious"})
		if err != nil || len(page.Records) != 3 || page.Next != "" {
			t.Fatalf("malicious: %+v, %v", page, err)
		}
		if _, err := s.Investigations(ctx, triage.ListQuery{Limit: 1, Cursor: "not-a-cursor!"}); !errors.Is(err, triage.ErrBadCursor) {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}
