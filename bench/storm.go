package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// stormSeeds returns n alerts of the given number of detections, with
// distinct titles, whose events name one of ten public IPs and one of ten
// users, spread over three hours before base.
func stormSeeds(n, detections int, base time.Time) []panthersim.SeedAlert {
	var out []panthersim.SeedAlert
	for i := range n {
		ip := fmt.Sprintf("185.220.101.%d", 1+i%10)
		user := fmt.Sprintf("analyst%02d", (i/10)%10)
		det := fmt.Sprintf("Bench.Storm.Detection%02d", i%detections)
		created := base.Add(time.Duration(i%3)*time.Hour + 30*time.Minute + time.Duration(i%20)*time.Second)
		var events []map[string]any
		for e := range 2 {
			at := created.Add(-time.Duration(e+1) * time.Minute)
			events = append(events, map[string]any{
				"p_log_type":         "AWS.CloudTrail",
				"p_row_id":           fmt.Sprintf("storm%05d%02d", i, e),
				"p_event_time":       at.Format("2006-01-02 15:04:05.000"),
				"p_any_ip_addresses": []any{ip},
				"p_any_usernames":    []any{user},
				"eventName":          "ConsoleLogin",
				"sourceIPAddress":    ip,
				"userIdentity":       map[string]any{"type": "IAMUser", "userName": user},
			})
		}
		out = append(out, panthersim.SeedAlert{
			ID:        fmt.Sprintf("5707%028x", i),
			Title:     fmt.Sprintf("Console login by %s from %s (#%d)", user, ip, i),
			Severity:  "HIGH",
			CreatedAt: created,
			Events:    events,
			Detection: &panthersim.SeedDetection{
				Kind: "rules", ID: det, DisplayName: "Storm detection " + det[len(det)-2:], Severity: "HIGH", Enabled: true,
				LogTypes: []string{"AWS.CloudTrail"}, DedupPeriodMinutes: 60, Threshold: 1,
			},
		})
	}
	return out
}

// lakePairs counts the distinct data lake searches the alerts need, keyed
// as the service keys its cache: the data lake step's (indicator field,
// value, window) for the top public IPs, users, emails and actor IDs of
// each alert, and the baseline step's (top actor, 30-day window ending at
// the hour of the alert's first event). It returns both counts; each
// distinct key is one search when the cache shares them.
func lakePairs(sim *panthersim.Server, seeds []panthersim.SeedAlert, perAlert int) (lake, baseline int) {
	lakeKeys, baselineKeys := map[string]bool{}, map[string]bool{}
	for _, s := range seeds {
		a, _ := sim.Alert(s.ID)
		events := make([]panther.Event, len(a.Events))
		for i, e := range a.Events {
			events[i] = e
		}
		c := &investigate.Case{Alert: &panther.Alert{ID: a.ID, CreatedAt: a.CreatedAt, Context: a.Context}, Now: time.Now(), Events: events, Indicators: investigate.ExtractIndicators(events, a.Context)}
		for _, k := range investigate.LakeSearchKeys(c, investigate.DatalakeOptions{MaxPerInvestigation: perAlert}) {
			lakeKeys[k] = true
		}
		if k := investigate.BaselineSearchKey(c, investigate.BaselineOptions{}); k != "" {
			baselineKeys[k] = true
		}
	}
	return len(lakeKeys), len(baselineKeys)
}

