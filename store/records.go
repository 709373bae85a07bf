package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/panther-triage/panther-triage/triage"
)

// SaveRecord writes an investigation record, replacing the alert's previous
// one.
func (s *Store) SaveRecord(ctx context.Context, rec triage.Record) error {
	if rec.UpdatedAt.IsZero() {
		rec.UpdatedAt = s.cfg.Now()
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = rec.UpdatedAt
	}
	err := putRecord(ctx, s.be.db(), rec)
	if err == nil {
		// The delivery's queued record is superseded (reads prefer the
		// record row anyway); clearing it keeps the index of waiting
		// deliveries to those that wait.
		err = s.be.db().exec(ctx, `UPDATE triage_delivery SET queued = '' WHERE alert_id = $1 AND queued <> ''`, rec.AlertID)
	}
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

func putRecord(ctx context.Context, q querier, rec triage.Record) error {
	return putRecords(ctx, q, []triage.Record{rec})
}

// putRecords writes records of distinct alerts in one statement.
func putRecords(ctx context.Context, q querier, recs []triage.Record) error {
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
// ErrNoRecord. A delivery whose job has not saved a record yet has its
// queued record in its delivery row (see writeDeliveries).
func (s *Store) Investigation(ctx context.Context, alertID string) (triage.Record, error) {
	var body string
	err := s.be.db().queryRow(ctx, `SELECT record FROM triage_investigation WHERE alert_id = $1`, alertID).Scan(&body)
	if isNoRows(err) {
		err = s.be.db().queryRow(ctx, `SELECT queued FROM triage_delivery WHERE alert_id = $1 AND queued <> ''`, alertID).Scan(&body)
	}
	if isNoRows(err) {
		return triage.Record{}, triage.ErrNoRecord
	}
	if err != nil {
		return triage.Record{}, fmt.Errorf("store: read record %s: %w", alertID, err)
	}
	var rec triage.Record
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		return triage.Record{}, fmt.Errorf("store: decode record %s: %w", alertID, err)
	}
	return rec, nil
}

// Investigations returns one page of whole records, newest first, filtered
// by state and verdict. Pages are cut by a keyset cursor, so records added
// while a client pages do not shift the pages it has not read yet. A page
// holds every record whole, however large: lists served over HTTP read
// Summaries instead.
func (s *Store) Investigations(ctx context.Context, q triage.ListQuery) (triage.RecordPage, error) {
	page := triage.RecordPage{Records: []triage.Record{}}
	next, err := s.list(ctx, q, "t.record", func(r rows) (string, error) {
		var body string
		var created int64
		if err := r.Scan(&body, &created); err != nil {
			return "", err
		}
		var rec triage.Record
		if err := json.Unmarshal([]byte(body), &rec); err != nil {
			return "", fmt.Errorf("decode record: %w", err)
		}
		page.Records = append(page.Records, rec)
		return encodeCursor(created, rec.AlertID), nil
	})
	if err != nil {
		return triage.RecordPage{}, err
	}
	page.Next = next
	return page, nil
}

// Summaries returns one page of summaries, newest first, filtered and cut
// like Investigations. Only the page's own records are read, one at a
// time, each decoded into the few fields a summary holds and dropped
// before the next is read, so a page of summaries costs about
// SummaryTitleMax characters a row whatever the records' size.
// (The databases' JSON functions were slower: SQLite's parse several times
// slower than Go, and PostgreSQL's json operators re-read the text for
// each field.)
func (s *Store) Summaries(ctx context.Context, q triage.ListQuery) (triage.SummaryPage, error) {
	const cols = `t.alert_id, t.job_id, t.detection_id, t.state, t.verdict, t.updated_at, t.record`
	page := triage.SummaryPage{Summaries: []triage.Summary{}}
	next, err := s.list(ctx, q, cols, func(r rows) (string, error) {
		var sum triage.Summary
		var updated, created int64
		var body []byte
		if err := r.Scan(&sum.AlertID, &sum.JobID, &sum.DetectionID, &sum.State, &sum.Verdict, &updated,
			&body, &created); err != nil {
			return "", err
		}
		if err := decodeSummaryFields(body, &sum); err != nil {
			return "", err
		}
		sum.Title, sum.TitleCut = cutText(sum.Title, triage.SummaryTitleMax)
		sum.Reason, _ = cutText(sum.Reason, triage.SummaryTitleMax)
		sum.Severity, _ = cutText(sum.Severity, 32)
		sum.CreatedAt, sum.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		page.Summaries = append(page.Summaries, sum)
		return encodeCursor(created, sum.AlertID), nil
	})
	if err != nil {
		return triage.SummaryPage{}, err
	}
	page.Next = next
	return page, nil
}

// decodeSummaryFields fills the fields of sum that only the record's JSON
// holds, skipping the rest of it.
func decodeSummaryFields(body []byte, sum *triage.Summary) error {
	var f struct {
		Title      string  `json:"title"`
		Severity   string  `json:"severity"`
		Confidence float64 `json:"confidence"`
		Attempts   int     `json:"attempts"`
		CommentID  string  `json:"commentId"`
		Reason     string  `json:"reason"`
		Error      string  `json:"error"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return fmt.Errorf("decode record %s: %w", sum.AlertID, err)
	}
	sum.Title, sum.Severity, sum.Confidence, sum.Attempts, sum.Reason = f.Title, f.Severity, f.Confidence, f.Attempts, cmp.Or(f.Error, f.Reason)
	sum.CommentID, _ = cutText(f.CommentID, triage.SummaryTitleMax)
	return nil
}

// VerdictCounts counts the records of each verdict ("" for none yet),
// of one state or, for "", of all.
func (s *Store) VerdictCounts(ctx context.Context, state string) (map[string]int, error) {
	counts := map[string]int{}
	// Deliveries waiting without a record row are queued, with no verdict.
	// (Read before the next query: SQLite has one connection.)
	if state == "" || state == triage.StateQueued {
		var n int
		if err := s.be.db().queryRow(ctx, `SELECT count(*) FROM triage_delivery d WHERE `+waiting).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count verdicts: %w", err)
		}
		if n > 0 {
			counts[""] = n
		}
	}
	query, args := `SELECT verdict, count(*) FROM triage_investigation GROUP BY verdict`, []any{}
	if state != "" {
		query, args = `SELECT verdict, count(*) FROM triage_investigation WHERE state = $1 GROUP BY verdict`, []any{state}
	}
	rs, err := s.be.db().query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count verdicts: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var verdict string
		var n int
		if err := rs.Scan(&verdict, &n); err != nil {
			return nil, fmt.Errorf("store: count verdicts: %w", err)
		}
		counts[verdict] += n
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: count verdicts: %w", err)
	}
	return counts, nil
}

// list runs one page of a listing: cols of the records q selects (columns
// of the table as t), then created_at, newest first, each row handed to
// scan, which returns the cursor that continues after it. It returns the
// cursor of the next page, "" when this one is the last.
//
// The page's alert IDs are chosen first, from the columns before the
// record and the created_at index, so that only the page's own records
// are read, whatever their size and however many rows the filters pass
// over.
func (s *Store) list(ctx context.Context, q triage.ListQuery, cols string, scan func(rows) (string, error)) (string, error) {
	where, args := []string{"1 = 1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.State != "" {
		where = append(where, "state = "+arg(q.State))
	}
	if q.Verdict != "" {
		where = append(where, "verdict = "+arg(q.Verdict))
	}
	// after is the cursor's condition on a row's time and alert ID columns.
	var after func(at, id string) string
	if q.Cursor != "" {
		created, alertID, err := decodeCursor(q.Cursor)
		if err != nil {
			return "", err
		}
		c1, c2, c3 := arg(created), arg(created), arg(alertID)
		after = func(at, id string) string {
			return fmt.Sprintf("(%s < %s OR (%s = %s AND %s < %s))", at, c1, at, c2, id, c3)
		}
		where = append(where, after("created_at", "alert_id"))
	}
	limit := max(q.Limit, 1)
	lim := arg(limit + 1)
	// The page's keys: the newest of the records, and of the deliveries
	// waiting without one (their queued record is in the delivery row), each
	// read from its own index, then merged.
	keys := `SELECT alert_id, created_at, 0 AS waiting FROM (
			SELECT alert_id, created_at FROM triage_investigation WHERE ` + strings.Join(where, " AND ") + `
			ORDER BY created_at DESC, alert_id DESC LIMIT ` + lim + `) AS r`
	if (q.State == "" || q.State == triage.StateQueued) && q.Verdict == "" {
		dwhere := []string{waiting}
		if q.Cursor != "" {
			dwhere = append(dwhere, after("d.accepted_at", "d.alert_id"))
		}
		keys += `
		UNION ALL
		SELECT alert_id, created_at, 1 FROM (
			SELECT d.alert_id, d.accepted_at AS created_at FROM triage_delivery d WHERE ` + strings.Join(dwhere, " AND ") + `
			ORDER BY d.accepted_at DESC, d.alert_id DESC LIMIT ` + lim + `) AS w`
	}
	query := `WITH p AS (SELECT alert_id, created_at, waiting FROM (` + keys + `) AS k
			ORDER BY created_at DESC, alert_id DESC LIMIT ` + lim + `)
		SELECT ` + strings.ReplaceAll(cols, "t.", "u.") + `, u.page_created FROM (
			SELECT ` + cols + `, p.created_at AS page_created, p.alert_id AS page_alert
			FROM p JOIN triage_investigation t ON t.alert_id = p.alert_id AND p.waiting = 0
			UNION ALL
			SELECT ` + cols + `, p.created_at, p.alert_id
			FROM p JOIN (` + waitingRecords + `) AS t ON t.alert_id = p.alert_id AND p.waiting = 1) AS u
		ORDER BY u.page_created DESC, u.page_alert DESC`
	rs, err := s.be.db().query(ctx, query, args...)
	if err != nil {
		return "", fmt.Errorf("store: list records: %w", err)
	}
	defer rs.Close()
	var n int
	var last, next string
	for rs.Next() {
		if n == limit {
			next = last // a row beyond the page: there is a next one
			break
		}
		if last, err = scan(rs); err != nil {
			return "", fmt.Errorf("store: list records: %w", err)
		}
		n++
	}
	if err := rs.Err(); err != nil {
		return "", fmt.Errorf("store: list records: %w", err)
	}
	return next, nil
}

// waiting selects, from triage_delivery as d, the deliveries whose queued
// record is in their row: their job has saved no record yet. (A record
// row saved since makes the delivery's copy stale until it is cleared.)
const waiting = `d.queued <> '' AND NOT EXISTS (SELECT 1 FROM triage_investigation i WHERE i.alert_id = d.alert_id)`

// waitingRecords gives the queued records kept in delivery rows the
// columns of triage_investigation, so that listings read them alike.
const waitingRecords = `SELECT alert_id, job_id, detection_id, 'queued' AS state, '' AS verdict, queued AS record,
	accepted_at AS created_at, accepted_at AS updated_at FROM triage_delivery WHERE queued <> ''`

// cutText returns s cut to at most n characters, and whether it was cut.
func cutText(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	r := []rune(s)
	return string(r[:n]), true
}

func encodeCursor(created int64, alertID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(created, 10) + ":" + alertID))
}

func decodeCursor(c string) (int64, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", triage.ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(raw), ":")
	created, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", triage.ErrBadCursor
	}
	return created, id, nil
}
