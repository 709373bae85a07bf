package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
)

// lakeResultTTL is how long a search result answers for its key.
const lakeResultTTL = time.Hour

// lakePoll is how often a claim looks again while another process runs the
// same search.
const lakePoll = 300 * time.Millisecond

var _ investigate.LakeCache = (*Store)(nil)

// ClaimLakeSearch implements investigate.LakeCache: it returns the cached
// result of key, or makes the caller the one process to run the search
// (while another runs it, it waits up to wait for that result), or says the
// hourly budget of perHour searches is used up.
func (s *Store) ClaimLakeSearch(ctx context.Context, key string, perHour int, wait time.Duration) (investigate.LakeClaim, error) {
	deadline := time.Now().Add(wait)
	for {
		claim, busy, err := s.claimLake(ctx, key, perHour, wait)
		if err != nil {
			return investigate.LakeClaim{}, fmt.Errorf("store: claim data lake search: %w", err)
		}
		if !busy {
			return claim, nil
		}
		if time.Now().After(deadline) {
			// The other process is taking too long; search anyway.
			return investigate.LakeClaim{Run: true}, nil
		}
		t := time.NewTimer(lakePoll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return investigate.LakeClaim{}, ctx.Err()
		}
	}
}

// claimLake makes one attempt; busy means another process runs the search.
func (s *Store) claimLake(ctx context.Context, key string, perHour int, wait time.Duration) (claim investigate.LakeClaim, busy bool, err error) {
	now := s.cfg.Now()
	err = s.be.inTx(ctx, func(q querier, _ insertFunc) error {
		var state, result string
		var updated int64
		err := q.queryRow(ctx, `SELECT state, result, updated_at FROM triage_lake WHERE search_key = $1`, key).Scan(&state, &result, &updated)
		exists := err == nil
		switch {
		case err != nil && !isNoRows(err):
			return err
		case exists && state == "done" && now.Sub(time.UnixMilli(updated)) < lakeResultTTL:
			var r investigate.LakeSearch
			if err := json.Unmarshal([]byte(result), &r); err != nil {
				return fmt.Errorf("decode cached search: %w", err)
			}
			claim.Cached = &r
			return nil
		case exists && state == "pending" && now.Sub(time.UnixMilli(updated)) < wait:
			busy = true
			return nil
		}
		if perHour > 0 {
			var n int
			if err := q.queryRow(ctx, `SELECT count(*) FROM triage_lake WHERE created_at > $1`, now.Add(-time.Hour).UnixMilli()).Scan(&n); err != nil {
				return err
			}
			if n >= perHour {
				claim.OverBudget = true
				return nil
			}
		}
		// Take the row: new, stale pending, or an expired result.
		var got string
		err = q.queryRow(ctx, `
			INSERT INTO triage_lake (search_key, state, created_at, updated_at) VALUES ($1, 'pending', $2, $2)
			ON CONFLICT (search_key) DO UPDATE SET state = 'pending', result = '', created_at = $2, updated_at = $2
				WHERE triage_lake.updated_at = $3
			RETURNING search_key`, key, now.UnixMilli(), updated).Scan(&got)
		switch {
		case isNoRows(err):
			busy = true // another process took it between our read and write
		case err != nil:
			return err
		default:
			claim.Run = true
		}
		return nil
	})
	return claim, busy, err
}

// SaveLakeSearch implements investigate.LakeCache.
func (s *Store) SaveLakeSearch(ctx context.Context, key string, r investigate.LakeSearch) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: save data lake search: %w", err)
	}
	now := s.cfg.Now().UnixMilli()
	if err := s.be.db().exec(ctx, `
		INSERT INTO triage_lake (search_key, state, result, created_at, updated_at) VALUES ($1, 'done', $2, $3, $3)
		ON CONFLICT (search_key) DO UPDATE SET state = 'done', result = excluded.result, updated_at = excluded.updated_at`,
		key, string(body), now); err != nil {
		return fmt.Errorf("store: save data lake search: %w", err)
	}
	return nil
}

// ReleaseLakeSearch implements investigate.LakeCache: a search that failed
// is given up, so that another process may run it.
func (s *Store) ReleaseLakeSearch(ctx context.Context, key string) error {
	if err := s.be.db().exec(ctx, `DELETE FROM triage_lake WHERE search_key = $1 AND state = 'pending'`, key); err != nil {
		return fmt.Errorf("store: release data lake search: %w", err)
	}
	return nil
}
