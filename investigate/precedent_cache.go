package investigate

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// ReadCache keeps the results of reads other investigations can reuse (an
// earlier alert's events and comments, an actor's baseline), keyed by kind
// and key, and counts the reads of each kind against an hourly budget.
// ClaimRead either hands back a result younger than ttl, or makes the
// caller the one process to read (and later SaveRead or ReleaseRead), or
// says the kind's hourly budget of perHour reads is used up. While another
// process reads the same key it waits up to wait for that result.
type ReadCache interface {
	ClaimRead(ctx context.Context, kind, key string, perHour int, ttl, wait time.Duration) (triage.ReadClaim, error)
	SaveRead(ctx context.Context, kind, key string, result []byte) error
	ReleaseRead(ctx context.Context, kind, key string) error
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

// Defaults of the cached listings and detections.
const (
	// DefaultListingTTL is how long an alert listing is reused: alerts of
	// one detection arriving within it share the history's listings.
	DefaultListingTTL = time.Minute
	// DefaultDetectionTTL is how long a detection read is reused.
	DefaultDetectionTTL = 10 * time.Minute
)

// ReadKinds of the cached listings and detections.
const (
	readKindListing   = "listing"
	readKindDetection = "detection"
)

// CachedAlerts wraps an AlertLister so that investigations close in time
// share its listings through cache: a listing's start is widened to the
// hour and its end to the next minute, so alerts of a burst ask the same
// question, answered once within ttl. The history step filters what it
// gets by each alert's own time.
func CachedAlerts(src AlertLister, cache ReadCache, ttl time.Duration) AlertLister {
	return &cachedAlerts{src: src, cache: cache, ttl: cmp.Or(ttl, DefaultListingTTL)}
}

type cachedAlerts struct {
	src   AlertLister
	cache ReadCache
	ttl   time.Duration
}

func (l *cachedAlerts) AlertsByDetection(ctx context.Context, detectionID string, since, until time.Time, max int) ([]panther.Alert, error) {
	since, until = listingWindow(since, until)
	key := fmt.Sprintf("detection|%s|%s|%s|%d", detectionID, since.Format(time.RFC3339), until.UTC().Format(time.RFC3339), max)
	out, _, err := cachedRead(ctx, l.cache, readKindListing, key, 0, l.ttl, 10*time.Second, func(ctx context.Context) ([]panther.Alert, error) {
		return l.src.AlertsByDetection(ctx, detectionID, since, until, max)
	})
	return out, err
}

func (l *cachedAlerts) AlertsBetween(ctx context.Context, after, before time.Time, max int) ([]panther.Alert, error) {
	after, before = listingWindow(after, before)
	key := fmt.Sprintf("between|%s|%s|%d", after.Format(time.RFC3339), before.UTC().Format(time.RFC3339), max)
	out, _, err := cachedRead(ctx, l.cache, readKindListing, key, 0, l.ttl, 10*time.Second, func(ctx context.Context) ([]panther.Alert, error) {
		return l.src.AlertsBetween(ctx, after, before, max)
	})
	return out, err
}

// listingWindow widens a listing's window so that alerts of a burst ask the
// same question: the start to the hour, the end to the next minute.
func listingWindow(start, end time.Time) (time.Time, time.Time) {
	start = start.UTC().Truncate(time.Hour)
	if t := end.UTC().Truncate(time.Minute); !t.Equal(end) {
		end = t.Add(time.Minute)
	}
	return start, end
}

// CachedDetections wraps a DetectionSource so that alerts of one detection
// read it once within ttl.
func CachedDetections(src DetectionSource, cache ReadCache, ttl time.Duration) DetectionSource {
	return &cachedDetections{src: src, cache: cache, ttl: cmp.Or(ttl, DefaultDetectionTTL)}
}

type cachedDetections struct {
	src   DetectionSource
	cache ReadCache
	ttl   time.Duration
}

func (d *cachedDetections) Detection(ctx context.Context, alertType, id string) (*panther.Detection, error) {
	out, _, err := cachedRead(ctx, d.cache, readKindDetection, alertType+"|"+id, 0, d.ttl, 10*time.Second, func(ctx context.Context) (*panther.Detection, error) {
		return d.src.Detection(ctx, alertType, id)
	})
	return out, err
}
