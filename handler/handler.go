package handler

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-playground/validator/v10"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/panther-triage/panther-triage/triage"
)

// Enqueuer durably stores a delivery together with its investigation job.
// It must not return until the delivery is on disk or committed: the webhook
// answers 2xx only after Enqueue succeeds.
type Enqueuer interface {
	Enqueue(ctx context.Context, d triage.Delivery) (triage.Enqueued, error)
}

// Pinger reports whether the database answers and can write; /readyz
// calls it. An error with a method NotWritable() bool that returns true
// means the database answers but cannot write.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Records reads stored investigations for the read API and the page.
type Records interface {
	// Investigation returns the whole record of one alert, or
	// triage.ErrNoRecord when there is none.
	Investigation(ctx context.Context, alertID string) (triage.Record, error)
	// Summaries returns one page of summaries, newest first, filtered by
	// state and verdict; a cursor it did not write is
	// triage.ErrBadCursor. Lists never read whole records.
	Summaries(ctx context.Context, q triage.ListQuery) (triage.SummaryPage, error)
	// VerdictCounts counts the records of each verdict, of one state or,
	// for "", of all.
	VerdictCounts(ctx context.Context, state string) (map[string]int, error)
}

// Filter decides at intake whether a delivery is investigated. It returns ""
// to investigate, otherwise the reason it is not (shown to Panther in the
// response body, e.g. "severity INFO is not investigated").
type Filter interface {
	Filter(d triage.Delivery) string
}

// Config configures the handler returned by New.
type Config struct {
	// Secret is the webhook secret. Panther sends it as
	// "Authorization: Bearer <secret>". While none of Viewers, ReadToken
	// and TrustedProxies is set, the page and the API take it too (as a
	// bearer token, or as the password of HTTP Basic credentials with any
	// user name), and say that they should not; once one is set, it opens
	// /webhook only. Required unless InsecureNoAuth is set: with neither,
	// every authenticated route answers 401.
	Secret string
	// InsecureNoAuth turns every credential check off. Default false.
	InsecureNoAuth bool
	// Viewers are the people who may read the page and the API, with HTTP
	// Basic credentials (see LoadViewers). Default nil: none.
	Viewers *Viewers
	// ReadToken opens the API (not the page) to
	// "Authorization: Bearer <ReadToken>", for automation. Default empty:
	// no token.
	ReadToken string
	// TrustedProxies are the addresses of authenticating reverse proxies
	// (oauth2-proxy and the like, see ParseTrustedProxies). A request whose
	// peer is one of them and that carries IdentityHeader is let in as the
	// person the header names; from any other address the header is
	// ignored. Default nil: no proxy is trusted.
	TrustedProxies []netip.Prefix
	// IdentityHeader is the header in which a trusted proxy names the
	// person. Default DefaultIdentityHeader.
	IdentityHeader string
	// Filter decides which deliveries are investigated. Default nil: every
	// delivery is.
	Filter Filter
	// Now is the clock used for Delivery.ReceivedAt and the page's ages.
	// Default nil: time.Now.
	Now func() time.Time
	// ConsoleURL is the Panther console's base URL, e.g.
	// https://example.runpanther.net. When set, the page links alert IDs to
	// <ConsoleURL>/alerts/<id>. Default empty: alert IDs are shown as text.
	ConsoleURL string
	// Metrics, when set, is served at GET /metrics without the secret, for
	// Prometheus. Default nil: no /metrics route.
	Metrics http.Handler
	// Deliveries is told the outcome of every webhook delivery, for
	// metrics. Default nil: nothing is told.
	Deliveries DeliveryObserver
}

const (
	// maxBodyBytes caps a webhook body (1 MiB).
	maxBodyBytes = 1 << 20
	// enqueueTimeout bounds one Enqueue, so a stuck store answers 503 and
	// Panther retries instead of waiting out its own timeout.
	enqueueTimeout = 10 * time.Second
	// pingTimeout bounds the database check of /readyz.
	pingTimeout = 2 * time.Second
	// Page sizes of the lists (the API and the page): a page holds
	// summaries of at most a few hundred bytes each, so even the largest
	// stays under a megabyte.
	defaultListLimit = 50
	maxListLimit     = 500
)

