package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// TestSummaries lists summaries: the title and reason cut in the database
// (a character is not split), the fields a list shows, filters and pages,
// and the verdict counts.
func TestSummaries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()
		long := strings.Repeat("é", 200_000) // 400 KB, two bytes a character
		recs := []triage.Record{
			{AlertID: "a-long", DetectionID: "D.Long", Title: long, Severity: "HIGH", State: triage.StateDone,
				Verdict: triage.VerdictMalicious, Confidence: 0.85, Comment: long, CommentID: "c-1",
				Findings: []triage.Finding{{Title: long}}},
			{AlertID: "a-skip", DetectionID: "D.Skip", Title: "Closed before", State: triage.StateSkipped,
				Reason: "alert status is CLOSED; only OPEN, TRIAGED are investigated"},
			{AlertID: "a-fail", DetectionID: "D.Fail", Title: "Broken", State: triage.StateFailed,
				Error: strings.Repeat("x", 1000), Attempts: 3},
			{AlertID: "a-benign", Title: "Fine", State: triage.StateDone, Verdict: triage.VerdictBenign, Confidence: 0.6},
		}
		for _, rec := range recs {
			rec.CreatedAt = c.Now()
			if err := s.SaveRecord(ctx, rec); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
		}

		page, err := s.Summaries(ctx, triage.ListQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, sum := range page.Summaries {
			ids = append(ids, sum.AlertID)
		}
		if got := strings.Join(ids, ","); got != "a-benign,a-fail,a-skip,a-long" || page.Next != "" {
			t.Fatalf("summaries %s, next %q; want newest first, one page", got, page.Next)
		}
		l := page.Summaries[3]
		if n := utf8.RuneCountInString(l.Title); n != triage.SummaryTitleMax || !l.TitleCut || !strings.HasPrefix(long, l.Title) {
			t.Errorf("long title: %d characters, cut %v; want %d characters of the title, cut", n, l.TitleCut, triage.SummaryTitleMax)
		}
		if l.DetectionID != "D.Long" || l.CommentID != "c-1" || l.Severity != "HIGH" || l.Verdict != "malicious" || l.Confidence != 0.85 ||
			l.State != "done" || !l.CreatedAt.Equal(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("summary = %+v", l)
		}
		if skip := page.Summaries[2]; skip.Reason != recs[1].Reason || skip.TitleCut || skip.Title != "Closed before" {
			t.Errorf("skipped summary = %+v; want its reason", skip)
		}
		if fail := page.Summaries[1]; len(fail.Reason) != triage.SummaryTitleMax || fail.Attempts != 3 {
			t.Errorf("failure reason of %d bytes, %d attempts; want it cut to %d, 3 attempts", len(fail.Reason), fail.Attempts, triage.SummaryTitleMax)
		}

		page, err = s.Summaries(ctx, triage.ListQuery{Limit: 1, State: triage.StateDone})
		if err != nil || len(page.Summaries) != 1 || page.Summaries[0].AlertID != "a-benign" || page.Next == "" {
			t.Fatalf("first done page: %+v, %v", page, err)
		}
		page, err = s.Summaries(ctx, triage.ListQuery{Limit: 1, State: triage.StateDone, Cursor: page.Next})
		if err != nil || len(page.Summaries) != 1 || page.Summaries[0].AlertID != "a-long" || page.Next != "" {
			t.Fatalf("second done page: %+v, %v", page, err)
		}
		page, err = s.Summaries(ctx, triage.ListQuery{Limit: 10, Verdict: triage.VerdictBenign})
		if err != nil || len(page.Summaries) != 1 || page.Summaries[0].AlertID != "a-benign" {
			t.Fatalf("benign: %+v, %v", page, err)
		}

		counts, err := s.VerdictCounts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(counts); got != "map[:2 benign:1 malicious:1]" {
			t.Errorf("verdict counts = %s", got)
		}
		counts, err = s.VerdictCounts(ctx, triage.StateDone)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(counts); got != "map[benign:1 malicious:1]" {
			t.Errorf("verdict counts of done = %s", got)
		}
	})
}

