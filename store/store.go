package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
)

// Config says where the store lives and how its queue behaves.
type Config struct {
	// DSN is a SQLite file path, or a postgres:// URL for several replicas.
	DSN string
	// DedupWindow is how long a second delivery of the same alert is answered
	// as a duplicate. Default 15 minutes.
	DedupWindow time.Duration
	// Settle delays each investigation after its delivery. Default 0.
	Settle time.Duration
	// MaxPerDetectionHour and MaxPerHour bound the investigations started
	// in any hour, for one detection and in all; beyond them an alert gets a
	// short comment instead. Zero: no bound. Counted in the database, so the
	// bounds hold across replicas (give or take deliveries in flight at the
	// same instant).
	MaxPerDetectionHour int
	MaxPerHour          int
	// Workers is how many investigations run at once in this process.
	// Default 4.
	Workers int
	// JobTimeout bounds one investigation attempt. Default 90 seconds.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before another process
	// takes it over (its own died). Default JobTimeout + 30 seconds.
	RescueAfter time.Duration
	// MaxAttempts is how often a failing investigation is tried. Default 12: with the default backoff (2 s doubling to 5 min, jittered) the tries span about 20 minutes of Panther outage.
	MaxAttempts int
	// RetryBackoff is the delay before the first retry of a failed
	// investigation; it doubles with each attempt, with jitter. Default 2
	// seconds.
	RetryBackoff time.Duration
	// RetryBackoffMax caps the delay between retries. Default 5 minutes.
	RetryBackoffMax time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// The defaults of Config, and the bounds the service ships with.
const (
	DefaultDedupWindow         = 15 * time.Minute
	DefaultWorkers             = 4
	DefaultJobTimeout          = 90 * time.Second
	DefaultRescueMargin        = 30 * time.Second
	DefaultRescueAfter         = DefaultJobTimeout + DefaultRescueMargin
	DefaultMaxAttempts         = 12
	DefaultRetryBackoff        = 2 * time.Second
	DefaultRetryBackoffMax     = 5 * time.Minute
	DefaultMaxPerDetectionHour = 30
	DefaultMaxPerHour          = 500
)

func (c *Config) setDefaults() {
	if c.DedupWindow <= 0 {
		c.DedupWindow = DefaultDedupWindow
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter <= c.JobTimeout {
		c.RescueAfter = c.JobTimeout + DefaultRescueMargin
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.RetryBackoffMax <= 0 {
		c.RetryBackoffMax = DefaultRetryBackoffMax
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Store is the service's database: queue, deliveries and investigation
// records.
type Store struct {
	cfg Config
	be  backend
	log zerolog.Logger

	batches *batcher
	health  writeHealth
	// memo, on SQLite, keeps the deliveries the budgets count.
	memo *budgetMemo

	mu     sync.Mutex
	worker runner
}

// Open connects to the database, runs the migrations and returns a store
// that can enqueue; call Start to work jobs too.
func Open(ctx context.Context, cfg Config, log zerolog.Logger) (*Store, error) {
	cfg.setDefaults()
	be, err := openBackend(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	if err := be.migrate(ctx, cfg.Now().UnixMilli()); err != nil {
		be.close()
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	s := &Store{cfg: cfg, be: be, log: log}
	if q := be.versionQuery(); q != "" && (cfg.MaxPerHour > 0 || cfg.MaxPerDetectionHour > 0) {
		s.memo = &budgetMemo{query: q}
	}
	s.batches = newBatcher(s, be.writers())
	return s, nil
}

// Work is what Start runs.
type Work struct {
	// Workers work every job kind the queue holds.
	Workers *river.Workers
	// Periodic jobs are scheduled by one replica at a time, the queue's
	// leader.
	Periodic []*river.PeriodicJob
	// AttemptTimeout and RescueAfter, when set, take the place of
	// Config.JobTimeout and Config.RescueAfter: the service derives them
	// from the Panther deadlines and the step timeouts once its pipeline
	// is built.
	AttemptTimeout, RescueAfter time.Duration
}

// Start begins working jobs.
func (s *Store) Start(ctx context.Context, w Work) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.AttemptTimeout > 0 {
		s.cfg.JobTimeout = w.AttemptTimeout
	}
	if w.RescueAfter > 0 {
		s.cfg.RescueAfter = w.RescueAfter
	}
	if s.worker != nil {
		return errors.New("store: already started")
	}
	client, err := s.be.newClient(&river.Config{
		Logger:               riverLogger(s.log),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: s.cfg.Workers}},
		Workers:              w.Workers,
		PeriodicJobs:         w.Periodic,
		JobTimeout:           s.cfg.JobTimeout,
		RescueStuckJobsAfter: s.cfg.RescueAfter,
		MaxAttempts:          s.cfg.MaxAttempts,
		RetryPolicy:          backoff{base: s.cfg.RetryBackoff, max: s.cfg.RetryBackoffMax},
		FetchCooldown:        50 * time.Millisecond,
		FetchPollInterval:    500 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("store: river client: %w", err)
	}
	// The client outlives ctx: shutdown goes through Stop, which lets
	// running investigations finish first.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("store: start workers: %w", err)
	}
	s.worker = client
	return nil
}

// Stop stops fetching jobs and waits for running ones; then it cancels
// those still running, and river hands them back to the queue. When ctx has
// a deadline, all of this ends by it: the wait ends early enough to leave a
// share of the time (a quarter, at most handBack) for the hand-back, so that
// a process stopped within its shutdown timeout leaves no job running for
// the rescuer to find minutes later.
func (s *Store) Stop(ctx context.Context) error {
	s.mu.Lock()
	w := s.worker
	s.worker = nil
	s.mu.Unlock()
	if w == nil {
		return nil
	}
	wait, cancelWait := ctx, context.CancelFunc(func() {})
	if deadline, ok := ctx.Deadline(); ok {
		reserve := min(handBack, time.Until(deadline)/4)
		wait, cancelWait = context.WithDeadline(ctx, deadline.Add(-reserve))
	}
	defer cancelWait()
	if err := w.Stop(wait); err != nil {
		cancelCtx, cancel := ctx, context.CancelFunc(func() {})
		if _, ok := ctx.Deadline(); !ok || ctx.Err() != nil {
			// No time left in ctx: still give the hand-back a moment.
			cancelCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), handBack)
		}
		defer cancel()
		if cerr := w.StopAndCancel(cancelCtx); cerr != nil {
			return fmt.Errorf("store: stop workers: %w", errors.Join(err, cerr))
		}
		return fmt.Errorf("store: stop workers: running jobs handed back: %w", err)
	}
	return nil
}

// handBack bounds how long Stop gives cancelled jobs to return to the queue.
const handBack = 5 * time.Second

// Close releases the database. Stop first.
func (s *Store) Close() {
	s.batches.close()
	s.be.close()
}

// Ping reports whether the database answers and can write. A database
// that answers but failed its latest write (or a probe write, see
// probeEvery) is a *NotWritableError.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.be.ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return s.health.check(ctx, s.cfg.Now(), s.probeWrite)
}

// backoff is the retry policy for failed investigations: exponential from
// base, capped at max, with full jitter on the upper half so that replicas
// and alerts that failed together do not retry together.
type backoff struct {
	base, max time.Duration
}

// NextRetry implements river.ClientRetryPolicy.
func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := b.base << min(job.Attempt-1, 20)
	if d <= 0 || d > b.max {
		d = b.max
	}
	d = d/2 + rand.N(d/2+1)
	return time.Now().Add(d)
}
