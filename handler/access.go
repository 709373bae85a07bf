package handler

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/panther-triage/panther-triage/logcap"
)

// DefaultIdentityHeader is the header a trusted proxy names the person in
// when Config.IdentityHeader is empty: oauth2-proxy sets it with
// --pass-user-headers (and X-Forwarded-Email beside it).
const DefaultIdentityHeader = "X-Forwarded-User"

// DevViewerUser is the viewer NewDevViewer creates.
const DevViewerUser = "analyst"

// Limits of the failed-login brake: each client address may fail
// loginBurst times at once, then one more time every loginRefill; beyond
// that its logins are answered 429 unchecked until it may try again. At
// most loginClients addresses are remembered (the least recently seen is
// forgotten first).
const (
	loginBurst   = 5
	loginRefill  = 12 * time.Second
	loginClients = 10_000
	// verifiedTTL is how long a checked Basic login is remembered, so that
	// a browser's every request (the page refreshes itself) does not cost
	// a bcrypt comparison.
	verifiedTTL   = 5 * time.Minute
	verifiedCache = 1024
	// maxLoggedUser cuts a user name in the failed-login log line.
	maxLoggedUser = 64
)

// Viewers are the people who may read the page and the API, each with a
// bcrypt password hash. Build it with LoadViewers, ParseViewers or
// NewViewers.
type Viewers struct {
	hashes map[string][]byte
	// dummy is compared against for unknown users, so that an unknown
	// user takes as long to refuse as a wrong password.
	dummy []byte
}

// LoadViewers reads an htpasswd file of bcrypt entries, as
// `htpasswd -B` writes them: one "user:$2y$…" a line; blank lines and lines
// starting with # are skipped. Any other kind of hash is refused, with the
// line that holds it.
func LoadViewers(path string) (*Viewers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("viewers file: %w", err)
	}
	return ParseViewers(bytes.NewReader(data), path)
}

// ParseViewers reads htpasswd lines from r (see LoadViewers); name is used
// in error messages.
func ParseViewers(r io.Reader, name string) (*Viewers, error) {
	v := &Viewers{hashes: map[string][]byte{}}
	sc := bufio.NewScanner(r)
	var problems []error
	cost := bcrypt.DefaultCost
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			problems = append(problems, fmt.Errorf("%s:%d: want user:hash", name, n))
			continue
		}
		c, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			problems = append(problems, fmt.Errorf("%s:%d: user %s: not a bcrypt hash (create it with htpasswd -B)", name, n, user))
			continue
		}
		if _, dup := v.hashes[user]; dup {
			problems = append(problems, fmt.Errorf("%s:%d: user %s is listed twice", name, n, user))
			continue
		}
		v.hashes[user], cost = []byte(hash), c
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if len(v.hashes) == 0 {
		return nil, fmt.Errorf("%s: no viewers", name)
	}
	if err := v.setDummy(cost); err != nil {
		return nil, err
	}
	return v, nil
}

// NewViewers hashes the given user → password logins with bcrypt, for
// viewers not kept in a file (serve --dev, tests).
func NewViewers(logins map[string]string) (*Viewers, error) {
	if len(logins) == 0 {
		return nil, errors.New("viewers: no logins")
	}
	v := &Viewers{hashes: map[string][]byte{}}
	for user, password := range logins {
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("viewers: hash the password of %s: %w", user, err)
		}
		v.hashes[user] = h
	}
	if err := v.setDummy(bcrypt.DefaultCost); err != nil {
		return nil, err
	}
	return v, nil
}

// NewDevViewer returns one viewer, DevViewerUser, with a random password,
// for serve --dev to print.
func NewDevViewer() (user, password string, v *Viewers, err error) {
	password = rand.Text()[:16]
	v, err = NewViewers(map[string]string{DevViewerUser: password})
	return DevViewerUser, password, v, err
}

// Len is how many viewers there are.
func (v *Viewers) Len() int {
	if v == nil {
		return 0
	}
	return len(v.hashes)
}

func (v *Viewers) setDummy(cost int) error {
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return fmt.Errorf("viewers: %w", err)
	}
	v.dummy = h
	return nil
}

// check reports whether password is user's; it returns the reason for a
// refusal, for the log.
func (v *Viewers) check(user, password string) (ok bool, reason string) {
	h, known := v.hashes[user]
	if !known {
		_ = bcrypt.CompareHashAndPassword(v.dummy, []byte(password))
		return false, "unknown user"
	}
	if bcrypt.CompareHashAndPassword(h, []byte(password)) != nil {
		return false, "wrong password"
	}
	return true, ""
}

