package handler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

const (
	viewerUser     = "alice"
	viewerPassword = "correct horse" // of testdata/viewers.htpasswd
	readToken      = "read-token-for-tests"
	badPassword    = "Tr0ub4dor&3"
)

// withAccess configures viewers (from testdata/viewers.htpasswd), the read
// token and a trusted proxy at 10.0.0.0/8.
func withAccess(t testing.TB) func(*Config) {
	t.Helper()
	v, err := LoadViewers("testdata/viewers.htpasswd")
	if err != nil {
		t.Fatal(err)
	}
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	return func(c *Config) { c.Viewers, c.ReadToken, c.TrustedProxies = v, readToken, proxies }
}

// TestAccess is who may open the page and the API once analysts have their
// own access: viewers, the read token (API only), a trusted proxy's
// identity header; never the webhook secret.
func TestAccess(t *testing.T) {
	for _, tc := range []struct {
		name       string
		path       string
		remote     string // "" for httptest's 192.0.2.1
		header     map[string]string
		basic      []string // user, password
		wantStatus int
	}{
		{"viewer, page", "/", "", nil, []string{viewerUser, viewerPassword}, 200},
		{"viewer, API", "/api/v1/investigations", "", nil, []string{viewerUser, viewerPassword}, 200},
		{"viewer, report", "/investigations/a2000000000000000000000000000002", "", nil, []string{viewerUser, viewerPassword}, 200},
		{"viewer, style sheet", "/static/style.css", "", nil, []string{viewerUser, viewerPassword}, 200},
		{"viewer, wrong password", "/", "", nil, []string{viewerUser, badPassword}, 401},
		{"unknown viewer", "/api/v1/investigations", "", nil, []string{"mallory", viewerPassword}, 401},
		{"read token, API", "/api/v1/investigations", "", map[string]string{"Authorization": "Bearer " + readToken}, nil, 200},
		{"read token, one record", "/api/v1/investigations/a2000000000000000000000000000002", "", map[string]string{"Authorization": "Bearer " + readToken}, nil, 200},
		{"read token, page", "/", "", map[string]string{"Authorization": "Bearer " + readToken}, nil, 401},
		{"read token as Basic password", "/api/v1/investigations", "", nil, []string{"any", readToken}, 401},
		{"webhook secret as bearer, API", "/api/v1/investigations", "", map[string]string{"Authorization": "Bearer " + testSecret}, nil, 401},
		{"webhook secret as Basic, page", "/", "", nil, []string{"any", testSecret}, 401},
		{"webhook secret as Basic, API", "/api/v1/investigations", "", nil, []string{"any", testSecret}, 401},
		{"nothing, page", "/", "", nil, nil, 401},
		{"proxy identity from a trusted proxy", "/", "10.1.2.3:5555", map[string]string{"X-Forwarded-User": "bob@example.com"}, nil, 200},
		{"proxy identity over IPv6 loopback", "/api/v1/investigations", "[::1]:5555", map[string]string{"X-Forwarded-User": "bob@example.com"}, nil, 200},
		{"proxy identity from anywhere else", "/", "192.0.2.9:5555", map[string]string{"X-Forwarded-User": "bob@example.com"}, nil, 401},
		{"proxy, other header", "/", "10.1.2.3:5555", map[string]string{"X-Forwarded-Email": "bob@example.com"}, nil, 401},
		{"proxy, empty identity", "/", "10.1.2.3:5555", map[string]string{"X-Forwarded-User": ""}, nil, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := pageSetup(t, pageRecords(), withAccess(t))
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.remote != "" {
				req.RemoteAddr = tc.remote
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.basic != nil {
				req.SetBasicAuth(tc.basic[0], tc.basic[1])
			}
			rec := b.serve(req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("a 401 without WWW-Authenticate: the browser would not ask")
			}
			if strings.Contains(rec.Body.String(), "webhook secret, which") {
				t.Error("the page warns of the webhook secret although viewers are configured")
			}
			logs := b.logs.String()
			for _, secret := range []string{viewerPassword, testSecret, readToken, badPassword} {
				if strings.Contains(logs, secret) {
					t.Errorf("a password or token reached the log:\n%s", logs)
				}
			}
			failed := strings.Contains(logs, `"message":"login failed"`)
			if wantFailed := rec.Code == 401 && (tc.basic != nil || tc.header["Authorization"] != ""); failed != wantFailed {
				t.Errorf("login failed logged = %v, want %v:\n%s", failed, wantFailed, logs)
			}
		})
	}
}

