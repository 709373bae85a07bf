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
