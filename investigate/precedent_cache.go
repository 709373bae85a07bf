package investigate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ReadCache keeps the results of reads other investigations can reuse (an
// earlier alert's events and comments, an actor's baseline), keyed by kind
// and key, and counts the reads of each kind against an hourly budget.
// ClaimRead either hands back a result younger than ttl, or makes the
// caller the one process to read (and later SaveRead or ReleaseRead), or
// says the kind's hourly budget of perHour reads is used up. While another
// process reads the same key it waits up to wait for that result.
type ReadCache interface {
	ClaimRead(ctx context.Context, kind, key string, perHour int, ttl, wait time.Duration) (ReadClaim, error)
	SaveRead(ctx context.Context, kind, key string, result []byte) error
	ReleaseRead(ctx context.Context, kind, key string) error
}

// ReadClaim is the answer to a claim on a read.
type ReadClaim struct {
	// Cached is the saved result when the read was done before.
	Cached []byte
	// Run is true when the caller is to read.
	Run bool
	// OverBudget is true when the hourly budget is used up.
	OverBudget bool
}

// errOverBudget says a read was not made because its hourly budget is used
// up.
var errOverBudget = fmt.Errorf("hourly read budget used up")

// cachedRead answers a read from cache, or runs it once for every process
// and saves its result. cached says whether the result came from the cache.
func cachedRead[T any](ctx context.Context, cache ReadCache, kind, key string, perHour int, ttl, wait time.Duration, read func(ctx context.Context) (T, error)) (v T, cached bool, err error) {
	claim, err := cache.ClaimRead(ctx, kind, key, perHour, ttl, wait)
	switch {
	case err != nil:
		return v, false, err
	case claim.Cached != nil:
		if err := json.Unmarshal(claim.Cached, &v); err == nil {
			return v, true, nil
		}
		// An undecodable entry (an older shape) is read again.
	case claim.OverBudget:
		return v, false, errOverBudget
	}
	v, err = read(ctx)
	if err != nil {
		_ = cache.ReleaseRead(context.WithoutCancel(ctx), kind, key)
		return v, false, err
	}
	body, err := json.Marshal(v)
	if err == nil {
		err = cache.SaveRead(context.WithoutCancel(ctx), kind, key, body)
	}
	if err != nil {
		_ = cache.ReleaseRead(context.WithoutCancel(ctx), kind, key)
	}
	// The read succeeded: a cache that cannot save costs a re-read later,
	// not this investigation.
	return v, false, nil
}
