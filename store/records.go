package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/panther-triage/panther-triage/investigate"
)

// SaveRecord writes an investigation record, replacing the alert's previous
// one.
func (s *Store) SaveRecord(ctx context.Context, rec investigate.Record) error {
	if rec.UpdatedAt.IsZero() {
		rec.UpdatedAt = s.cfg.Now()
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = rec.UpdatedAt
	}
	if err := putRecord(ctx, s.be.db(), rec); err != nil {
		return fmt.Errorf("store: save record %s: %w", rec.AlertID, err)
	}
	return nil
}

func putRecord(ctx context.Context, q querier, rec investigate.Record) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return q.exec(ctx, `
		INSERT INTO triage_investigation (alert_id, job_id, detection_id, state, verdict, record, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (alert_id) DO UPDATE
			SET job_id = excluded.job_id, detection_id = excluded.detection_id, state = excluded.state,
			    verdict = excluded.verdict, record = excluded.record, created_at = excluded.created_at,
			    updated_at = excluded.updated_at`,
		rec.AlertID, rec.JobID, rec.DetectionID, rec.State, rec.Verdict, string(body),
		rec.CreatedAt.UnixMilli(), rec.UpdatedAt.UnixMilli())
}

// Investigation returns the alert's investigation record, or
// investigate.ErrNoRecord.
func (s *Store) Investigation(ctx context.Context, alertID string) (investigate.Record, error) {
	var body string
	err := s.be.db().queryRow(ctx, `SELECT record FROM triage_investigation WHERE alert_id = $1`, alertID).Scan(&body)
	if isNoRows(err) {
		return investigate.Record{}, investigate.ErrNoRecord
	}
	if err != nil {
		return investigate.Record{}, fmt.Errorf("store: read record %s: %w", alertID, err)
	}
	var rec investigate.Record
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		return investigate.Record{}, fmt.Errorf("store: decode record %s: %w", alertID, err)
	}
	return rec, nil
}

// Investigations returns up to limit records, newest first.
func (s *Store) Investigations(ctx context.Context, limit int) ([]investigate.Record, error) {
	rows, err := s.be.db().query(ctx, `SELECT record FROM triage_investigation ORDER BY created_at DESC, alert_id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list records: %w", err)
	}
	defer rows.Close()
	out := []investigate.Record{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("store: list records: %w", err)
		}
		var rec investigate.Record
		if err := json.Unmarshal([]byte(body), &rec); err != nil {
			return nil, fmt.Errorf("store: decode record: %w", err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list records: %w", err)
	}
	return out, nil
}
