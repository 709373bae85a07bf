package panther_test

import (
	"context"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

func TestIndicatorSearch(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	c := panther.New(srv.GraphQLURL(), "", srv.Token)
	ctx := t.Context()
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	id, err := c.SearchIndicators(ctx, "", []string{"185.220.101.34"}, start, start.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.LakeQuery(ctx, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	if q.Status != panther.LakeSucceeded || len(q.Rows) != 2 || q.BytesScanned <= 0 || q.Rows[0]["p_log_type"] != "AWS.CloudTrail" {
		t.Fatalf("query = %+v", q)
	}

	srv.SetQueryPolls(-1)
	id, err = c.SearchIndicators(ctx, "", []string{"185.220.101.34"}, start, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := c.LakeQuery(ctx, id, 10); q.Status != panther.LakeRunning || q.Rows != nil {
		t.Fatalf("running query = %+v; want running without rows", q)
	}
	if err := c.CancelLakeQuery(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if q, _ := c.LakeQuery(ctx, id, 10); q.Status != panther.LakeCancelled {
		t.Fatalf("after cancel: %+v", q)
	}
}

// TestIndicatorSearchNamesTheKind: auto-detection finds a value only by its
// shape, so a bare username finds nothing unless the search names
// p_any_usernames; and a finished query may answer tryAgain with no rows.
func TestIndicatorSearchNamesTheKind(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	c := panther.New(srv.GraphQLURL(), "", srv.Token)
	ctx := t.Context()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	rows := func(field string) int {
		t.Helper()
		id, err := c.SearchIndicators(ctx, field, []string{"jdoe-contractor"}, start, end)
		if err != nil {
			t.Fatal(err)
		}
		q, err := c.LakeQuery(ctx, id, 100)
		if err != nil || q.Status != panther.LakeSucceeded {
			t.Fatalf("query = %+v, %v", q, err)
		}
		return len(q.Rows)
	}
	if n := rows(""); n != 0 {
		t.Errorf("auto-detected username: %d rows; want none (no shape names its kind)", n)
	}
	if n := rows("p_any_usernames"); n == 0 {
		t.Error("username searched in p_any_usernames: no rows; want the sample alert's events")
	}

	srv.SetTryAgain(1)
	id, err := c.SearchIndicators(ctx, "p_any_usernames", []string{"jdoe-contractor"}, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := c.LakeQuery(ctx, id, 100); q.Status != panther.LakeSucceeded || !q.TryAgain || len(q.Rows) != 0 {
		t.Fatalf("first read = %+v; want succeeded with tryAgain and no rows", q)
	}
	if q, _ := c.LakeQuery(ctx, id, 100); q.TryAgain || len(q.Rows) == 0 {
		t.Fatalf("second read = %+v; want the rows", q)
	}
}
