package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/agreement"
	"github.com/panther-triage/panther-triage/filter"
	"github.com/panther-triage/panther-triage/handler"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/jobs"
	"github.com/panther-triage/panther-triage/metrics"
	"github.com/panther-triage/panther-triage/narrative"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/reconcile"
	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/triage"
)

// steps builds the production pipeline (investigate.DefaultSteps) from the
// settings. To add a step, write it in package investigate and add it to
// DefaultSteps.
func steps(cfg Config, pc *panther.Client, lists *investigate.Lists, st *store.Store, m *metrics.Metrics) []investigate.Step {
	all := investigate.DefaultSteps(investigate.Deps{
		Panther: pc, Store: st, Lists: lists, Providers: cfg.providers(m), MaxEvents: cfg.MaxEvents,
		Actions: investigate.ActionOptions{OrgDomains: cfg.OrgDomains},
		Precedent: investigate.PrecedentOptions{
			MaxReads: cfg.PrecedentReads, MaxReadsPerHour: cfg.PrecedentHour, MaxEvents: cfg.PrecedentEvts, MinClosed: cfg.PrecedentMin,
		},
		Baseline: investigate.BaselineOptions{Window: cfg.BaselineWindow, MaxPerHour: cfg.BaselineHour},
		Observer: m, Datalake: investigate.DatalakeOptions{
			MaxPerInvestigation: cfg.LakeMaxQueries, MaxPerHour: cfg.LakeMaxPerHour, Timeout: cfg.LakeTimeout, Observer: m,
		},
	})
	if cfg.LakeMaxQueries == 0 { // 0: no indicator searches
		all = slices.DeleteFunc(all, func(s investigate.Step) bool { return s.Name() == triage.StepDatalake })
	}
	return all
}

// newInvestigator builds what serve and investigate share, in order: the
// Panther client, the context file, the database (queue, records, data lake
// cache), the steps and the investigator. Close the store when done.
func newInvestigator(ctx context.Context, cfg Config, m *metrics.Metrics, log zerolog.Logger) (*panther.Client, *store.Store, *investigate.Investigator, error) {
	pc := newPantherClient(cfg, panther.WithObserver(m.PantherCall))
	lists, err := cfg.lists()
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	opts := investigateOptions(cfg)
	opts.Observer = m
	opts.Writer = pc
	if opts.WriteBack, err = cfg.writeBack(); err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return pc, st, investigate.New(pc, steps(cfg, pc, lists, st, m), opts, log), nil
}

// openStore opens the database with the queue settings of cfg.
func openStore(ctx context.Context, cfg Config, log zerolog.Logger) (*store.Store, error) {
	return store.Open(ctx, store.Config{
		DSN: cfg.DB, DedupWindow: cfg.dedupWindow(), Settle: cfg.Settle,
		MaxPerDetectionHour: cfg.MaxPerDetHour, MaxPerHour: cfg.MaxPerHour,
		Workers: cfg.Workers, JobTimeout: cfg.JobTimeout, RescueAfter: cfg.RescueAfter,
		MaxAttempts: cfg.MaxAttempts, RetryBackoff: cfg.RetryBackoff, RetryBackoffMax: cfg.RetryMax,
	}, log)
}

// serve runs the webhook server and the workers until ctx is done, then
// shuts down: intake first, then running investigations get
// --shutdown-timeout to finish, unless a second signal (abortOf(ctx))
// abandons them.
func serve(ctx context.Context, cfg Config, getenv func(string) string, stdout, stderr io.Writer) error {
	stdout = &lockedWriter{w: stdout}
	dev := cfg.Dev
	var devEnv *devPanther
	if dev {
		var err error
		if devEnv, err = startDev(&cfg, getenv, stdout); err != nil {
			return err
		}
		defer devEnv.Close()
	}
	if err := cfg.Validate("serve"); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	m := metrics.New(log)

	pc, st, inv, err := newInvestigator(ctx, cfg, m, log)
	if err != nil {
		return err
	}
	defer st.Close()
	probeAtStart(ctx, pc, cfg.PantherURL, log)
	m.WatchQueue(st)
	m.WatchAgreement(st)
	flt, err := filter.New(cfg.filterConfig())
	if err != nil {
		return err
	}
	deps := jobs.Deps{
		Runner:     investigate.NewRunner(inv, st, log),
		Reconciler: reconcile.New(reconcile.Config{Every: cfg.ReconcileEvery}, pc, st, flt, log),
		Agreement:  agreement.New(agreement.Config{Every: cfg.AgreementEvery, Judge: investigate.JudgeAlert}, pc, st, log),
	}
	work := store.Work{Workers: jobs.Workers(deps), Periodic: jobs.Periodic(deps)}
	work.AttemptTimeout, work.RescueAfter = attemptBounds(cfg, pc, inv, log)
	if err := st.Start(ctx, work); err != nil {
		return err
	}

	hcfg, err := cfg.handlerConfig()
	if err != nil {
		_ = st.Stop(context.Background())
		return err
	}
	hcfg.Filter, hcfg.Metrics, hcfg.Deliveries = flt, m.Handler(), m
	if devEnv != nil && hcfg.Viewers == nil {
		if devEnv.viewer, devEnv.password, hcfg.Viewers, err = handler.NewDevViewer(); err != nil {
			_ = st.Stop(context.Background())
			return err
		}
	}
	h := handler.New(hcfg, st, st, st, log)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = st.Stop(context.Background())
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("listen on %s: the address is in use by another process; choose another with --addr or PANTHER_TRIAGE_ADDR (now set by %s)", cfg.Addr, cfg.where("addr"))
		}
		return fmt.Errorf("listen on %s (%s, PANTHER_TRIAGE_ADDR): %w", cfg.Addr, cfg.where("addr"), err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "panther-triage listening on http://%s\n", ln.Addr())
	log.Info().Str("addr", ln.Addr().String()).Bool("dev", dev).Bool("dry_run", cfg.DryRun).Msg("serving")
	if devEnv != nil {
		devEnv.PrintTry(stdout, ln.Addr().String(), cfg.WebhookSecret)
	}

	select {
	case <-ctx.Done():
	case err := <-served:
		_ = st.Stop(context.Background())
		return fmt.Errorf("serve: %w", err)
	}
	return shutdown(ctx, cfg, srv, st, work.RescueAfter, log)
}

