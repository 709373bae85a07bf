package store

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/panther-triage/panther-triage/investigate"
)

// Enqueue stores a delivery and its investigation job in one transaction,
// unless the same alert was accepted within the dedup window. When it
// returns without error the delivery is committed.
//
// The window slides: it starts at the first accepted delivery of the alert
// and ends DedupWindow later, whatever clock bucket that falls in. The
// delivery row is claimed with a conditional upsert, so two replicas that
// receive the same alert at once cannot both win.
func (s *Store) Enqueue(ctx context.Context, d investigate.Delivery) (investigate.Enqueued, error) {
	return s.enqueue(ctx, d, claimWithinWindow)
}

// EnqueueMissed stores a delivery and its job only when the alert was never
// delivered at all, whenever that was: the reconciler's way in, for alerts
// whose webhook never arrived. Otherwise it answers Duplicate.
func (s *Store) EnqueueMissed(ctx context.Context, d investigate.Delivery) (investigate.Enqueued, error) {
	return s.enqueue(ctx, d, claimIfNeverSeen)
}

// Claims of a delivery row: $1 alert, $2 now, $3 detection, $4 payload,
// $5 the start of the dedup window.
const (
	claimWithinWindow = `
			INSERT INTO triage_delivery (alert_id, accepted_at, job_id, detection_id, payload)
			VALUES ($1, $2, 0, $3, $4)
			ON CONFLICT (alert_id) DO UPDATE
				SET accepted_at = excluded.accepted_at, job_id = 0,
				    detection_id = excluded.detection_id, payload = excluded.payload
				WHERE triage_delivery.accepted_at <= $5
			RETURNING alert_id`
	claimIfNeverSeen = `
			INSERT INTO triage_delivery (alert_id, accepted_at, job_id, detection_id, payload)
			VALUES ($1, $2, 0, $3, $4)
			ON CONFLICT (alert_id) DO UPDATE
				SET job_id = triage_delivery.job_id
				WHERE triage_delivery.accepted_at < $5 AND 1 = 0
			RETURNING alert_id`
)

func (s *Store) enqueue(ctx context.Context, d investigate.Delivery, claim string) (investigate.Enqueued, error) {
	var out investigate.Enqueued
	now := s.cfg.Now()
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = now
	}
	err := s.be.inTx(ctx, func(q querier, insert insertFunc) error {
		out = investigate.Enqueued{}
		var claimed string
		err := q.queryRow(ctx, claim,
			d.AlertID, now.UnixMilli(), d.DetectionID, string(d.Payload),
			now.Add(-s.cfg.DedupWindow).UnixMilli(),
		).Scan(&claimed)
		if isNoRows(err) {
			out.Duplicate = true
			return q.queryRow(ctx, `SELECT job_id FROM triage_delivery WHERE alert_id = $1`, d.AlertID).Scan(&out.JobID)
		}
		if err != nil {
			return fmt.Errorf("claim delivery: %w", err)
		}
		job := investigate.Job{AlertID: d.AlertID, DetectionID: d.DetectionID, ReceivedAt: d.ReceivedAt}
		if err := s.route(ctx, q, d, now, &job); err != nil {
			return err
		}
		// The job's own MaxAttempts: the client that inserts does not work
		// jobs, and its default would be river's (25), not the configured one.
		opts := &river.InsertOpts{MaxAttempts: s.cfg.MaxAttempts}
		if s.cfg.Settle > 0 {
			opts.ScheduledAt = now.Add(s.cfg.Settle)
		}
		res, err := insert(ctx, job, opts)
		if err != nil {
			return fmt.Errorf("insert job: %w", err)
		}
		out.JobID = res.Job.ID
		if err := q.exec(ctx, `UPDATE triage_delivery SET job_id = $1, mode = $2 WHERE alert_id = $3`, out.JobID, job.Mode, d.AlertID); err != nil {
			return fmt.Errorf("link job: %w", err)
		}
		rec := investigate.Record{
			AlertID:     d.AlertID,
			JobID:       out.JobID,
			DetectionID: d.DetectionID,
			Title:       d.Title,
			Severity:    d.Severity,
			Link:        d.Link,
			State:       investigate.StateQueued,
			CreatedAt:   now,
			UpdatedAt:   now,
		}
		return putRecord(ctx, q, rec)
	})
	if err != nil {
		return investigate.Enqueued{}, fmt.Errorf("store: enqueue alert %s: %w", d.AlertID, err)
	}
	return out, nil
}

