package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// opOrder is the order of Panther API operations in the cost table.
var opOrder = []string{"alert", "alert_rest", "alert_events", "detection", "alerts", "indicator_search", "lake_query", "lake_cancel", "comments", "add_comment"}

// sampleRun is what one delivery of one sample alert did.
type sampleRun struct {
	answer  string        // the intake's status: queued, filtered, …
	state   string        // the record's state
	reason  string        // why it was skipped or failed
	latency time.Duration // delivery to comment; 0 when no comment came
	worker  time.Duration // the worker's own time (the record's "total" timing)
	calls   map[string]float64
	lake    int     // data lake queries the simulated Panther received
	scanned float64 // bytes the data lake reported scanning
}

// commentSeen is a comment the simulated Panther received, and when.
type commentSeen struct {
	alertID string
	at      time.Time
}

// investigateBench measures, for each sample alert, the time from
// delivery to comment with a fixed latency on every Panther call, beside
// the critical path, and what each investigation cost.
func investigateBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("investigate", flag.ContinueOnError)
	latency := fs.Duration("latency", 50*time.Millisecond, "latency the simulated Panther adds to every call")
	rounds := fs.Int("rounds", 9, "rounds; each starts a fresh service and simulated Panther and delivers every sample alert in turn")
	db := fs.String("db", "sqlite", "backend: sqlite or postgres")
	pgAdmin := fs.String("postgres", "", "PostgreSQL server for -db postgres (default $PANTHER_TRIAGE_TEST_POSTGRES or "+defaultPostgres+")")
	src := fs.String("src", "", "source tree of the panther-triage to measure (default: this module)")
	keep := fs.Bool("keep", false, "keep the temp dir with logs and databases")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if *src == "" {
		*src = root
	}
	dir, cleanup, err := workDir("investigate", *keep, out)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := buildService(ctx, *src, dir, "panther-triage")
	if err != nil {
		return err
	}

	seeds := panthersim.DefaultSeeds()
	runs := make([][]sampleRun, len(seeds))
	for r := range *rounds {
		var mu sync.Mutex
		var seen []commentSeen
		sim := panthersim.New(panthersim.WithSeeds(seeds...), panthersim.WithCommentHook(func(c panther.Comment) {
			mu.Lock()
			seen = append(seen, commentSeen{alertID: c.AlertID, at: time.Now()})
			mu.Unlock()
		}))
		sim.Start()
		sim.SetLatency(*latency)
		dsn, drop, err := benchDatabase(ctx, *db, *pgAdmin, filepath.Join(dir, fmt.Sprintf("investigate-%d.db", r)))
		if err != nil {
			sim.Close()
			return err
		}
		p, err := start(ctx, "panther-triage", bin, []string{"serve"}, serviceEnv(sim, dsn), filepath.Join(dir, fmt.Sprintf("service-%d.log", r)))
		if err != nil {
			drop()
			sim.Close()
			return err
		}
		for i, seed := range seeds {
			commentAt := func() (time.Time, bool) {
				mu.Lock()
				defer mu.Unlock()
				for _, c := range seen {
					if c.alertID == seed.ID {
						return c.at, true
					}
				}
				return time.Time{}, false
			}
			run, err := deliverSample(ctx, sim, p.base, seed, commentAt)
			if err != nil {
				p.stop()
				drop()
				sim.Close()
				return fmt.Errorf("round %d, alert %s: %w", r+1, seed.ID, err)
			}
			runs[i] = append(runs[i], run)
		}
		p.stop()
		drop()
		sim.Close()
	}
	printLatency(out, seeds, runs, *latency, *rounds, *db)
	printCost(out, seeds, runs)
	return nil
}

// benchDatabase returns the DSN of a fresh database of the backend and a
// function that drops it.
func benchDatabase(ctx context.Context, backend, pgAdmin, sqlitePath string) (string, func(), error) {
	switch backend {
	case "sqlite":
		return sqlitePath, func() {}, nil
	case "postgres":
		return createDatabase(ctx, postgresAdmin(pgAdmin))
	}
	return "", nil, fmt.Errorf("unknown backend %q (want sqlite or postgres)", backend)
}

// deliverSample posts a seed's webhook, waits until its investigation has
// finished, and reports what it took and cost.
func deliverSample(ctx context.Context, sim *panthersim.Server, base string, seed panthersim.SeedAlert, commentAt func() (time.Time, bool)) (sampleRun, error) {
	calls0, err := apiCalls(ctx, base)
	if err != nil {
		return sampleRun{}, err
	}
	bytes0, _ := scannedBytes(ctx, base)
	lake0 := len(sim.DataLakeQueries())

	t0 := time.Now()
	status, body, err := postOne(ctx, base, seed.WebhookPayload())
	if err != nil {
		return sampleRun{}, err
	}
	var answer struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(body, &answer)
	run := sampleRun{answer: answer.Status, reason: answer.Reason}
	if status != 202 {
		return run, nil
	}
	rec, err := waitFinished(ctx, base, seed.ID, 2*time.Minute)
	if err != nil {
		return run, err
	}
	run.state, run.reason = rec.State, rec.Reason
	if at, ok := commentAt(); ok {
		run.latency = at.Sub(t0)
	}
	run.worker, _ = time.ParseDuration(rec.Timings["total"])
	calls1, err := apiCalls(ctx, base)
	if err != nil {
		return run, err
	}
	run.calls = map[string]float64{}
	for op, n := range calls1 {
		if d := n - calls0[op]; d > 0 {
			run.calls[op] = d
		}
	}
	bytes1, _ := scannedBytes(ctx, base)
	run.scanned = bytes1 - bytes0
	run.lake = len(sim.DataLakeQueries()) - lake0
	return run, nil
}