// shutdown closes intake, then gives running investigations
// --shutdown-timeout to finish, saying every few seconds how many still run
// and how long they have left. A second signal abandons them at once: they
// stay running in the queue, and the queue rescues them (another replica,
// or this service's next start) --rescue-after after they started; the
// error returned says so.
func shutdown(ctx context.Context, cfg Config, srv *http.Server, st *store.Store, rescueAfter time.Duration, log zerolog.Logger) error {
	deadline := time.Now().Add(cfg.ShutdownWait)
	shutdownCtx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		httpErr := srv.Shutdown(shutdownCtx)
		done <- errors.Join(httpErr, st.Stop(shutdownCtx))
	}()
	running := func() int64 {
		qctx, qcancel := context.WithTimeout(context.Background(), time.Second)
		defer qcancel()
		stats, err := st.QueueStats(qctx)
		if err != nil {
			return -1
		}
		return stats.Jobs["running"]
	}
	log.Info().Int64("running", running()).Str("left", cfg.ShutdownWait.String()).
		Msg("shutting down: intake closed, running investigations may finish; a second signal stops at once")
	tick := time.NewTicker(shutdownProgressEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				log.Warn().Err(err).Msg("shutdown did not finish cleanly; unfinished investigations go back to the queue")
			}
			log.Info().Msg("stopped")
			return nil
		case <-tick.C:
			left := max(time.Until(deadline).Round(time.Second), 0)
			log.Info().Int64("running", running()).Str("left", left.String()).Msg("shutting down: waiting for running investigations")
		case <-abortOf(ctx):
			return fmt.Errorf("stopped at once on a second signal: %d running investigation(s) abandoned; they stay in the queue and are retried %s (--rescue-after) after they started, by another replica or the next start", running(), rescueAfter)
		}
	}
}

// shutdownProgressEvery is how often shutdown reports progress.
const shutdownProgressEvery = 5 * time.Second

func newLogger(cfg Config, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(strings.ToLower(cfg.LogLevel))
	if err != nil {
		level = zerolog.InfoLevel
	}
	if cfg.Dev {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !isTerminal(w)}
	}
	// Every goroutine logs (the workers, river, the HTTP server): one line
	// is written whole before the next, whatever w is.
	return zerolog.New(zerolog.SyncWriter(w)).Level(level).With().Timestamp().Logger()
}

func newPantherClient(cfg Config, opts ...panther.Option) *panther.Client {
	opts = append([]panther.Option{
		panther.WithConcurrency(cfg.APIConcurrency), panther.WithRate(cfg.PantherRate),
		panther.WithDeadlines(cfg.ReadTimeout, cfg.WriteTimeout),
	}, opts...)
	return panther.New(cfg.PantherURL, cfg.PantherRESTURL, cfg.PantherToken, opts...)
}

func investigateOptions(cfg Config) investigate.Options {
	opts := investigate.Options{
		Statuses:    cfg.Statuses,
		Sections:    cfg.Sections,
		Format:      cfg.CommentFormat,
		DryRun:      cfg.DryRun,
		StepTimeout: cfg.StepTimeout,
		ConsoleURL:  cfg.consoleURL(),
		PublicURL:   cfg.PublicURL,

		AuthRetryWindow: cfg.AuthRetry,
	}
	if cfg.LLMURL != "" {
		opts.Narrator = narrative.New(cfg.LLMURL, cfg.LLMModel, cfg.LLMAPIKey, nil)
	}
	return opts
}

// isTerminal reports whether w is a terminal, where colour is welcome.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// attemptBounds are how long one investigation attempt may run, and how
// long a running job may stay so before it counts as lost with its process:
// --job-timeout, or by default the investigator's budget derived from the
// Panther deadlines and the step timeouts; --rescue-after, or by default
// that plus a margin.
func attemptBounds(cfg Config, pc *panther.Client, inv *investigate.Investigator, log zerolog.Logger) (attempt, rescue time.Duration) {
	budget := inv.AttemptBudget(pc.ReadBudget(), pc.WriteBudget())
	attempt = cfg.JobTimeout
	switch {
	case attempt == 0:
		attempt = budget
	case attempt < budget:
		log.Warn().Dur("job_timeout", attempt).Dur("budget", budget).
			Msg("--job-timeout is shorter than an attempt may take when Panther is slow: such attempts are cut and retried")
	}
	rescue = cfg.RescueAfter
	if rescue <= attempt {
		if rescue > 0 {
			log.Warn().Dur("rescue_after", attempt+store.DefaultRescueMargin).Msg("--rescue-after is not longer than an attempt may take; raised")
		}
		rescue = attempt + store.DefaultRescueMargin
	}
	log.Info().Dur("job_timeout", attempt).Dur("rescue_after", rescue).Msg("investigation attempts bounded")
	return attempt, rescue
}