// route decides what the job of a newly accepted delivery does: link to the
// leader of its storm, stop at a budget, or investigate (and lead a storm).
func (s *Store) route(ctx context.Context, q querier, d investigate.Delivery, now time.Time, job *investigate.Job) error {
	title := investigate.NormalizeTitle(d.Title)
	storm := d.DetectionID != "" && title != ""
	windowStart := now.Add(-s.cfg.DedupWindow).UnixMilli()
	if storm {
		var leader string
		err := q.queryRow(ctx, `SELECT leader_alert_id FROM triage_storm
			WHERE detection_id = $1 AND title_key = $2 AND started_at > $3 AND leader_alert_id <> $4`,
			d.DetectionID, title, windowStart, d.AlertID).Scan(&leader)
		if err == nil {
			job.Mode, job.RepeatOf = investigate.ModeRepeat, leader
			return nil
		}
		if !isNoRows(err) {
			return fmt.Errorf("read storm: %w", err)
		}
	}
	if reason, err := s.overBudget(ctx, q, d.DetectionID, now); err != nil {
		return err
	} else if reason != "" {
		job.Mode, job.Reason = investigate.ModeOverBudget, reason
		return nil
	}
	if !storm {
		return nil
	}
	// Lead the storm, unless another delivery of it just did.
	var leader string
	err := q.queryRow(ctx, `
		INSERT INTO triage_storm (detection_id, title_key, leader_alert_id, started_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (detection_id, title_key) DO UPDATE
			SET leader_alert_id = excluded.leader_alert_id, started_at = excluded.started_at
			WHERE triage_storm.started_at <= $5 OR triage_storm.leader_alert_id = excluded.leader_alert_id
		RETURNING leader_alert_id`,
		d.DetectionID, title, d.AlertID, now.UnixMilli(), windowStart).Scan(&leader)
	switch {
	case isNoRows(err):
		if err := q.queryRow(ctx, `SELECT leader_alert_id FROM triage_storm WHERE detection_id = $1 AND title_key = $2`,
			d.DetectionID, title).Scan(&leader); err != nil {
			return fmt.Errorf("read storm: %w", err)
		}
		job.Mode, job.RepeatOf = investigate.ModeRepeat, leader
	case err != nil:
		return fmt.Errorf("lead storm: %w", err)
	}
	return nil
}

// overBudget says which budget, if any, an investigation started now would
// exceed. The delivery being routed is already counted.
func (s *Store) overBudget(ctx context.Context, q querier, detectionID string, now time.Time) (string, error) {
	hourAgo := now.Add(-time.Hour).UnixMilli()
	if max := s.cfg.MaxPerDetectionHour; max > 0 && detectionID != "" {
		var n int
		if err := q.queryRow(ctx, `SELECT count(*) FROM triage_delivery WHERE detection_id = $1 AND accepted_at > $2 AND mode = ''`,
			detectionID, hourAgo).Scan(&n); err != nil {
			return "", fmt.Errorf("count budget: %w", err)
		}
		if n > max {
			return fmt.Sprintf("the budget of %d investigations per hour for detection %s is used up", max, detectionID), nil
		}
	}
	if max := s.cfg.MaxPerHour; max > 0 {
		var n int
		if err := q.queryRow(ctx, `SELECT count(*) FROM triage_delivery WHERE accepted_at > $1 AND mode = ''`, hourAgo).Scan(&n); err != nil {
			return "", fmt.Errorf("count budget: %w", err)
		}
		if n > max {
			return fmt.Sprintf("the budget of %d investigations per hour is used up", max), nil
		}
	}
	return "", nil
}