// criticalPath is the longest chain of Panther calls that wait for each
// other in an investigation that made these calls, counted in calls:
// the alert read (GraphQL and REST at once) → the event pages → then the
// longer of the history listings (detection's alerts, then the last day's)
// and a data lake search (start, then polls; the searches run at once) →
// the comment listing → the comment. The detection read runs beside the
// events and the rest; enrichment without providers makes no call.
func criticalPath(calls map[string]float64) int {
	n := func(op string) int { return int(calls[op]) }
	lake := 0
	if s := n("indicator_search"); s > 0 {
		lake = 1 + int(math.Ceil(calls["lake_query"]/calls["indicator_search"]))
	}
	read := min(1, n("alert")+n("alert_rest"))
	return read + max(n("alert_events")+max(n("alerts"), lake), n("detection")) + n("comments") + n("add_comment")
}

func printLatency(out io.Writer, seeds []panthersim.SeedAlert, runs [][]sampleRun, latency time.Duration, rounds int, db string) {
	fmt.Fprintf(out, "## Investigation latency: delivery to comment, %s per Panther call, %s, median of %d rounds\n\n", latency, db, rounds)
	fmt.Fprintln(out, "Each round starts a fresh service (its defaults: 4 workers, data lake step on, no enrichment providers) and a fresh simulated Panther")
	fmt.Fprintln(out, "holding panthersim's sample alerts, then delivers them one at a time. Measured: from just before POST /webhook to the moment")
	fmt.Fprintln(out, "the simulated Panther stores the comment. Critical path: the latency times the calls that wait for each other (see criticalPath).")
	fmt.Fprintln(out)
	t := newTable("sample alert", "detection", "intake", "delivery → comment", "range", "in the worker", "critical path (calls)", "ratio", "≤ 1.25×")
	for i, seed := range seeds {
		rs := runs[i]
		first := rs[0]
		name := seed.Origin.ID
		if name == "" {
			name = seed.Origin.Type
		}
		if first.latency == 0 {
			why := first.answer
			if first.reason != "" {
				why += ": " + first.reason
			}
			if first.state != "" {
				why = first.state + " (" + first.reason + ")"
			}
			t.add(seed.ID[:8], name, first.answer, "no comment: "+why, "—", "—", "—", "—", "—")
			continue
		}
		var lat, work []float64
		for _, r := range rs {
			lat = append(lat, float64(r.latency))
			work = append(work, float64(r.worker))
		}
		cp := criticalPath(first.calls)
		cpd := time.Duration(cp) * latency
		ratio := median(lat) / float64(cpd)
		met := "yes"
		if ratio > 1.25 {
			met = "no"
		}
		t.add(seed.ID[:8], name, first.answer, ms(time.Duration(median(lat))),
			fmt.Sprintf("%.0f–%.0f ms", slices.Min(lat)/1e6, slices.Max(lat)/1e6), ms(time.Duration(median(work))),
			fmt.Sprintf("%s (%d)", ms(cpd), cp), fmt.Sprintf("%.2f×", ratio), met)
	}
	t.print(out)
}

func printCost(out io.Writer, seeds []panthersim.SeedAlert, runs [][]sampleRun) {
	fmt.Fprintln(out, "## Cost per investigation: Panther API calls by operation, data lake queries and bytes scanned (first round; rounds agree)")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Calls as the service counts them (GET /metrics, panther_triage_panther_api_calls_total by operation). The alerts are delivered")
	fmt.Fprintln(out, "in this order; a data lake search another alert already ran in the same hour window is answered from the service's cache.")
	fmt.Fprintln(out)
	var ops []string
	for _, op := range opOrder {
		for i := range seeds {
			if runs[i][0].calls[op] > 0 && !slices.Contains(ops, op) {
				ops = append(ops, op)
			}
		}
	}
	for i := range seeds {
		for op := range runs[i][0].calls {
			if !slices.Contains(ops, op) {
				ops = append(ops, op)
			}
		}
	}
	head := append([]string{"sample alert"}, ops...)
	head = append(head, "API calls", "data lake queries", "bytes scanned", "rounds agree")
	t := newTable(head...)
	for i, seed := range seeds {
		first := runs[i][0]
		row := []any{seed.ID[:8]}
		total := 0.0
		for _, op := range ops {
			row = append(row, int(first.calls[op]))
			total += first.calls[op]
		}
		agree := "yes"
		for _, r := range runs[i][1:] {
			if !maps2Equal(r.calls, first.calls) || r.lake != first.lake {
				agree = "no"
			}
		}
		row = append(row, int(total), first.lake, fmt.Sprintf("%.0f", first.scanned), agree)
		if first.answer != "queued" {
			row = []any{seed.ID[:8]}
			for range ops {
				row = append(row, "—")
			}
			row = append(row, 0, 0, 0, "filtered at intake")
		}
		t.add(row...)
	}
	t.print(out)
}

func maps2Equal(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
