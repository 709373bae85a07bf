package store

import (
	"context"
	"fmt"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// QueueStats counts the queue's jobs by state and measures how long the
// oldest available one has waited. It is one indexed query over the
// queue's own table, cheap enough to run on every scrape.
func (s *Store) QueueStats(ctx context.Context) (triage.QueueStats, error) {
	out := triage.QueueStats{Jobs: make(map[string]int64, len(triage.QueueStates))}
	for _, st := range triage.QueueStates {
		out.Jobs[st] = 0
	}
	rows, err := s.be.db().query(ctx,
		`SELECT CAST(state AS text), count(*), min(scheduled_at) FROM river_job GROUP BY state`)
	if err != nil {
		return triage.QueueStats{}, fmt.Errorf("store: queue stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state  string
			n      int64
			oldest any
		)
		if err := rows.Scan(&state, &n, &oldest); err != nil {
			return triage.QueueStats{}, fmt.Errorf("store: queue stats: %w", err)
		}
		out.Jobs[state] = n
		if state != "available" || n == 0 {
			continue
		}
		at, err := queueTime(oldest)
		if err != nil {
			return triage.QueueStats{}, fmt.Errorf("store: queue stats: %w", err)
		}
		out.OldestAvailable = max(s.cfg.Now().Sub(at), 0)
	}
	if err := rows.Err(); err != nil {
		return triage.QueueStats{}, fmt.Errorf("store: queue stats: %w", err)
	}
	return out, nil
}

// queueTime reads a river timestamp: a time.Time from PostgreSQL, text in
// UTC ("2006-01-02 15:04:05.000") from SQLite.
func queueTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case []byte:
		return parseSQLiteTime(string(t))
	case string:
		return parseSQLiteTime(t)
	}
	return time.Time{}, fmt.Errorf("unexpected timestamp %T", v)
}

func parseSQLiteTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unexpected timestamp %q", s)
}