// TestAccessNamesTheViewer shows who is signed in, and says it in the
// request's log lines.
func TestAccessNamesTheViewer(t *testing.T) {
	b := pageSetup(t, pageRecords(), withAccess(t))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.9.9.9:1234"
	req.Header.Set("X-Forwarded-User", "bob@example.com")
	rec := b.serve(req)
	if !strings.Contains(rec.Body.String(), `signed in as <b>bob@example.com</b>`) {
		t.Errorf("the page does not name the viewer:\n%s", rec.Body)
	}
}

// TestAccessIdentityHeaderConfigurable takes the person from the header
// the proxy is configured to set.
func TestAccessIdentityHeaderConfigurable(t *testing.T) {
	b := pageSetup(t, pageRecords(), withAccess(t), func(c *Config) { c.IdentityHeader = "X-Auth-Request-Email" })
	for header, want := range map[string]int{"X-Auth-Request-Email": 200, "X-Forwarded-User": 401} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = "10.0.0.1:1"
		req.Header.Set(header, "carol@example.com")
		if rec := b.serve(req); rec.Code != want {
			t.Errorf("%s: status = %d, want %d", header, rec.Code, want)
		}
	}
}

// TestAccessFallback: with no viewer, token or proxy, the webhook secret
// opens the page and the API as before, and the page and the log say it
// should not.
func TestAccessFallback(t *testing.T) {
	b := pageSetup(t, pageRecords())
	if !strings.Contains(b.logs.String(), "open with the webhook secret") {
		t.Errorf("no warning at start:\n%s", b.logs)
	}
	body := getPage(t, b, "/", http.StatusOK)
	if !strings.Contains(body, `<p class="access-warning" role="alert">This page opens with the webhook secret`) {
		t.Errorf("the page does not warn:\n%s", body)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.0.0.1:1"
	req.Header.Set("X-Forwarded-User", "bob")
	if rec := b.serve(req); rec.Code != http.StatusUnauthorized {
		t.Errorf("an identity header opened the page with no trusted proxy: %d", rec.Code)
	}
	quiet := setup(t, func(c *Config) { c.InsecureNoAuth = true })
	if strings.Contains(quiet.logs.String(), "webhook secret") {
		t.Error("a warning about the secret with authentication off")
	}
}

// TestAccessBrake slows repeated failed logins from one address: after
// loginBurst failures its logins are answered 429 unchecked, the right
// password included, until a refill has passed; other addresses are not
// affected; behind a trusted proxy the client is taken from
// X-Forwarded-For.
func TestAccessBrake(t *testing.T) {
	var now atomic.Int64
	now.Store(testNow().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	b := pageSetup(t, pageRecords(), withAccess(t), func(c *Config) { c.Now = clock })
	try := func(remote, xff, password string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/investigations", nil)
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		req.SetBasicAuth(viewerUser, password)
		return b.serve(req)
	}
	for i := range loginBurst {
		if rec := try("192.0.2.7:1", "", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, rec.Code)
		}
	}
	rec := try("192.0.2.7:2", "", viewerPassword)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "12" {
		t.Fatalf("after %d failures: status %d, Retry-After %q; want 429, 12", loginBurst, rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := try("192.0.2.8:1", "", viewerPassword); rec.Code != http.StatusOK {
		t.Errorf("another address: status %d, want 200", rec.Code)
	}
	now.Add(int64(loginRefill))
	if rec := try("192.0.2.7:3", "", viewerPassword); rec.Code != http.StatusOK {
		t.Errorf("after a refill: status %d, want 200", rec.Code)
	}
	if !strings.Contains(b.logs.String(), "too many failed logins") {
		t.Error("a braked login is not logged")
	}

	// Behind the trusted proxy: the client before it is braked, not the proxy.
	for range loginBurst {
		try("10.0.0.1:1", "203.0.113.5, 10.0.0.2", "wrong")
	}
	if rec := try("10.0.0.1:1", "203.0.113.5", viewerPassword); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the client behind the proxy: status %d, want 429", rec.Code)
	}
	if rec := try("10.0.0.1:1", "203.0.113.6", viewerPassword); rec.Code != http.StatusOK {
		t.Errorf("another client behind the proxy: status %d, want 200", rec.Code)
	}
}

// TestLoginBrakeBounded remembers at most loginClients addresses.
func TestLoginBrakeBounded(t *testing.T) {
	brake := newLoginBrake(testNow)
	for i := range loginClients + 500 {
		brake.fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	if n := brake.clients.Len(); n > loginClients {
		t.Fatalf("%d addresses remembered, want at most %d", n, loginClients)
	}
	// An IPv6 /64 is one client.
	for i := range 10 {
		brake.fail(netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i+1)))
	}
	if w := brake.wait(netip.MustParseAddr("2001:db8::ffff")); w == 0 {
		t.Error("ten failures across one /64 did not brake it")
	}
}

func TestLoadViewers(t *testing.T) {
	v, err := LoadViewers("testdata/viewers.htpasswd")
	if err != nil || v.Len() != 1 {
		t.Fatalf("LoadViewers: %v, %d viewers", err, v.Len())
	}
	if ok, _ := v.check(viewerUser, viewerPassword); !ok {
		t.Error("the password htpasswd -B hashed is refused")
	}
	if ok, reason := v.check(viewerUser, "Correct horse"); ok || reason != "wrong password" {
		t.Errorf("a wrong password: %v, %q", ok, reason)
	}
	for _, tc := range []struct{ file, want string }{
		{"bob:$apr1$wX//29Wr$gzGfU2SWZ4.l4dJbsK5Wo.\n", "viewers:1: user bob: not a bcrypt hash (create it with htpasswd -B)"},
		{"\n# people\nalice\n", "viewers:3: want user:hash"},
		{"# nobody\n", "viewers: no viewers"},
	} {
		if _, err := ParseViewers(strings.NewReader(tc.file), "viewers"); err == nil || err.Error() != tc.want {
			t.Errorf("ParseViewers(%q) = %v; want %q", tc.file, err, tc.want)
		}
	}
	if _, err := LoadViewers("testdata/none.htpasswd"); err == nil {
		t.Error("a missing file is not an error")
	}
}

func TestNewDevViewer(t *testing.T) {
	user, password, v, err := NewDevViewer()
	if err != nil || user != DevViewerUser || len(password) < 12 {
		t.Fatalf("NewDevViewer = %q, %q, %v", user, password, err)
	}
	b := pageSetup(t, pageRecords(), func(c *Config) { c.Viewers = v })
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(user, password)
	if rec := b.serve(req); rec.Code != http.StatusOK {
		t.Errorf("the dev viewer's login: status %d", rec.Code)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies([]string{"10.0.0.0/8", " 192.168.1.7 ", "", "fd00::/8", "10.1.2.3/8"})
	if err != nil || fmt.Sprint(got) != "[10.0.0.0/8 192.168.1.7/32 fd00::/8 10.0.0.0/8]" {
		t.Fatalf("ParseTrustedProxies = %v, %v", got, err)
	}
	if _, err := ParseTrustedProxies([]string{"proxy.internal"}); err == nil || !strings.Contains(err.Error(), `"proxy.internal"`) {
		t.Errorf("a host name: %v", err)
	}
}

// TestErrorsByRoute: one error writer answers a page's errors, a panic
// included, as HTML, and the API's as JSON; a panic's stack is logged
// either way.
func TestErrorsByRoute(t *testing.T) {
	for _, tc := range []struct {
		path, wantType, wantBody string
	}{
		{"/investigations/x", "text/html; charset=utf-8", "<p>internal error</p>"},
		{"/api/v1/investigations/x", "application/json; charset=utf-8", `{"error":{"code":"internal","message":"internal error"}}`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			b := setup(t)
			b.store.InvestigationFunc = func(context.Context, string) (triage.Record, error) {
				panic("boom")
			}
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.SetBasicAuth("any", testSecret)
			rec := b.serve(req)
			if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != tc.wantType ||
				!strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("status %d, type %q, body %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if !strings.Contains(b.logs.String(), `"stack":`) {
				t.Errorf("the panic's stack is not logged:\n%s", b.logs)
			}
		})
	}
	t.Run("a page's 401 is a page", func(t *testing.T) {
		b := setup(t, withAccess(t))
		rec := b.serve(httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), "Sign in with your viewer name and password.") {
			t.Errorf("status %d, body %s", rec.Code, rec.Body)
		}
	})
}