// A delivery whose job has not saved a record yet keeps its queued record
// in its delivery row. Reads see it as any other record: by ID, in
// listings merged with the records by time and paged across both, in
// state and verdict filters and in the counts; once its job saves a
// record, that record alone is seen. A delivery of an alert that has a
// record from an earlier job replaces it with a queued one.
func TestWaitingDeliveriesReadAsQueuedRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		c := newClock()
		s := open(t, dsn, c)
		ctx := t.Context()
		save := func(rec triage.Record) {
			t.Helper()
			if rec.CreatedAt.IsZero() {
				rec.CreatedAt = c.Now()
			}
			if err := s.SaveRecord(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		enqueue := func(id string) triage.Enqueued {
			t.Helper()
			d := delivery(id)
			d.Title, d.Severity = "Title of "+id, "HIGH"
			out, err := s.Enqueue(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		list := func(q triage.ListQuery) string {
			t.Helper()
			var ids []string
			for {
				page, err := s.Summaries(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, sum := range page.Summaries {
					ids = append(ids, sum.AlertID+":"+sum.State)
				}
				if page.Next == "" {
					return strings.Join(ids, ",")
				}
				q.Cursor = page.Next
			}
		}

		// Records are saved by the jobs of deliveries.
		r1 := enqueue("r-1")
		save(triage.Record{AlertID: "r-1", JobID: r1.JobID, State: triage.StateDone, Verdict: triage.VerdictBenign})
		c.Advance(time.Second)
		w1 := enqueue("w-1")
		c.Advance(time.Second)
		save(triage.Record{AlertID: "r-2", JobID: enqueue("r-2").JobID, State: triage.StateRunning})
		c.Advance(time.Second)
		enqueue("w-2")
		c.Advance(time.Second)

		rec, err := s.Investigation(ctx, "w-1")
		if err != nil || rec.State != triage.StateQueued || rec.JobID != w1.JobID || rec.Title != "Title of w-1" ||
			rec.Severity != "HIGH" || rec.CreatedAt.IsZero() {
			t.Fatalf("waiting delivery read as %+v, %v; want its queued record", rec, err)
		}
		want := "w-2:queued,r-2:running,w-1:queued,r-1:done"
		if got := list(triage.ListQuery{Limit: 1}); got != want {
			t.Errorf("pages of one: %s, want %s", got, want)
		}
		if got := list(triage.ListQuery{Limit: 3}); got != want {
			t.Errorf("pages of three: %s, want %s", got, want)
		}
		if got := list(triage.ListQuery{Limit: 10, State: triage.StateQueued}); got != "w-2:queued,w-1:queued" {
			t.Errorf("queued: %s", got)
		}
		if got := list(triage.ListQuery{Limit: 10, Verdict: triage.VerdictBenign}); got != "r-1:done" {
			t.Errorf("benign: %s", got)
		}
		counts, err := s.VerdictCounts(ctx, "")
		if got := fmt.Sprint(counts); err != nil || got != "map[:3 benign:1]" {
			t.Errorf("verdict counts = %s, %v", got, err)
		}
		counts, err = s.VerdictCounts(ctx, triage.StateQueued)
		if got := fmt.Sprint(counts); err != nil || got != "map[:2]" {
			t.Errorf("verdict counts of queued = %s, %v", got, err)
		}

		// Its job starts: the record it saves is the one read and listed.
		rec.State = triage.StateRunning
		save(rec)
		if got := list(triage.ListQuery{Limit: 2}); got != "w-2:queued,r-2:running,w-1:running,r-1:done" {
			t.Errorf("after w-1 started: %s", got)
		}
		if rec, err := s.Investigation(ctx, "w-1"); err != nil || rec.State != triage.StateRunning {
			t.Errorf("w-1 read as %+v, %v; want running", rec, err)
		}

		// r-1 is delivered again, past the dedup window: queued again, for
		// its new job.
		c.Advance(2 * time.Hour)
		again := enqueue("r-1")
		if rec, err := s.Investigation(ctx, "r-1"); err != nil || rec.State != triage.StateQueued || rec.JobID != again.JobID || rec.Verdict != "" {
			t.Errorf("r-1 delivered again read as %+v, %v; want queued for job %d", rec, err, again.JobID)
		}
		if got := list(triage.ListQuery{Limit: 10}); got != "r-1:queued,w-2:queued,r-2:running,w-1:running" {
			t.Errorf("after r-1 delivered again: %s", got)
		}
	})
}
