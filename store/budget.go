package store

import (
	"context"
	"fmt"
	"time"
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
// nothing.
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
	if s.cfg.MaxPerDetectionHour > 0 && len(detections) > 1 {
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
			return nil, fmt.Errorf("read budgets: %w", err)
		}
	} else {
		clear(t.byDetection)
	}
	if s.cfg.MaxPerHour > 0 {
		if err := q.queryRow(ctx, `SELECT count(*) FROM triage_delivery WHERE mode = '' AND accepted_at > $1`, hourAgo).Scan(&t.total); err != nil {
			return nil, fmt.Errorf("read budgets: %w", err)
		}
	}
	return t, nil
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