// storm delivers 1,000 alerts of 20 detections that share indicators and
// counts the data lake queries they cause, and the service's peak RSS.
func storm(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("storm", flag.ContinueOnError)
	alerts := fs.Int("alerts", 1000, "alerts in the storm")
	detections := fs.Int("detections", 20, "detections they come from")
	concurrency := fs.Int("concurrency", 32, "deliveries in flight")
	db := fs.String("db", "sqlite", "backend: sqlite or postgres")
	pgAdmin := fs.String("postgres", "", "PostgreSQL server for -db postgres")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up waiting for the comments after this long")
	keep := fs.Bool("keep", false, "keep the temp dir with logs and databases")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir("storm", *keep, out)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := buildService(ctx, root, dir, "panther-triage")
	if err != nil {
		return err
	}

	seeds := stormSeeds(*alerts, *detections, time.Now().UTC().Truncate(time.Hour).Add(-4*time.Hour))
	var comments atomic.Int64
	sim := panthersim.New(panthersim.WithSeeds(seeds...), panthersim.WithCommentHook(func(panther.Comment) { comments.Add(1) }))
	sim.Start()
	defer sim.Close()
	dsn, drop, err := benchDatabase(ctx, *db, *pgAdmin, filepath.Join(dir, "storm.db"))
	if err != nil {
		return err
	}
	defer drop()
	const perAlert = 3 // PANTHER_TRIAGE_DATALAKE_MAX_QUERIES, default
	p, err := start(ctx, "panther-triage", bin, []string{"serve"}, serviceEnv(sim, dsn,
		"PANTHER_TRIAGE_MAX_PER_DETECTION_HOUR=0", "PANTHER_TRIAGE_MAX_PER_HOUR=0",
		"PANTHER_TRIAGE_DATALAKE_MAX_PER_HOUR=1000000", "PANTHER_TRIAGE_BASELINE_MAX_PER_HOUR=1000000",
	), filepath.Join(dir, "service.log"))
	if err != nil {
		return err
	}
	defer p.stop()
	idleRSS, _ := p.peakRSS()

	// Deliver the storm.
	t0 := time.Now()
	var next atomic.Int64
	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	for range *concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(seeds) || ctx.Err() != nil {
					return
				}
				status, body, err := postOne(ctx, p.base, seeds[i].WebhookPayload())
				var a struct{ Status string }
				_ = json.Unmarshal(body, &a)
				mu.Lock()
				switch {
				case err != nil:
					answers["error"]++
				case status != http.StatusAccepted:
					answers[fmt.Sprintf("%d %s", status, a.Status)]++
				default:
					answers[a.Status]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	delivered := time.Since(t0)

	// Wait for every comment.
	deadline := time.Now().Add(*timeout)
	for comments.Load() < int64(answers["queued"]) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Since(t0)
	peakRSS, err := p.peakRSS()
	if err != nil {
		return err
	}
	calls, err := apiCalls(ctx, p.base)
	if err != nil {
		return err
	}
	scanned, _ := scannedBytes(ctx, p.base)
	queries := sim.DataLakeQueries()
	distinct := map[string]bool{}
	for _, q := range queries {
		distinct[q.SQL] = true
	}
	lakeNeed, baselineNeed := lakePairs(sim, seeds, perAlert)
	pairs := lakeNeed + baselineNeed

	fmt.Fprintf(out, "## Storm: %d alerts of %d detections sharing indicators, %s\n\n", *alerts, *detections, *db)
	fmt.Fprintf(out, "Each alert has a distinct title (no storm collapse) and two events naming one of 10 public IPs and one of 10 users, in one of 3 hours;\n")
	fmt.Fprintf(out, "budgets off (PANTHER_TRIAGE_MAX_PER_DETECTION_HOUR=0, PANTHER_TRIAGE_MAX_PER_HOUR=0, PANTHER_TRIAGE_DATALAKE_MAX_PER_HOUR=1000000, PANTHER_TRIAGE_BASELINE_MAX_PER_HOUR=1000000),\n")
	fmt.Fprintf(out, "otherwise the service's defaults (4 workers, 3 data lake searches and 1 baseline search per alert). Delivered at concurrency %d, no added Panther latency.\n\n", *concurrency)
	var ans []string
	for k, v := range answers {
		ans = append(ans, fmt.Sprintf("%d %s", v, k))
	}
	slices.Sort(ans)
	t := newTable("measure", "value")
	t.add("intake answers", strings.Join(ans, ", "))
	t.add("all delivered after", ms(delivered))
	t.add("comments posted", comments.Load())
	t.add("all commented after", fmt.Sprintf("%.1f s (%.0f investigations/s)", drained.Seconds(), float64(comments.Load())/drained.Seconds()))
	t.add("distinct (indicator, window) searches the alerts need", fmt.Sprintf("%d (data lake step %d, baseline step %d)", pairs, lakeNeed, baselineNeed))
	t.add("data lake queries run", len(queries))
	t.add("distinct (indicators, window) among them", len(distinct))
	met := "yes"
	if len(queries) > pairs {
		met = "no"
	}
	t.add("queries ≤ pairs", met)
	t.add("bytes scanned", fmt.Sprintf("%.0f", scanned))
	var total float64
	var ops []string
	for _, op := range opOrder {
		if calls[op] > 0 {
			ops = append(ops, fmt.Sprintf("%s %.0f", op, calls[op]))
		}
		total += calls[op]
	}
	t.add("Panther API calls", fmt.Sprintf("%.0f (%.1f per alert): %s", total, total/float64(*alerts), strings.Join(ops, ", ")))
	t.add("peak RSS (VmHWM), idle after start", mib(idleRSS))
	rssMet := "yes"
	if peakRSS > 150<<20 {
		rssMet = "no"
	}
	t.add("peak RSS (VmHWM), storm", fmt.Sprintf("%s (goal ≤ 150 MiB: %s)", mib(peakRSS), rssMet))
	t.print(out)
	if comments.Load() < int64(answers["queued"]) {
		return fmt.Errorf("only %d of %d comments after %s (log: %s)", comments.Load(), answers["queued"], *timeout, filepath.Join(dir, "service.log"))
	}
	return nil
}

// bigAlert delivers one alert with 10,000 events and reports the service's
// peak RSS.
func bigAlert(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bigalert", flag.ContinueOnError)
	events := fs.Int("events", 10000, "events of the alert")
	db := fs.String("db", "sqlite", "backend: sqlite or postgres")
	pgAdmin := fs.String("postgres", "", "PostgreSQL server for -db postgres")
	keep := fs.Bool("keep", false, "keep the temp dir with logs and databases")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir("bigalert", *keep, out)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := buildService(ctx, root, dir, "panther-triage")
	if err != nil {
		return err
	}

	created := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	seed := panthersim.SeedAlert{
		ID: "b16a1e27" + strings.Repeat("0", 24), Title: fmt.Sprintf("Brute force: %d failed logins", *events),
		Severity: "HIGH", CreatedAt: created,
		Detection: &panthersim.SeedDetection{Kind: "rules", ID: "Bench.BigAlert", DisplayName: "Many failed logins",
			Severity: "HIGH", Enabled: true, LogTypes: []string{"Okta.SystemLog"}},
	}
	var size int
	for i := range *events {
		ip := fmt.Sprintf("45.%d.%d.%d", 10+i/65536%200, i/256%256, i%256)
		ev := map[string]any{
			"p_log_type":         "Okta.SystemLog",
			"p_row_id":           fmt.Sprintf("big%07d", i),
			"p_event_time":       created.Add(-time.Duration(*events-i) * time.Second).Format("2006-01-02 15:04:05.000"),
			"p_any_ip_addresses": []any{ip},
			"p_any_usernames":    []any{fmt.Sprintf("user%04d@example.com", i%500)},
			"p_any_emails":       []any{fmt.Sprintf("user%04d@example.com", i%500)},
			"eventType":          "user.session.start",
			"displayMessage":     "User login to Okta",
			"outcome":            map[string]any{"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
			"client": map[string]any{
				"ipAddress":           ip,
				"userAgent":           map[string]any{"rawUserAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", "os": "Linux", "browser": "CHROME"},
				"geographicalContext": map[string]any{"city": "Frankfurt", "country": "Germany", "postalCode": "60313"},
			},
			"actor": map[string]any{"id": fmt.Sprintf("00u%017d", i%500), "type": "User", "alternateId": fmt.Sprintf("user%04d@example.com", i%500)},
		}
		b, _ := json.Marshal(ev)
		size += len(b)
		seed.Events = append(seed.Events, ev)
	}
	var commented atomic.Bool
	sim := panthersim.New(panthersim.WithSeeds(seed), panthersim.WithCommentHook(func(panther.Comment) { commented.Store(true) }))
	sim.Start()
	defer sim.Close()
	dsn, drop, err := benchDatabase(ctx, *db, *pgAdmin, filepath.Join(dir, "bigalert.db"))
	if err != nil {
		return err
	}
	defer drop()
	p, err := start(ctx, "panther-triage", bin, []string{"serve"}, serviceEnv(sim, dsn), filepath.Join(dir, "service.log"))
	if err != nil {
		return err
	}
	defer p.stop()
	idleRSS, _ := p.peakRSS()
	calls0, _ := apiCalls(ctx, p.base)
	t0 := time.Now()
	if status, body, err := postOne(ctx, p.base, seed.WebhookPayload()); err != nil || status != http.StatusAccepted {
		return fmt.Errorf("deliver: %d %s %v", status, body, err)
	}
	rec, err := waitFinished(ctx, p.base, seed.ID, 5*time.Minute)
	if err != nil {
		return err
	}
	took := time.Since(t0)
	peakRSS, err := p.peakRSS()
	if err != nil {
		return err
	}
	calls1, _ := apiCalls(ctx, p.base)
	read := ""
	for _, f := range rec.Findings {
		if f.Kind == "event_count" {
			read = f.Title
		}
	}

	fmt.Fprintf(out, "## One alert with %d events, %s\n\n", *events, *db)
	fmt.Fprintf(out, "Okta-like events of about %d bytes each (%.1f MiB of JSON in the simulated Panther); the service's defaults, PANTHER_TRIAGE_MAX_EVENTS=200.\n\n", size/max(*events, 1), float64(size)/(1<<20))
	t := newTable("measure", "value")
	t.add("investigation", fmt.Sprintf("%s, %s, comment posted: %v, %s", rec.State, rec.Verdict, commented.Load(), ms(took)))
	t.add("events read", read)
	t.add("event pages read (alert_events calls)", fmt.Sprintf("%.0f", calls1["alert_events"]-calls0["alert_events"]))
	t.add("peak RSS (VmHWM), idle after start", mib(idleRSS))
	met := "yes"
	if peakRSS > 100<<20 {
		met = "no"
	}
	t.add("peak RSS (VmHWM), after the investigation", fmt.Sprintf("%s (goal ≤ 100 MiB: %s)", mib(peakRSS), met))
	t.print(out)
	return nil
}
