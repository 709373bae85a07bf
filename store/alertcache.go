package store

import (
	"context"
	"fmt"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// readPoll is how often a claim looks again while another process makes
// the same read.
const readPoll = 100 * time.Millisecond

// readRetention is how long a cached read is kept at most, whatever its
// TTL; older rows are deleted as new ones are saved.
const readRetention = 45 * 24 * time.Hour

// ClaimRead implements investigate.ReadCache on the triage_read_cache
// table, the way ClaimLakeSearch does for data lake searches: it returns
// the result of (kind, key) saved less than ttl ago, or makes the caller the
// one process to read (while another reads, it waits up to wait for that
// result), or says the hourly budget of perHour reads of kind is used up.
func (s *Store) ClaimRead(ctx context.Context, kind, key string, perHour int, ttl, wait time.Duration) (triage.ReadClaim, error) {
	deadline := time.Now().Add(wait)
	for {
		claim, busy, err := s.claimRead(ctx, kind, key, perHour, ttl, wait)
		if err != nil {
			return triage.ReadClaim{}, fmt.Errorf("store: claim %s read: %w", kind, err)
		}
		if !busy {
			return claim, nil
		}
		if time.Now().After(deadline) {
			// The other process is taking too long; read anyway.
			return triage.ReadClaim{Run: true}, nil
		}
		t := time.NewTimer(readPoll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return triage.ReadClaim{}, ctx.Err()
		}
	}
}

// claimRead makes one attempt; busy means another process is reading.
func (s *Store) claimRead(ctx context.Context, kind, key string, perHour int, ttl, wait time.Duration) (claim triage.ReadClaim, busy bool, err error) {
	now := s.cfg.Now()
	err = s.be.inTx(ctx, func(q querier, _ insertFunc) error {
		var state, result string
		var updated int64
		err := q.queryRow(ctx, `SELECT state, result, updated_at FROM triage_read_cache WHERE kind = $1 AND read_key = $2`, kind, key).Scan(&state, &result, &updated)
		exists := err == nil
		switch {
		case err != nil && !isNoRows(err):
			return err
		case exists && state == "done" && now.Sub(time.UnixMilli(updated)) < ttl:
			claim.Cached = []byte(result)
			return nil
		case exists && state == "pending" && now.Sub(time.UnixMilli(updated)) < wait:
			busy = true
			return nil
		}
		if perHour > 0 {
			var n int
			if err := q.queryRow(ctx, `SELECT count(*) FROM triage_read_cache WHERE kind = $1 AND created_at > $2`, kind, now.Add(-time.Hour).UnixMilli()).Scan(&n); err != nil {
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
			INSERT INTO triage_read_cache (kind, read_key, state, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3)
			ON CONFLICT (kind, read_key) DO UPDATE SET state = 'pending', result = '', created_at = $3, updated_at = $3
				WHERE triage_read_cache.updated_at = $4
			RETURNING read_key`, kind, key, now.UnixMilli(), updated).Scan(&got)
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

// SaveRead implements investigate.ReadCache. It also deletes rows older
// than the retention, so the table stays bounded.
func (s *Store) SaveRead(ctx context.Context, kind, key string, result []byte) error {
	now := s.cfg.Now()
	if err := s.be.db().exec(ctx, `
		INSERT INTO triage_read_cache (kind, read_key, state, result, created_at, updated_at) VALUES ($1, $2, 'done', $3, $4, $4)
		ON CONFLICT (kind, read_key) DO UPDATE SET state = 'done', result = excluded.result, updated_at = excluded.updated_at`,
		kind, key, string(result), now.UnixMilli()); err != nil {
		return fmt.Errorf("store: save %s read: %w", kind, err)
	}
	if err := s.be.db().exec(ctx, `DELETE FROM triage_read_cache WHERE kind = $1 AND updated_at < $2`, kind, now.Add(-readRetention).UnixMilli()); err != nil {
		return fmt.Errorf("store: prune %s reads: %w", kind, err)
	}
	return nil
}

// ReleaseRead implements investigate.ReadCache: a read that failed is given
// up, so that another process may make it.
func (s *Store) ReleaseRead(ctx context.Context, kind, key string) error {
	if err := s.be.db().exec(ctx, `DELETE FROM triage_read_cache WHERE kind = $1 AND read_key = $2 AND state = 'pending'`, kind, key); err != nil {
		return fmt.Errorf("store: release %s read: %w", kind, err)
	}
	return nil
}
