package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// lakeResultTTL is how long a search result answers for its key.
const lakeResultTTL = time.Hour

// readKindLake is the read cache's kind for data lake indicator searches;
// their hourly budget counts the rows of this kind.
const readKindLake = "lake"

// ClaimLakeSearch implements investigate.LakeCache on the read cache (see
// ClaimRead): it returns the cached result of key, or makes the caller the
// one process to run the search (while another runs it, it waits up to wait
// for that result), or says the hourly budget of perHour searches is used
// up.
func (s *Store) ClaimLakeSearch(ctx context.Context, key string, perHour int, wait time.Duration) (triage.LakeClaim, error) {
	c, err := s.ClaimRead(ctx, readKindLake, key, perHour, lakeResultTTL, wait)
	if err != nil {
		return triage.LakeClaim{}, err
	}
	claim := triage.LakeClaim{Run: c.Run, OverBudget: c.OverBudget}
	if c.Cached != nil {
		var r triage.LakeSearch
		if err := json.Unmarshal(c.Cached, &r); err != nil {
			return triage.LakeClaim{}, fmt.Errorf("store: decode cached data lake search: %w", err)
		}
		claim.Cached = &r
	}
	return claim, nil
}

// SaveLakeSearch implements investigate.LakeCache.
func (s *Store) SaveLakeSearch(ctx context.Context, key string, r triage.LakeSearch) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: save data lake search: %w", err)
	}
	return s.SaveRead(ctx, readKindLake, key, body)
}

// ReleaseLakeSearch implements investigate.LakeCache: a search that failed
// is given up, so that another process may run it.
func (s *Store) ReleaseLakeSearch(ctx context.Context, key string) error {
	return s.ReleaseRead(ctx, readKindLake, key)
}
