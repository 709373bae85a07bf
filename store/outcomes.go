package store

import (
	"context"
	"fmt"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// PendingVerdicts lists up to max investigations done since since, with a
// malicious, suspicious or benign verdict, whose outcome is not recorded.
func (s *Store) PendingVerdicts(ctx context.Context, since time.Time, max int) ([]triage.VerdictRow, error) {
	rows, err := s.be.db().query(ctx, `
		SELECT i.alert_id, i.detection_id, i.verdict, i.created_at
		FROM triage_investigation i LEFT JOIN triage_outcome o ON o.alert_id = i.alert_id
		WHERE i.state = 'done' AND i.verdict IN ('malicious', 'suspicious', 'benign')
			AND i.created_at >= $1 AND o.alert_id IS NULL
		ORDER BY i.created_at LIMIT $2`, since.UnixMilli(), max)
	if err != nil {
		return nil, fmt.Errorf("store: pending verdicts: %w", err)
	}
	defer rows.Close()
	var out []triage.VerdictRow
	for rows.Next() {
		var r triage.VerdictRow
		var created int64
		if err := rows.Scan(&r.AlertID, &r.DetectionID, &r.Verdict, &created); err != nil {
			return nil, fmt.Errorf("store: pending verdicts: %w", err)
		}
		r.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pending verdicts: %w", err)
	}
	return out, nil
}

// SaveOutcome records how analysts ended an alert (RESOLVED or CLOSED) and
// whether that agrees with the verdict.
func (s *Store) SaveOutcome(ctx context.Context, r triage.VerdictRow, status string, agree bool) error {
	a := 0
	if agree {
		a = 1
	}
	if err := s.be.db().exec(ctx, `
		INSERT INTO triage_outcome (alert_id, detection_id, verdict, analyst_status, agree, checked_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (alert_id) DO NOTHING`,
		r.AlertID, r.DetectionID, r.Verdict, status, a, s.cfg.Now().UnixMilli()); err != nil {
		return fmt.Errorf("store: save outcome %s: %w", r.AlertID, err)
	}
	return nil
}

// Agreements counts agreement per detection over every recorded outcome.
func (s *Store) Agreements(ctx context.Context) ([]triage.Agreement, error) {
	rows, err := s.be.db().query(ctx, `
		SELECT detection_id, SUM(agree), COUNT(*) - SUM(agree) FROM triage_outcome
		GROUP BY detection_id ORDER BY detection_id`)
	if err != nil {
		return nil, fmt.Errorf("store: agreements: %w", err)
	}
	defer rows.Close()
	var out []triage.Agreement
	for rows.Next() {
		var a triage.Agreement
		if err := rows.Scan(&a.DetectionID, &a.Agree, &a.Disagree); err != nil {
			return nil, fmt.Errorf("store: agreements: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
