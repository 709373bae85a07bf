package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// budgetTally follows, through one transaction, the counts the hourly
// budgets compare against: deliveries accepted in the last hour that are
// investigated (their mode is empty). They are read once, before the
// transaction writes, and then followed delivery by delivery as each is
// claimed and routed, so that each delivery is judged on exactly the
// counts it would see alone after the ones before it. A batch is counted
// from its earliest arrival.
type budgetTally struct {
	// counted holds the batch's alerts whose rows counted already before
	// the transaction: taking such a row over adds nothing.
	counted     map[string]bool
	total       int
	byDetection map[string]int
}

// readBudgets reads the counts the deliveries as[idx] need, given the
// rows their alerts had before (prior); with no budget configured it reads
// nothing. On SQLite the counts come from the store's memo of the hour's
// investigated deliveries when nothing but this process has written since
// (see budgetMemo), and from the database otherwise.
func (s *Store) readBudgets(ctx context.Context, q querier, as []arrival, idx []int, prior map[string]priorDelivery) (*budgetTally, error) {
	t := &budgetTally{counted: map[string]bool{}, byDetection: map[string]int{}}
	if s.cfg.MaxPerHour <= 0 && s.cfg.MaxPerDetectionHour <= 0 || len(idx) == 0 {
		return t, nil
	}
	earliest := as[idx[0]].at
	for _, i := range idx {
		if as[i].at.Before(earliest) {
			earliest = as[i].at
		}
	}
	hourAgo := earliest.Add(-time.Hour).UnixMilli()
	detections := []any{hourAgo}
	for _, i := range idx {
		a := &as[i]
		if p, ok := prior[a.d.AlertID]; ok && p.mode == "" && p.acceptedAt > hourAgo {
			t.counted[a.d.AlertID] = true
		}
		if d := a.d.DetectionID; d != "" {
			if _, ok := t.byDetection[d]; !ok {
				t.byDetection[d] = 0
				detections = append(detections, d)
			}
		}
	}
	if s.memo != nil {
		if err := s.memo.count(ctx, q, hourAgo, t); err != nil {
			return nil, fmt.Errorf("read budgets: %w", err)
		}
	} else if err := countBudgets(ctx, q, s.cfg, hourAgo, detections, t); err != nil {
		return nil, fmt.Errorf("read budgets: %w", err)
	}
	if s.cfg.MaxPerDetectionHour <= 0 || len(detections) == 1 {
		clear(t.byDetection)
	}
	if s.cfg.MaxPerHour <= 0 {
		t.total = 0
	}
	return t, nil
}

// countBudgets reads the counts from the database: investigated
// deliveries accepted after hourAgo, of the detections in detections[1:]
// and in all.
func countBudgets(ctx context.Context, q querier, cfg Config, hourAgo int64, detections []any, t *budgetTally) error {
	if cfg.MaxPerDetectionHour > 0 && len(detections) > 1 {
		if err := scanRows(ctx, q, `SELECT detection_id, count(*) FROM triage_delivery
			WHERE mode = '' AND accepted_at > $1 AND detection_id IN (`+marks(2, len(detections)-1)+`)
			GROUP BY detection_id`, detections,
			func(r rows) error {
				var d string
				var n int
				err := r.Scan(&d, &n)
				t.byDetection[d] = n
				return err
			}); err != nil {
			return err
		}
	}
	if cfg.MaxPerHour > 0 {
		return q.queryRow(ctx, `SELECT count(*) FROM triage_delivery WHERE mode = '' AND accepted_at > $1`, hourAgo).Scan(&t.total)
	}
	return nil
}

