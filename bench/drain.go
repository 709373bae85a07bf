package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/store"
)

// lakeOps are the client operations that search or poll the data lake.
var lakeOps = []string{"indicator_search", "lake_query", "lake_cancel"}

// drain investigates a backlog of alerts with the production steps and
// client against a simulated Panther that limits calls per token, as the
// queue's workers would, and prints how close the client keeps to the
// allowed pace: calls per second over the limit, the share answered 429,
// and the calls per alert besides the data lake.
func drain(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("drain", flag.ContinueOnError)
	alerts := fs.Int("alerts", 60, "alerts in the backlog")
	workers := fs.Int("workers", 4, "concurrent investigations, as the queue's workers")
	limit := fs.Float64("limit", 20, "the simulated Panther's limit, calls per second per token (burst: one second's worth)")
	latency := fs.Duration("latency", 20*time.Millisecond, "the simulated Panther's latency per call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n## drain: %d alerts, %d workers, Panther limit %.0f calls/s, %s per call\n\n", *alerts, *workers, *limit, *latency)
	fmt.Fprintln(out, "In-process: the production steps and Panther client against the simulated Panther, whose per-token limit answers 429")
	fmt.Fprintln(out, "with Retry-After. Pace ratio = all calls that Panther accepted per second / the limit. Each row sets the client's base rate")
	fmt.Fprintln(out, "(panther.WithRate): at the limit, and above it, where only the adaptive decrease keeps 429s rare.")
	fmt.Fprintln(out)
	var last drainResult
	t := newTable("base rate (calls/s)", "took", "calls", "429s", "share of 429s", "pace ratio", "non-lake calls per alert", "lake calls per alert")
	for _, base := range []float64{*limit, 2 * *limit} {
		r, err := drainOnce(ctx, *alerts, *workers, *limit, base, *latency)
		if err != nil {
			return err
		}
		last = r
		accepted := float64(r.calls - r.limited)
		t.add(fmt.Sprintf("%.0f", base), r.took.Round(time.Millisecond), r.calls, r.limited,
			fmt.Sprintf("%.1f%%", 100*float64(r.limited)/float64(max(1, r.calls))),
			fmt.Sprintf("%.2f", accepted/r.took.Seconds() / *limit),
			fmt.Sprintf("%.1f", float64(r.api)/float64(*alerts)), fmt.Sprintf("%.1f", float64(r.lake)/float64(*alerts)))
	}
	t.print(out)
	fmt.Fprintf(out, "\nCalls by operation (last row): %v\n", last.ops)
	return nil
}

type drainResult struct {
	took                      time.Duration
	calls, limited, api, lake int
	ops                       map[string]int
}

func drainOnce(ctx context.Context, n, workers int, limit, base float64, latency time.Duration) (drainResult, error) {
	seeds := stormSeeds(n, n, time.Now().Add(-time.Hour)) // one detection each: no storm links, every alert investigated
	sim := panthersim.New(panthersim.WithSeeds(seeds...), panthersim.WithLatency(latency))
	sim.Start()
	defer sim.Close()
	dir, err := os.MkdirTemp("", "drain")
	if err != nil {
		return drainResult{}, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.Config{DSN: filepath.Join(dir, "drain.db")}, zerolog.Nop())
	if err != nil {
		return drainResult{}, err
	}
	defer st.Close()

	var (
		api, lake atomic.Int64
		opsMu     sync.Mutex
		ops       = map[string]int{}
	)
	pc := panther.New(sim.GraphQLURL(), "", sim.Token, panther.WithRate(base),
		panther.WithObserver(func(op string, status int, _ error, _ time.Duration) {
			if status == 0 {
				return // refused by the client itself: never reached Panther
			}
			opsMu.Lock()
			ops[op]++
			opsMu.Unlock()
			if slices.Contains(lakeOps, op) {
				lake.Add(1)
			} else {
				api.Add(1)
			}
		}))
	// The production pipeline, its hourly budgets lifted so that the
	// benchmark measures pace rather than budgets.
	steps := investigate.DefaultSteps(investigate.Deps{
		Panther: pc, Store: st,
		Datalake:  investigate.DatalakeOptions{MaxPerHour: 100000},
		Baseline:  investigate.BaselineOptions{MaxPerHour: 100000},
		Precedent: investigate.PrecedentOptions{MaxReadsPerHour: 100000},
	})
	inv := investigate.New(pc, steps, investigate.Options{}, zerolog.Nop())

	sim.SetRateLimit(limit, int(limit))
	jobs := make(chan panthersim.SeedAlert)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for s := range jobs {
				req := investigate.Request{AlertID: s.ID, JobID: 1, DetectionID: cmp.Or(s.Origin.ID, s.Detection.ID), ReceivedAt: s.CreatedAt}
				for {
					_, err := inv.Investigate(ctx, req)
					if wait, ok := panther.RetryAfter(err); ok {
						// What the queue does: hand the job back for the wait.
						time.Sleep(wait)
						continue
					}
					if err != nil && panther.IsTransient(err) {
						continue
					}
					if err != nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, fmt.Errorf("investigate %s: %w", s.ID, err))
						mu.Unlock()
					}
					break
				}
			}
		})
	}
	for _, s := range seeds {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	if firstErr != nil {
		return drainResult{}, firstErr
	}
	total := 0
	for route, c := range sim.Calls() {
		if route == "POST /public/graphql" || (len(route) > 4 && route[:4] == "GET ") || (len(route) > 5 && route[:5] == "POST ") {
			total += c
		}
	}
	return drainResult{took: took, calls: total, limited: sim.RateLimited(), api: int(api.Load()), lake: int(lake.Load()), ops: ops}, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
