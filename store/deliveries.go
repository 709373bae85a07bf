package store

import (
	"context"
	"fmt"

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
		opts := &river.InsertOpts{}
		if s.cfg.Settle > 0 {
			opts.ScheduledAt = now.Add(s.cfg.Settle)
		}
		res, err := insert(ctx, job, opts)
		if err != nil {
			return fmt.Errorf("insert job: %w", err)
		}
		out.JobID = res.Job.ID
		if err := q.exec(ctx, `UPDATE triage_delivery SET job_id = $1 WHERE alert_id = $2`, out.JobID, d.AlertID); err != nil {
			return fmt.Errorf("link job: %w", err)
		}
		rec := investigate.Record{
			AlertID:     d.AlertID,
			JobID:       out.JobID,
			DetectionID: d.DetectionID,
			Title:       d.Title,
			Severity:    d.Severity,
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
