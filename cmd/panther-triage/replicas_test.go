package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// startReplicas starts k `serve` in-process at the same moment, all with
// the same environment (so on one database), and waits until every one
// listens.
func startReplicas(t *testing.T, vars map[string]string, k int) []*service {
	t.Helper()
	out := make([]*service, k)
	waits := make([]func() error, k)
	gate := make(chan struct{})
	for i := range k {
		out[i], waits[i] = launchServe(t, fmt.Sprintf("replica %d", i), vars, gate)
	}
	close(gate)
	for i, listening := range waits {
		if err := listening(); err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	return out
}

// TestReplicasStartTogetherOnAFreshDatabase starts two replicas at the same
// moment on an empty PostgreSQL database, three times: both run the
// migrations, both must come up, and each migration is applied once.
func TestReplicasStartTogetherOnAFreshDatabase(t *testing.T) {
	t.Parallel()
	p := startPanther(t)
	alerts := addDistinctAlerts(t, p, 6)
	for round := range 3 {
		db := storetest.Postgres(t)
		replicas := startReplicas(t, testEnv(p, db, unbounded), 2)
		q := openQueueDB(t, db)
		var versions, distinct int
		if err := q.pg.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version) FROM river_migration`).Scan(&versions, &distinct); err != nil {
			t.Fatalf("round %d: read river_migration: %v", round, err)
		}
		if versions == 0 || versions != distinct {
			t.Errorf("round %d: river_migration has %d rows for %d versions; want each version once", round, versions, distinct)
		}
		// Both take deliveries into the tables the migrations made.
		for i, r := range replicas {
			if status := getJSON(t, r.url+"/readyz", "", nil); status != http.StatusOK {
				t.Errorf("round %d: replica %d /readyz = %d", round, i, status)
			}
			if status, err := deliverOnce(r.url, alerts[2*round+i].WebhookPayload()); err != nil || status != http.StatusAccepted {
				t.Errorf("round %d: replica %d: delivery %d, %v; want 202", round, i, status, err)
			}
		}
		for _, r := range replicas {
			if err := r.stop(); err != nil {
				t.Errorf("round %d: stop: %v", round, err)
			}
		}
	}
}

// TestReplicasBehaveAsOne runs two replicas on one PostgreSQL database and
// delivers each of 100 alerts to both at once, as Panther's retry through a
// load balancer may: one replica queues it, the other answers duplicate,
// and every alert gets one job, one record and one comment.
func TestReplicasBehaveAsOne(t *testing.T) {
	t.Parallel()
	const n = 100
	p := startPanther(t, panthersim.WithLatency(10*time.Millisecond))
	alerts := addDistinctAlerts(t, p, n)
	db := storetest.Postgres(t)
	replicas := startReplicas(t, testEnv(p, db, unbounded), 2)
	q := openQueueDB(t, db)

	type answer struct {
		status int
		err    error
	}
	answers := make([][2]answer, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, a := range alerts {
		for r := range replicas {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				st, err := deliverOnce(replicas[r].url, a.WebhookPayload())
				answers[i][r] = answer{st, err}
			})
		}
	}
	wg.Wait()

	queued, duplicates := 0, 0
	for i, pair := range answers {
		q202 := 0
		for r, ans := range pair {
			switch {
			case ans.err != nil:
				t.Errorf("alert %s at replica %d: %v", alerts[i].ID, r, ans.err)
			case ans.status == http.StatusAccepted:
				q202++
			case ans.status == http.StatusOK:
				duplicates++
			default:
				t.Errorf("alert %s at replica %d: status %d", alerts[i].ID, r, ans.status)
			}
		}
		queued += q202
		if q202 != 1 {
			t.Errorf("alert %s was queued %d times by the two replicas; want once", alerts[i].ID, q202)
		}
	}

	drained(t, q, 60*time.Second)
	total, lost, duplicated, bad := commentCounts(p, alerts, nil)

	jobs := q.jobsPerAlert(t)
	for _, a := range alerts {
		if jobs[a.ID] != 1 {
			t.Errorf("alert %s has %d jobs; want 1", a.ID, jobs[a.ID])
		}
	}
	// Each replica's API shows the same records: one per alert, done.
	for i, r := range replicas {
		recs := listRecords(t, r.url)
		byAlert := map[string]int{}
		for _, rec := range recs {
			byAlert[rec.AlertID]++
			if rec.State != triage.StateDone {
				t.Errorf("replica %d: record %s is %s (%s)", i, rec.AlertID, rec.State, rec.StateReason())
			}
		}
		if len(recs) != n || len(byAlert) != n {
			t.Errorf("replica %d lists %d records for %d alerts; want %d", i, len(recs), len(byAlert), n)
		}
	}
	// Which replica worked which job: river records its client.
	workedBy := map[string]int{}
	var client string
	var c int
	q.rows(t, `SELECT attempted_by[1], count(*) FROM river_job WHERE kind = 'investigate_alert' GROUP BY 1`,
		[]any{&client, &c}, func() { workedBy[client] = c })
	t.Logf("alerts %d, deliveries %d: queued %d, duplicate %d; comments %d, lost %d, duplicated %d; jobs worked per replica %v",
		n, 2*n, queued, duplicates, total, lost, duplicated, workedBy)
	if lost > 0 || duplicated > 0 {
		t.Errorf("%d lost, %d duplicated:\n%s", lost, duplicated, strings.Join(bad, "\n"))
	}
}