// ParseTrustedProxies parses CIDRs such as "10.0.0.0/8" or single addresses
// such as "127.0.0.1", for Config.TrustedProxies. Empty entries are
// skipped.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var problems []error
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			problems = append(problems, fmt.Errorf("trusted proxy %q is neither a CIDR nor an address", s))
			continue
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, errors.Join(problems...)
}

// access decides who may read the page and the API.
type access struct {
	viewers   *Viewers
	readToken string
	secret    string
	proxies   []netip.Prefix
	header    string
	// fallback: no viewer, token or proxy is configured, so the webhook
	// secret opens the page and the API.
	fallback bool
	brake    *loginBrake
	verified *lru.Cache[[32]byte, time.Time]
	key      []byte // keys verified's digests
	now      func() time.Time
}

func newAccess(cfg Config) *access {
	a := &access{
		viewers: cfg.Viewers, readToken: cfg.ReadToken, secret: cfg.Secret,
		proxies: cfg.TrustedProxies, header: cfg.IdentityHeader,
		key: []byte(rand.Text()), now: cfg.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.header == "" {
		a.header = DefaultIdentityHeader
	}
	a.fallback = a.viewers.Len() == 0 && a.readToken == "" && len(a.proxies) == 0
	a.brake = newLoginBrake(a.now)
	a.verified, _ = lru.New[[32]byte, time.Time](verifiedCache) // a positive size never fails
	return a
}

// audience is who a route serves: the page (people, in a browser) or the
// API (people and automation).
type audience int

const (
	forPage audience = iota
	forAPI
)

type viewerKey struct{}

// viewerFrom is who requireReader let in, "" when not known.
func viewerFrom(ctx context.Context) string {
	v, _ := ctx.Value(viewerKey{}).(string)
	return v
}

// Answers of requireReader.
var (
	errLoginRequired = &httpError{
		Status: http.StatusUnauthorized, Code: "unauthorized",
		Message: "missing or wrong credentials: sign in as a viewer, or send Authorization: Bearer <read token>",
	}
	errPageLoginRequired = &httpError{
		Status: http.StatusUnauthorized, Code: "unauthorized",
		Message: "Sign in with your viewer name and password.",
	}
)

// requireReader lets a request through to the page or the API only with a
// reader's credentials:
//   - a trusted proxy's identity header;
//   - a viewer's HTTP Basic credentials;
//   - on the API, the read token as a bearer token;
//   - while none of these is configured, the webhook secret, as a bearer
//     token or as the password of HTTP Basic credentials.
//
// Credentials are never read from the query string. A failed login is
// logged (never its password) and counted against the client's address;
// an address that failed too often is answered 429 without a check until
// it may try again. A 401 carries WWW-Authenticate, so a browser asks.
func (s *server) requireReader(aud audience) func(http.Handler) http.Handler {
	a := s.access
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.cfg.InsecureNoAuth {
				next.ServeHTTP(w, r)
				return
			}
			peer := peerAddr(r)
			if who := r.Header.Get(a.header); who != "" && !a.fallback && a.trusted(peer) {
				s.letIn(w, r, next, who, "proxy")
				return
			}
			client := a.clientAddr(r, peer)
			method, user, secret, given := credentials(r)
			if !given {
				s.refuse(w, r, aud)
				return
			}
			if wait := a.brake.wait(client); wait > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				zerolog.Ctx(r.Context()).Warn().Str("client", client.String()).Str("method", method).
					Str("user", cutLog(user)).Str("path", logcap.String(r.URL.Path)).Msg("login refused: too many failed logins from this address")
				s.writeError(w, r, &httpError{
					Status: http.StatusTooManyRequests, Code: "too_many_failed_logins",
					Message: "too many failed logins from this address; try again in " + wait.Round(time.Second).String(),
				})
				return
			}
			ok, name, reason := a.login(aud, method, user, secret)
			if ok {
				s.letIn(w, r, next, name, method)
				return
			}
			a.brake.fail(client)
			zerolog.Ctx(r.Context()).Warn().Str("client", client.String()).Str("method", method).
				Str("user", cutLog(user)).Str("reason", reason).Str("path", logcap.String(r.URL.Path)).Msg("login failed")
			s.refuse(w, r, aud)
		})
	}
}

