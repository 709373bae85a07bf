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
	id, err := c.SearchIndicators(ctx, []string{"185.220.101.34"}, start, start.Add(7*24*time.Hour))
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
	id, err = c.SearchIndicators(ctx, []string{"185.220.101.34"}, start, start.Add(time.Hour))
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
