package panthersim

import (
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/panther-triage/panther-triage/panther"
)

//go:embed schema.graphql
var schemaSource string

// DefaultToken is the API token a Server accepts unless WithToken says
// otherwise.
const DefaultToken = "test-token"

// DefaultVersion is the Panther version the simulated Panther reports.
const DefaultVersion = "1.120.0-sim"

// tokenID identifies the simulated API token as the author of comments.
const tokenID = "sim-api-token"

// Server is a simulated Panther. Create it with New, seed it, then either
// mount Handler on a server of your own or call Start. All methods are safe
// for concurrent use.
type Server struct {
	// Token is the API token every request must carry as X-API-Key; requests
	// without it get 401. Set it with WithToken; do not change it later.
	Token string

	schema *ast.Schema
	now    func() time.Time
	ts     *httptest.Server

	mu          sync.Mutex
	alerts      map[string]*alertState
	detections  map[string]SeedDetection // by kind + "/" + id
	users       map[string]SeedUser
	comments    map[string][]panther.Comment
	queries     map[string]*lakeQuery
	calls       map[string]int
	permissions []string
	version     string
	seq         int

	latency     time.Duration
	faults      Faults
	rng         *rand.Rand
	failNext    int
	failStatus  int
	limitedFrom time.Time // when the latest 429 was sent
	limitedTill time.Time // until when it asked clients to wait
	violations  int
	unanswered  int
	limiter     *rate.Limiter // per-token rate limit; nil: none
	limited     int           // requests it refused

	queryPolls    int
	tryAgain      int // reads of a finished query's results that answer tryAgain first
	sqlRows       []map[string]any
	restAlerts404 bool

	onComment func(panther.Comment)
}

// alertState is an alert as the server keeps it: the seed plus what API
// calls changed.
type alertState struct {
	SeedAlert
	updatedAt *time.Time
}

// inFlightGrace is how long after a 429 a call still counts as sent before
// the client could have read it, and so is not a violation. It is generous
// because a loaded test machine can hold a request that long between the
// client's check and the server.
const inFlightGrace = 500 * time.Millisecond

// Option configures a Server.
type Option func(*Server)

// WithCommentHook calls f with every comment posted, as it is stored. f must
// not call back into the Server.
func WithCommentHook(f func(panther.Comment)) Option {
	return func(s *Server) { s.onComment = f }
}

// WithToken sets the API token the server accepts (default DefaultToken).
func WithToken(token string) Option {
	return func(s *Server) { s.Token = token }
}

// WithPermissions sets the token's permissions, as Panther names them
// (AlertRead, AlertModify, RuleRead, PolicyRead, DataAnalyticsRead, …). The
// server enforces them per call, answering 403 (REST) or a FORBIDDEN GraphQL
// error, and reports them at GET /api-tokens/self. Default: every permission.
func WithPermissions(perms []string) Option {
	return func(s *Server) { s.permissions = slices.Clone(perms) }
}

// WithLatency delays every response by d (see also SetLatency).
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// WithSeeds adds the given alerts (with their events and detections) at
// creation, as AddAlert does.
func WithSeeds(seeds ...SeedAlert) Option {
	return func(s *Server) {
		for _, a := range seeds {
			s.addAlertLocked(a)
		}
	}
}

// WithClock sets the clock used for comment and query timestamps and for
// Retry-After bookkeeping (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithVersion sets the version reported by generalSettings.pantherVersion
// (default DefaultVersion).
func WithVersion(v string) Option {
	return func(s *Server) { s.version = v }
}