// budgetMemo keeps in memory, on SQLite, the investigated deliveries
// (an empty mode) of the last hour, by alert ID: what the budget counts read.
// Counting them in the database read every one of them in two indexes for
// every batch, the intake's largest read. The memo is good while nothing
// but this process wrote: SQLite's data_version, read in the batch's
// transaction, says whether another connection committed since the memo
// was read, and then the memo is read again. The store's own writes are
// followed in it: a batch records its delivery rows in the memo before it
// commits, and the memo is good for the next transaction only once that
// commit is known to have succeeded (transactions on SQLite's one
// connection run one after another).
type budgetMemo struct {
	mu    sync.Mutex
	query string // reads the data_version
	good  bool
	// written counts the transactions that wrote to the memo, and ended is
	// the count at the last one known to have ended: while they differ, a
	// transaction's writes are in the memo and may not be in the database.
	written, ended uint64
	version        int64
	since          int64 // the memo holds every delivery accepted after since
	rows           map[string]memoRow
}

type memoRow struct {
	acceptedAt int64
	detection  string
}

// count fills t's counts of deliveries accepted after hourAgo, reading the
// memo again from the database when it is not good.
func (m *budgetMemo) count(ctx context.Context, q querier, hourAgo int64, t *budgetTally) error {
	var version int64
	if err := q.queryRow(ctx, m.query).Scan(&version); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.good || m.written != m.ended || version != m.version || hourAgo < m.since {
		found := map[string]memoRow{}
		err := scanRows(ctx, q, `SELECT alert_id, accepted_at, detection_id FROM triage_delivery WHERE mode = '' AND accepted_at > $1`,
			[]any{hourAgo}, func(r rows) error {
				var id string
				var row memoRow
				err := r.Scan(&id, &row.acceptedAt, &row.detection)
				found[id] = row
				return err
			})
		if err != nil {
			m.good = false
			return err
		}
		m.rows, m.since, m.version, m.good, m.ended = found, hourAgo, version, true, m.written
	}
	for id, row := range m.rows {
		if row.acceptedAt <= hourAgo {
			delete(m.rows, id)
			continue
		}
		t.total++
		if n, ok := t.byDetection[row.detection]; ok {
			t.byDetection[row.detection] = n + 1
		}
	}
	m.since = hourAgo
	return nil
}

// wrote follows, before its transaction commits, the delivery rows it
// wrote: as[idx], each with its route. It returns the transaction's
// number for settle.
func (m *budgetMemo) wrote(as []arrival, idx []int) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.written++
	for _, i := range idx {
		a := &as[i]
		delete(m.rows, a.d.AlertID)
		if a.route.Mode == triage.ModeInvestigate {
			m.rows[a.d.AlertID] = memoRow{acceptedAt: a.at.UnixMilli(), detection: a.d.DetectionID}
		}
	}
	return m.written
}

// settle says how transaction n (see wrote) ended: the memo stays good
// only if it committed.
func (m *budgetMemo) settle(n uint64, committed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !committed {
		m.good = false
	}
	if n == m.written {
		m.ended = n
	}
}

// claimed follows a claimed delivery row, which counts from now on.
func (t *budgetTally) claimed(alertID, detectionID string) {
	if !t.counted[alertID] {
		t.add(detectionID, 1)
	}
}

// routedAway follows a delivery routed to a comment instead of an
// investigation: it no longer counts.
func (t *budgetTally) routedAway(detectionID string) { t.add(detectionID, -1) }

func (t *budgetTally) add(detectionID string, n int) {
	t.total += n
	if c, ok := t.byDetection[detectionID]; ok {
		t.byDetection[detectionID] = c + n
	}
}

// overBudget says which budget, if any, an investigation of a delivery of
// detectionID, claimed and counted already, would exceed.
func (t *budgetTally) overBudget(cfg Config, detectionID string) string {
	if max := cfg.MaxPerDetectionHour; max > 0 && detectionID != "" && t.byDetection[detectionID] > max {
		return fmt.Sprintf("the budget of %d investigations per hour for detection %s is used up", max, detectionID)
	}
	if max := cfg.MaxPerHour; max > 0 && t.total > max {
		return fmt.Sprintf("the budget of %d investigations per hour is used up", max)
	}
	return ""
}

// scanRows runs a query and calls scan on each row.
func scanRows(ctx context.Context, q querier, query string, args []any, scan func(rows) error) error {
	r, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer r.Close()
	for r.Next() {
		if err := scan(r); err != nil {
			return err
		}
	}
	return r.Err()
}