// login checks credentials a request presented: method "basic" with user
// and secret, or "bearer" with secret. It returns who they name, or why
// they were refused.
func (a *access) login(aud audience, method, user, secret string) (ok bool, who, reason string) {
	if a.fallback {
		if a.secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(a.secret)) == 1 {
			return true, "webhook secret", ""
		}
		return false, "", "wrong secret"
	}
	switch method {
	case "bearer":
		if aud != forAPI || a.readToken == "" {
			return false, "", "bearer tokens open the API only, and only the read token"
		}
		if subtle.ConstantTimeCompare([]byte(secret), []byte(a.readToken)) != 1 {
			return false, "", "wrong token"
		}
		return true, "read token", ""
	default:
		if a.viewers.Len() == 0 {
			return false, "", "no viewers are configured"
		}
		if a.seen(user, secret) {
			return true, user, ""
		}
		ok, reason := a.viewers.check(user, secret)
		if ok {
			a.remember(user, secret)
			return true, user, ""
		}
		return false, "", reason
	}
}

// seen reports whether user and password passed the bcrypt check in the
// last verifiedTTL. Only a keyed digest of them is kept.
func (a *access) seen(user, password string) bool {
	at, ok := a.verified.Get(a.digest(user, password))
	return ok && a.now().Sub(at) < verifiedTTL
}

func (a *access) remember(user, password string) {
	a.verified.Add(a.digest(user, password), a.now())
}

func (a *access) digest(user, password string) [32]byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(user))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var d [32]byte
	copy(d[:], m.Sum(nil))
	return d
}

// letIn passes the request on as who, naming them in its log lines.
func (s *server) letIn(w http.ResponseWriter, r *http.Request, next http.Handler, who, method string) {
	zerolog.Ctx(r.Context()).UpdateContext(func(c zerolog.Context) zerolog.Context {
		return c.Str("viewer", cutLog(who)).Str("auth", method)
	})
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, who)))
}

// refuse answers 401 with a challenge for the browser.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, aud audience) {
	w.Header().Set("WWW-Authenticate", `Basic realm="panther-triage"`)
	switch {
	case s.access.fallback:
		s.writeError(w, r, errUnauthorized)
	case aud == forPage:
		s.writeError(w, r, errPageLoginRequired)
	default:
		s.writeError(w, r, errLoginRequired)
	}
}

// credentials returns what r presents in its Authorization header: Basic
// (user and password) or Bearer (the token as secret).
func credentials(r *http.Request) (method, user, secret string, ok bool) {
	if tok, ok := bearerToken(r); ok {
		return "bearer", "", tok, true
	}
	if user, password, ok := r.BasicAuth(); ok {
		return "basic", user, password, true
	}
	return "", "", "", false
}

// trusted reports whether addr is one of the trusted proxies.
func (a *access) trusted(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	for _, p := range a.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clientAddr is the address failed logins are counted against: the peer,
// or, when the peer is a trusted proxy, the nearest address before it in
// X-Forwarded-For that is not a trusted proxy.
func (a *access) clientAddr(r *http.Request, peer netip.Addr) netip.Addr {
	if !a.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if hop = hop.Unmap(); !a.trusted(hop) {
			return hop
		}
	}
	return peer
}

// peerAddr is the address the request came from, the zero Addr when it
// cannot be read.
func peerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// cutLog cuts a value from a request for a log line.
func cutLog(s string) string {
	if len(s) <= maxLoggedUser {
		return s
	}
	return strings.ToValidUTF8(s[:maxLoggedUser], "") + "…"
}

// loginBrake slows repeated failed logins from one address: a token bucket
// per address (an IPv6 /64 counts as one), in a bounded LRU.
type loginBrake struct {
	mu      sync.Mutex
	now     func() time.Time
	clients *lru.Cache[netip.Prefix, bucket]
}

// bucket is how many failures an address may still make, as of at.
type bucket struct {
	tokens float64
	at     time.Time
}

func newLoginBrake(now func() time.Time) *loginBrake {
	c, _ := lru.New[netip.Prefix, bucket](loginClients) // a positive size never fails
	return &loginBrake{now: now, clients: c}
}

func brakeKey(a netip.Addr) netip.Prefix {
	bits := a.BitLen()
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits) // an invalid Addr gives the zero Prefix: one shared bucket
	return p
}

// current is the bucket of key as of now.
func (b *loginBrake) current(key netip.Prefix) bucket {
	now := b.now()
	bk, ok := b.clients.Peek(key)
	if !ok {
		return bucket{tokens: loginBurst, at: now}
	}
	bk.tokens = min(loginBurst, bk.tokens+float64(now.Sub(bk.at))/float64(loginRefill))
	bk.at = now
	return bk
}

// wait is how long addr must wait before its next login is checked.
func (b *loginBrake) wait(addr netip.Addr) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.current(brakeKey(addr))
	if bk.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - bk.tokens) * float64(loginRefill))
}

// fail counts a failed login of addr.
func (b *loginBrake) fail(addr netip.Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := brakeKey(addr)
	bk := b.current(key)
	bk.tokens = max(bk.tokens-1, 0)
	b.clients.Add(key, bk)
}