// New returns a simulated Panther with no alerts unless WithSeeds is given.
// It panics if the embedded schema does not load, which is a bug in this
// package.
func New(opts ...Option) *Server {
	s := &Server{
		Token:       DefaultToken,
		schema:      gqlparser.MustLoadSchema(&ast.Source{Name: "schema.graphql", Input: schemaSource}),
		now:         time.Now,
		alerts:      map[string]*alertState{},
		detections:  map[string]SeedDetection{},
		users:       map[string]SeedUser{},
		comments:    map[string][]panther.Comment{},
		queries:     map[string]*lakeQuery{},
		calls:       map[string]int{},
		permissions: AllPermissions(),
		version:     DefaultVersion,
		rng:         rand.New(rand.NewPCG(1, 1)),
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// AllPermissions lists every permission Panther knows, the default for a
// Server's token.
func AllPermissions() []string {
	return []string{
		"AlertModify", "AlertRead", "BulkUpload", "CloudsecSourceModify", "CloudsecSourceRead",
		"DataAnalyticsModify", "DataAnalyticsRead", "DestinationModify", "DestinationRead",
		"GeneralSettingsModify", "GeneralSettingsRead", "LogSourceModify", "LogSourceRawDataRead",
		"LogSourceRead", "LookupModify", "LookupRead", "OrganizationAPITokenModify",
		"OrganizationAPITokenRead", "PolicyModify", "PolicyRead", "ResourceModify", "ResourceRead",
		"RuleModify", "RuleRead", "RunPantherAI", "SummaryRead", "UserModify", "UserRead",
	}
}

// Handler returns the HTTP handler: GraphQL at POST /public/graphql and the
// REST routes at the root.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.guard(pattern, h)) }
	route("POST /public/graphql", s.serveGraphQL)
	route("GET /alerts/{id}", s.getAlert)
	route("GET /alerts/{id}/events", s.getAlertEvents)
	route("GET /alert-comments", s.listComments)
	route("POST /alert-comments", s.postComment)
	for _, kind := range []string{"rules", "scheduled-rules", "policies", "simple-rules"} {
		route("GET /"+kind+"/{id}", s.getDetection(kind))
	}
	route("GET /api-tokens/{id}", s.getToken)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, message("no such route: "+r.Method+" "+r.URL.Path))
	})
	return mux
}

// Start serves Handler on a new httptest.Server on a loopback port. Call
// Close when done.
func (s *Server) Start() {
	s.ts = httptest.NewServer(s.Handler())
}

// URL returns the base URL of a started server; it panics if Start was not
// called (mount Handler yourself to serve elsewhere).
func (s *Server) URL() string {
	if s.ts == nil {
		panic("panthersim: Server not started")
	}
	return s.ts.URL
}

// GraphQLURL returns the GraphQL endpoint of a started server.
func (s *Server) GraphQLURL() string { return s.URL() + "/public/graphql" }

// RESTURL returns the REST base URL of a started server.
func (s *Server) RESTURL() string { return s.URL() }

// Close stops a started server; it is a no-op otherwise.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// Faults configures random failures. Each request fails with 429 with
// probability Rate429, else with 500 with probability Rate500. The random
// sequence is reproducible from Seed.
type Faults struct {
	Rate500 float64
	Rate429 float64
	// RateNoAnswer is the share of requests never answered: the server
	// holds them until the client gives up.
	RateNoAnswer float64
	// RetryAfter is announced in the Retry-After header of every 429
	// (rounded up to whole seconds; default 1 s).
	RetryAfter time.Duration
	Seed       int64
}

// SetFaults replaces the random fault configuration; the zero Faults turns
// random failures off.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(uint64(f.Seed), uint64(f.Seed)^0x9e3779b97f4a7c15))
}

// FailNext makes the next n requests (after authentication) fail with the
// given HTTP status; a 429 carries Retry-After as configured by SetFaults.
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// SetRESTAlertsNotFound makes REST's GET /alerts/{id} answer 404 for every
// alert while GraphQL still serves them, as a wrong REST URL, a proxy
// prefix or a Panther without REST alerts would.
func (s *Server) SetRESTAlertsNotFound(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restAlerts404 = on
}

// SetRateLimit limits requests to perSecond on average with bursts of
// burst, as a per-token limit would: a request over it is answered 429 with
// the whole seconds until the next one is allowed (at least 1) as
// Retry-After. perSecond <= 0 removes the limit.
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perSecond <= 0 {
		s.limiter = nil
		return
	}
	s.limiter = rate.NewLimiter(rate.Limit(perSecond), max(1, burst))
}

