package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
)

func TestReadCacheOneReaderTTLAndBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s1, s2 := open(t, dsn, c), open(t, dsn, c)
		ctx := t.Context()
		// Two replicas read the same closed alert at once: one reads it,
		// the others wait for its result.
		var wg sync.WaitGroup
		var runs, cached atomic.Int32
		for _, s := range []*store.Store{s1, s2, s1, s2} {
			wg.Go(func() {
				claim, err := s.ClaimRead(context.Background(), "alert", "a1|CLOSED", 10, time.Hour, 10*time.Second)
				switch {
				case err != nil:
					t.Error(err)
				case claim.Run:
					runs.Add(1)
					time.Sleep(200 * time.Millisecond)
					if err := s.SaveRead(context.Background(), "alert", "a1|CLOSED", []byte(`{"rowIds":["r1"]}`)); err != nil {
						t.Error(err)
					}
				case string(claim.Cached) == `{"rowIds":["r1"]}`:
					cached.Add(1)
				}
			})
		}
		wg.Wait()
		if runs.Load() != 1 || cached.Load() != 3 {
			t.Fatalf("runs %d, cached %d; want 1 and 3", runs.Load(), cached.Load())
		}
		// A result older than the TTL is read again.
		c.Advance(2 * time.Hour)
		if claim, err := s2.ClaimRead(ctx, "alert", "a1|CLOSED", 10, time.Hour, time.Second); err != nil || !claim.Run {
			t.Fatalf("claim after the TTL: %+v, %v", claim, err)
		}
		// The budget counts reads of one kind started in the last hour.
		if claim, _ := s1.ClaimRead(ctx, "alert", "a2|OPEN", 1, time.Hour, time.Second); !claim.OverBudget {
			t.Fatalf("claim beyond the budget: %+v", claim)
		}
		if claim, _ := s1.ClaimRead(ctx, "baseline", "alice|w", 1, time.Hour, time.Second); !claim.Run {
			t.Fatalf("another kind has its own budget: %+v", claim)
		}
		// A failed read is released for another try.
		if err := s1.ReleaseRead(ctx, "baseline", "alice|w"); err != nil {
			t.Fatal(err)
		}
		if claim, _ := s2.ClaimRead(ctx, "baseline", "alice|w", 0, time.Hour, time.Second); !claim.Run {
			t.Fatalf("claim after release: %+v", claim)
		}
	})
}
