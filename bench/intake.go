package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// intakeTarget is one server the intake benchmark loads.
type intakeTarget struct {
	name   string
	peer   bool // another product, measured for comparison: no goal
	proc   *process
	load   *loader
	rounds []loadResult
	cpu    []time.Duration // the server's CPU time per round
}

// intake measures durable acceptance of unique alerts on POST /webhook
// against a no-op chi server, alternating the two in rounds.
func intake(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("intake", flag.ContinueOnError)
	rounds := fs.Int("rounds", 5, "measured rounds; each round loads every server once, in turn")
	duration := fs.Duration("duration", 5*time.Second, "length of one server's run in a round")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured load on each server before the rounds")
	concurrency := fs.Int("concurrency", 32, "requests in flight")
	dbs := fs.String("db", "sqlite,postgres", "backends to measure, comma-separated: sqlite, postgres")
	src := fs.String("src", "", "source tree of the panther-triage to measure (default: this module)")
	before := fs.String("before", "", "source tree of another panther-triage (e.g. git archive COMMIT | tar -x -C DIR) to measure beside this one")
	pgAdmin := fs.String("postgres", "", "PostgreSQL server to create the benchmark database on (default $PANTHER_TRIAGE_TEST_POSTGRES or "+defaultPostgres+")")
	keep := fs.Bool("keep", false, "keep the temp dir with logs and databases")
	amBin := fs.String("alertmanager", "", "binary of Prometheus Alertmanager to load as an in-memory peer beside the no-op handler (not built here)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir("intake", *keep, out)
	if err != nil {
		return err
	}
	defer cleanup()
	noopBin, err := build(ctx, root, "./bench/noop", dir, "noop")
	if err != nil {
		return err
	}
	type build struct{ name, bin string }
	builds := []build{{name: "panther-triage"}}
	if *src == "" {
		*src = root
	}
	if builds[0].bin, err = buildService(ctx, *src, dir, "panther-triage"); err != nil {
		return err
	}
	if *before != "" {
		bin, err := buildService(ctx, *before, dir, "panther-triage-before")
		if err != nil {
			return err
		}
		builds = append(builds, build{name: "panther-triage (before)", bin: bin})
	}

	sim := panthersim.New()
	sim.Start()
	defer sim.Close()
	noop, err := start(ctx, "no-op", noopBin, nil, []string{"PANTHER_TRIAGE_ADDR=127.0.0.1:0"}, filepath.Join(dir, "noop.log"))
	if err != nil {
		return err
	}
	defer noop.stop()
	bodies := newPayloads(20)

	fmt.Fprintf(out, "## Intake: POST /webhook, unique alerts, concurrency %d, %d rounds of %s per server (after %s warm-up), medians\n\n",
		*concurrency, *rounds, *duration, *warmup)
	fmt.Fprintln(out, "Each server runs as a subprocess on 127.0.0.1; the loader (in this process, on the same machine) keeps one keep-alive connection per request in flight.")
	fmt.Fprintln(out, "panther-triage runs with its defaults (budgets 30 per detection and 500 per hour, info logs to a file) and PANTHER_TRIAGE_SETTLE=1h,")
	fmt.Fprintln(out, "so that its workers stay idle: what is measured is intake alone (auth, decode, validate, filter, durable enqueue with dedup, storm and budget routing, answer).")
	fmt.Fprintln(out)

	for _, backend := range strings.Split(*dbs, ",") {
		backend = strings.TrimSpace(backend)
		targets := []*intakeTarget{{name: "no-op chi handler", proc: noop, load: newLoader(noop.base, *concurrency, bodies, http.StatusAccepted)}}
		var cleanups []func()
		cleanup := func() {
			for i := len(cleanups) - 1; i >= 0; i-- {
				cleanups[i]()
			}
		}
		if *amBin != "" {
			amDir := filepath.Join(dir, "alertmanager-"+backend)
			if err := os.MkdirAll(amDir, 0o700); err != nil {
				return err
			}
			am, err := startAlertmanager(ctx, *amBin, amDir)
			if err != nil {
				return err
			}
			cleanups = append(cleanups, am.stop)
			targets = append(targets, &intakeTarget{name: "Alertmanager (in memory)", peer: true, proc: am, load: alertmanagerLoader(am.base, *concurrency)})
		}
		for i, b := range builds {
			var db string
			switch backend {
			case "sqlite":
				db = filepath.Join(dir, fmt.Sprintf("intake-%d.db", i))
			case "postgres":
				url, drop, err := createDatabase(ctx, postgresAdmin(*pgAdmin))
				if err != nil {
					cleanup()
					return err
				}
				cleanups = append(cleanups, drop)
				db = url
			default:
				cleanup()
				return fmt.Errorf("unknown backend %q (want sqlite or postgres)", backend)
			}
			p, err := start(ctx, b.name, b.bin, []string{"serve"}, serviceEnv(sim, db, "PANTHER_TRIAGE_SETTLE=1h"),
				filepath.Join(dir, fmt.Sprintf("service-%s-%d.log", backend, i)))
			if err != nil {
				cleanup()
				return err
			}
			cleanups = append(cleanups, p.stop)
			targets = append(targets, &intakeTarget{name: b.name, proc: p, load: newLoader(p.base, *concurrency, bodies, http.StatusAccepted)})
		}

		for _, t := range targets {
			t.load.run(ctx, *warmup)
		}
		for range *rounds {
			for _, t := range targets {
				cpu0, _ := t.proc.cpuTime()
				res := t.load.run(ctx, *duration)
				cpu1, _ := t.proc.cpuTime()
				t.rounds = append(t.rounds, res)
				t.cpu = append(t.cpu, cpu1-cpu0)
			}
			if ctx.Err() != nil {
				cleanup()
				return ctx.Err()
			}
		}
		cleanup()
		printIntake(out, backend, targets, *pgAdmin)
	}
	return nil
}

// printIntake prints one backend's summary and its rounds.
func printIntake(out io.Writer, backend string, targets []*intakeTarget, pgAdmin string) {
	title := "SQLite (WAL, synchronous=FULL, one connection)"
	if backend == "postgres" {
		title = "PostgreSQL (" + postgresSettings(context.Background(), postgresAdmin(pgAdmin)) + ")"
	}
	fmt.Fprintf(out, "### %s\n\n", title)
	sum := newTable("server", "requests/s", "p50", "p99", "of no-op's requests/s", "server CPU per request", "not accepted", "goal: ≥ 25% and p99 ≤ 50 ms")
	var noopRPS float64
	for i, t := range targets {
		var rps, p50, p99, cpu []float64
		failed := 0
		for j, r := range t.rounds {
			rps = append(rps, r.rps())
			p50 = append(p50, float64(r.quantile(0.50)))
			p99 = append(p99, float64(r.quantile(0.99)))
			cpu = append(cpu, float64(t.cpu[j])/float64(max(r.requests, 1)))
			failed += r.failed
		}
		ratio, met := "—", "—"
		if i == 0 {
			noopRPS = median(rps)
		} else if noopRPS > 0 {
			share := median(rps) / noopRPS
			ratio = fmt.Sprintf("%.0f%%", 100*share)
			met = "met"
			if t.peer {
				met = "— (peer)"
			} else if share < 0.25 || time.Duration(median(p99)) > 50*time.Millisecond {
				met = "not met"
			}
		}
		sum.add(t.name, fmt.Sprintf("%.0f", median(rps)), ms(time.Duration(median(p50))), ms(time.Duration(median(p99))),
			ratio, fmt.Sprintf("%.0f µs", median(cpu)/1e3), failed, met)
	}
	sum.print(out)

	head := []string{"round"}
	for _, t := range targets {
		head = append(head, t.name+" req/s", "p99")
	}
	rt := newTable(head...)
	for r := range targets[0].rounds {
		row := []any{r + 1}
		for _, t := range targets {
			row = append(row, fmt.Sprintf("%.0f", t.rounds[r].rps()), ms(t.rounds[r].quantile(0.99)))
		}
		rt.add(row...)
	}
	rt.print(out)
}