// server holds the handler's dependencies.
type server struct {
	cfg      Config
	queue    Enqueuer
	db       Pinger
	records  Records
	validate *validator.Validate
	now      func() time.Time
	pages    *pages
	access   *access
}

// New returns the router with every route of the service:
//
//	POST /webhook                          Panther's Custom Webhook (secret)
//	GET  /healthz                          200 while the process runs
//	GET  /readyz                           200 when the database answers
//	GET  /metrics                          Prometheus metrics, when cfg.Metrics is set
//	GET  /api/v1/investigations?limit=N    summaries, newest first (viewer or read token)
//	GET  /api/v1/investigations/{alertId}  one whole record (viewer or read token)
//	GET  /                                 the investigations page (viewer)
//	GET  /investigations/{alertId}         one report as a page (viewer)
//	GET  /static/*                         the page's style sheet (viewer)
//
// A viewer is one of cfg.Viewers, or a person a trusted proxy names; while
// no viewer, token or proxy is configured, the webhook secret stands in
// for them, and New logs a warning. Errors of the page's routes are
// answered as HTML, all others as JSON.
//
// q, db and records must not be nil. Every request gets a request ID
// (response header X-Request-Id, log field request_id) on a copy of log;
// New sets no global state.
func New(cfg Config, q Enqueuer, db Pinger, records Records, log zerolog.Logger) http.Handler {
	s := &server{
		cfg:      cfg,
		queue:    q,
		db:       db,
		records:  records,
		validate: newValidator(),
		now:      cfg.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	pages, err := newPages(s)
	if err != nil {
		panic(err) // the templates are embedded: a test catches this
	}
	s.pages = pages
	s.access = newAccess(cfg)
	if s.access.fallback && !cfg.InsecureNoAuth {
		log.Warn().Msg("the page and the API open with the webhook secret, which lets anyone who knows it post deliveries: " +
			"give analysts their own access with PANTHER_TRIAGE_VIEWERS_FILE, PANTHER_TRIAGE_READ_TOKEN or PANTHER_TRIAGE_TRUSTED_PROXIES")
	}

	r := chi.NewRouter()
	r.Use(
		hlog.NewHandler(log),
		hlog.RequestIDHandler("request_id", "X-Request-Id"),
		markRoute,
		s.recoverPanic,
	)
	r.NotFound(s.handle(func(http.ResponseWriter, *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.methodNotAllowed(r))

	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))
	if cfg.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", cfg.Metrics)
	}

	// recoverPanic again inside logDelivery, so a panic still gets its
	// delivery log line.
	r.With(s.logDelivery, s.recoverPanic, s.limitBody, s.requireBearer, s.refuseCrossSite).
		Post("/webhook", s.handle(s.webhook))

	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.requireReader(forAPI))
		r.Get("/investigations", s.handle(s.listInvestigations))
		r.Get("/investigations/{alertId}", s.handle(s.getInvestigation))
	})

	r.Group(func(r chi.Router) {
		r.Use(htmlErrors, s.requireReader(forPage))
		r.Get("/", s.handle(s.listInvestigationsPage))
		r.Get("/investigations/{alertId}", s.handle(s.investigationPage))
		r.Get("/static/*", staticHandler().ServeHTTP)
	})
	return r
}

// handle adapts a handler that returns an error to an http.HandlerFunc; the
// error is answered by writeError, as JSON or as a page by route.
func (s *server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// methodNotAllowed answers 405 with an Allow header listing the methods the
// path does take.
func (s *server) methodNotAllowed(routes chi.Routes) http.HandlerFunc {
	methods := []string{
		http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions,
	}
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		for _, m := range methods {
			if routes.Match(chi.NewRouteContext(), m, r.URL.Path) {
				w.Header().Add("Allow", m)
			}
		}
		return &httpError{
			Status:  http.StatusMethodNotAllowed,
			Code:    "method_not_allowed",
			Message: r.Method + " is not allowed on " + r.URL.Path,
		}
	})
}

// recoverPanic turns a panic in a handler into a logged 500, so that no
// input can take the process down.
func (s *server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.writeError(w, r, newPanicError(v))
		}()
		next.ServeHTTP(w, r)
	})
}