// RateLimited counts the requests refused by SetRateLimit's limit.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// SetLatency delays every later response by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// RateLimitViolations counts requests that arrived while a Retry-After the
// server had announced in a 429 was still running, leaving out those that
// arrived within 500 ms of the 429 (sent before the client could read it).
// Any client counts: keep one client per server when asserting on it.
func (s *Server) RateLimitViolations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.violations
}

// Calls returns how often each route was requested (keyed by its pattern,
// e.g. "GET /alerts/{id}" and "POST /public/graphql", counting every
// request, failed ones included) and each GraphQL root field was executed
// (keyed by its name, e.g. "alert", "createAlertComment").
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// guard wraps a route with what every request goes through: counting,
// Retry-After bookkeeping, latency, authentication and fault injection.
func (s *Server) guard(pattern string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[pattern]++
		if now := s.now(); now.After(s.limitedFrom.Add(inFlightGrace)) && now.Before(s.limitedTill) {
			s.violations++
		}
		latency := s.latency
		s.mu.Unlock()

		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-API-Key")), []byte(s.Token)) != 1 {
			writeJSON(w, http.StatusUnauthorized, message("Unauthorized"))
			return
		}
		if status, retryAfter := s.fault(); status != 0 {
			if status == noAnswer {
				// Read the body first: only then does the server notice
				// that the client gave up, and end the request.
				_, _ = io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
				return
			}
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
				writeJSON(w, status, message("Too many requests, please try again later"))
				return
			}
			writeJSON(w, status, message(http.StatusText(status)))
			return
		}
		h(w, r)
	})
}

// noAnswer is fault's status for a request left unanswered.
const noAnswer = -1

// Unanswered counts the requests left unanswered by Faults.RateNoAnswer.
func (s *Server) Unanswered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unanswered
}

// fault decides whether this request fails, and records a 429's Retry-After.
func (s *Server) fault() (status, retryAfterSecs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limiter != nil {
		now := s.now()
		if r := s.limiter.ReserveN(now, 1); r.DelayFrom(now) > 0 {
			wait := r.DelayFrom(now)
			r.CancelAt(now)
			s.limited++
			secs := max(1, int((wait+time.Second-1)/time.Second))
			if till := now.Add(time.Duration(secs) * time.Second); till.After(s.limitedTill) {
				s.limitedFrom, s.limitedTill = now, till
			}
			return http.StatusTooManyRequests, secs
		}
	}
	switch {
	case s.failNext > 0:
		s.failNext--
		status = s.failStatus
	case s.faults.Rate429 > 0 || s.faults.Rate500 > 0 || s.faults.RateNoAnswer > 0:
		switch p := s.rng.Float64(); {
		case p < s.faults.Rate429:
			status = http.StatusTooManyRequests
		case p < s.faults.Rate429+s.faults.Rate500:
			status = http.StatusInternalServerError
		case p < s.faults.Rate429+s.faults.Rate500+s.faults.RateNoAnswer:
			s.unanswered++
			return noAnswer, 0
		}
	}
	if status != http.StatusTooManyRequests {
		return status, 0
	}
	ra := s.faults.RetryAfter
	if ra <= 0 {
		ra = time.Second
	}
	secs := int((ra + time.Second - 1) / time.Second)
	if till := s.now().Add(time.Duration(secs) * time.Second); till.After(s.limitedTill) {
		s.limitedFrom, s.limitedTill = s.now(), till
	}
	return status, secs
}

// allowed reports whether the token holds perm. Callers hold s.mu.
func (s *Server) allowed(perm string) bool {
	return slices.Contains(s.permissions, perm)
}

// nextID returns a fresh 32-hex identifier. Callers hold s.mu.
func (s *Server) nextID(prefix byte) string {
	s.seq++
	return fmt.Sprintf("%c%031x", prefix, s.seq)
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// message is REST's error body.
func message(msg string) map[string]string { return map[string]string{"message": msg} }
