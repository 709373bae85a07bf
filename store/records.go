package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

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
	err := putRecord(ctx, s.be.db(), rec)
	s.health.note(s.cfg.Now(), err)
	if err != nil {
		return fmt.Errorf("store: save record %s: %w", rec.AlertID, err)
	}
	return nil
}

// MaxTitleBytes caps the title a record stores; a longer one is cut and
// ends with CutMarker. The whole title stays in the delivery's payload and
// in Panther.
const MaxTitleBytes = 1024

// CutMarker ends free text that was cut to fit.
const CutMarker = "… [cut]"

// capText returns s cut to at most max bytes on a rune boundary, CutMarker
// included, when it is longer.
func capText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len(CutMarker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + CutMarker
}

func putRecord(ctx context.Context, q querier, rec investigate.Record) error {
	return putRecords(ctx, q, []investigate.Record{rec})
}

// putRecords writes records of distinct alerts in one statement.
func putRecords(ctx context.Context, q querier, recs []investigate.Record) error {
	args := make([]any, 0, 8*len(recs))
	var values strings.Builder
	for i, rec := range recs {
		rec.Title = capText(rec.Title, MaxTitleBytes)
		body, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode record: %w", err)
		}
		if i > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		args = append(args, rec.AlertID, rec.JobID, rec.DetectionID, rec.State, rec.Verdict, string(body),
			rec.CreatedAt.UnixMilli(), rec.UpdatedAt.UnixMilli())
	}
	return q.exec(ctx, `
		INSERT INTO triage_investigation (alert_id, job_id, detection_id, state, verdict, record, created_at, updated_at)
		VALUES `+values.String()+`
		ON CONFLICT (alert_id) DO UPDATE
			SET job_id = excluded.job_id, detection_id = excluded.detection_id, state = excluded.state,
			    verdict = excluded.verdict, record = excluded.record, created_at = excluded.created_at,
			    updated_at = excluded.updated_at`, args...)
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

// Investigations returns one page of records, newest first, filtered by
// state and verdict. Pages are cut by a keyset cursor, so records added
// while a client pages do not shift the pages it has not read yet.
func (s *Store) Investigations(ctx context.Context, q investigate.ListQuery) (investigate.RecordPage, error) {
	where, args := []string{"1 = 1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.State != "" {
		where = append(where, "state = "+arg(q.State))
	}
	if q.Verdict != "" {
		where = append(where, "verdict = "+arg(q.Verdict))
	}
	if q.Cursor != "" {
		created, alertID, err := decodeCursor(q.Cursor)
		if err != nil {
			return investigate.RecordPage{}, err
		}
		c1, c2, c3 := arg(created), arg(created), arg(alertID)
		where = append(where, fmt.Sprintf("(created_at < %s OR (created_at = %s AND alert_id < %s))", c1, c2, c3))
	}
	limit := max(q.Limit, 1)
	query := `SELECT record, created_at FROM triage_investigation WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created_at DESC, alert_id DESC LIMIT ` + arg(limit+1)
	rows, err := s.be.db().query(ctx, query, args...)
	if err != nil {
		return investigate.RecordPage{}, fmt.Errorf("store: list records: %w", err)
	}
	defer rows.Close()
	page := investigate.RecordPage{Records: []investigate.Record{}}
	var lastCreated int64
	for rows.Next() {
		var body string
		var created int64
		if err := rows.Scan(&body, &created); err != nil {
			return investigate.RecordPage{}, fmt.Errorf("store: list records: %w", err)
		}
		if len(page.Records) == limit {
			last := page.Records[limit-1]
			page.Next = encodeCursor(lastCreated, last.AlertID)
			break
		}
		var rec investigate.Record
		if err := json.Unmarshal([]byte(body), &rec); err != nil {
			return investigate.RecordPage{}, fmt.Errorf("store: decode record: %w", err)
		}
		page.Records = append(page.Records, rec)
		lastCreated = created
	}
	if err := rows.Err(); err != nil {
		return investigate.RecordPage{}, fmt.Errorf("store: list records: %w", err)
	}
	return page, nil
}

func encodeCursor(created int64, alertID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(created, 10) + ":" + alertID))
}

func decodeCursor(c string) (int64, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", investigate.ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(raw), ":")
	created, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", investigate.ErrBadCursor
	}
	return created, id, nil
}
