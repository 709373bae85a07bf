package handler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// webhookCase is one file under testdata/webhook; see its README.md.
type webhookCase struct {
	About   string            `json:"about"`
	Method  string            `json:"method"` // default POST
	Path    string            `json:"path"`   // default /webhook
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`       // a JSON string is sent as its text, anything else as written
	Body64  string            `json:"bodyBase64"` // bytes no JSON text can hold, such as invalid UTF-8
	Store   string            `json:"store"`      // queued (default) | duplicate | fail
	Filter  string            `json:"filter"`     // the filter's reason; "" lets everything pass
	Want    struct {
		Status   int             `json:"status"`
		Body     json.RawMessage `json:"body"`
		Enqueued bool            `json:"enqueued"`
		Delivery json.RawMessage `json:"delivery"` // the Delivery enqueued, without payload
	} `json:"want"`
}

// requestBody returns the bytes the case sends.
func (c webhookCase) requestBody(t *testing.T) []byte {
	t.Helper()
	if c.Body64 != "" {
		b, err := base64.StdEncoding.DecodeString(c.Body64)
		if err != nil {
			t.Fatalf("bodyBase64: %v", err)
		}
		return b
	}
	raw := bytes.TrimSpace(c.Body)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("body: %v", err)
		}
		return []byte(s)
	}
	return raw
}

// namedCase is a case file and its name (the file's, without .json).
type namedCase struct {
	name string
	webhookCase
}

// webhookCases reads every case file under testdata/webhook.
func webhookCases(t *testing.T) []namedCase {
	t.Helper()
	dir := filepath.Join("..", "testdata", "webhook")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []namedCase
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var c webhookCase
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("case file %s: %v", e.Name(), err)
		}
		if c.Want.Status == 0 || len(c.Want.Body) == 0 {
			t.Fatalf("case file %s: want.status and want.body are required", e.Name())
		}
		out = append(out, namedCase{name, c})
	}
	if len(out) < 20 {
		t.Errorf("found %d cases in %s, want at least 20", len(out), dir)
	}
	return out
}

func TestWebhookCases(t *testing.T) {
	for _, c := range webhookCases(t) {
		t.Run(c.name, func(t *testing.T) { runWebhookCase(t, c.webhookCase) })
	}
}

// request builds the case's request.
func (c webhookCase) request(t *testing.T) *http.Request {
	t.Helper()
	method, path := c.Method, c.Path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/webhook"
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(c.requestBody(t)))
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	return req
}

func runWebhookCase(t *testing.T, c webhookCase) {
	b := setup(t, func(cfg *Config) {
		if c.Filter != "" {
			cfg.Filter = &fakeFilter{FilterFunc: func(triage.Delivery) string { return c.Filter }}
		}
	})
	switch c.Store {
	case "", "queued":
	case "duplicate":
		b.store.EnqueueFunc = func(context.Context, triage.Delivery) (triage.Enqueued, error) {
			return triage.Enqueued{JobID: 7, Duplicate: true}, nil
		}
	case "fail":
		b.store.EnqueueFunc = func(context.Context, triage.Delivery) (triage.Enqueued, error) {
			return triage.Enqueued{}, errors.New(storeErrText)
		}
	default:
		t.Fatalf("case file: unknown store %q", c.Store)
	}
	req := c.request(t)
	method, path, body := req.Method, req.URL.RequestURI(), c.requestBody(t)

	rec := b.serve(req)

	if rec.Code != c.Want.Status {
		t.Errorf("status = %d, want %d; body %s", rec.Code, c.Want.Status, rec.Body)
	}
	assertJSONEqual(t, "response body", rec.Body.Bytes(), c.Want.Body)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id header")
	}
	if strings.Contains(rec.Body.String(), storeErrText) || strings.Contains(rec.Body.String(), "sqlite") {
		t.Errorf("internal error text reached the client: %s", rec.Body)
	}

	calls := b.store.calls()
	switch rec.Code {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusMethodNotAllowed,
		http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusUnprocessableEntity:
		if len(calls) != 0 {
			t.Errorf("status %d, but the Enqueuer was called %d times", rec.Code, len(calls))
		}
	}
	if got := len(calls) == 1; got != c.Want.Enqueued || len(calls) > 1 {
		t.Errorf("Enqueue called %d times, want enqueued=%v", len(calls), c.Want.Enqueued)
	}
	if len(calls) == 1 {
		d := calls[0]
		if !bytes.Equal(d.Payload, body) {
			t.Errorf("Delivery.Payload is not the body as received:\n got %s\nwant %s", d.Payload, body)
		}
		if len(c.Want.Delivery) > 0 {
			d.Payload = nil
			got, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			_ = json.Unmarshal(got, &m)
			delete(m, "payload")
			got, _ = json.Marshal(m)
			assertJSONEqual(t, "enqueued delivery", got, c.Want.Delivery)
		}
	}

	switch rec.Code {
	case http.StatusUnauthorized:
		want := `Basic realm="panther-triage"`
		if path == "/webhook" || strings.HasPrefix(path, "/webhook?") {
			want = `Bearer realm="panther-triage"`
		}
		if got := rec.Header().Get("WWW-Authenticate"); got != want {
			t.Errorf("WWW-Authenticate = %q, want %q", got, want)
		}
	case http.StatusMethodNotAllowed:
		if got := rec.Header().Get("Allow"); got != http.MethodPost {
			t.Errorf("Allow = %q, want POST", got)
		}
	}

	if method == http.MethodPost && path == "/webhook" {
		assertDeliveryLogged(t, b, rec)
	}
}

// assertDeliveryLogged checks the one log line of a delivery.
func assertDeliveryLogged(t *testing.T, b *bundle, rec *httptest.ResponseRecorder) {
	t.Helper()
	lines := b.deliveryLines(t)
	if len(lines) != 1 {
		t.Fatalf("%d delivery log lines, want 1:\n%s", len(lines), b.logs)
	}
	l := lines[0]
	if got := l["status"]; got != float64(rec.Code) {
		t.Errorf("logged status = %v, want %d", got, rec.Code)
	}
	if got := l["request_id"]; got != rec.Header().Get("X-Request-Id") {
		t.Errorf("logged request_id = %v, want the X-Request-Id header %q", got, rec.Header().Get("X-Request-Id"))
	}
	if _, ok := l["duration"].(float64); !ok {
		t.Errorf("no duration in %v", l)
	}
	var resp struct {
		Status  string `json:"status"`
		AlertID string `json:"alertId"`
		Error   struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &resp)
	wantOutcome := resp.Status
	if wantOutcome == "" {
		wantOutcome = resp.Error.Code
	}
	if l["outcome"] != wantOutcome {
		t.Errorf("logged outcome = %v, want %q", l["outcome"], wantOutcome)
	}
	if resp.AlertID != "" && l["alert_id"] != resp.AlertID {
		t.Errorf("logged alert_id = %v, want %q", l["alert_id"], resp.AlertID)
	}
}

// assertJSONEqual compares two JSON documents by value.
func assertJSONEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s is not JSON: %v: %q", what, err, got)
		return
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want %s is not JSON: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, compact(got), compact(want))
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

// bigBody returns a valid webhook body of exactly n bytes, padded with
// spaces inside the JSON object.
func bigBody(t *testing.T, n int) []byte {
	t.Helper()
	base := `{"id":"AllLogs.IPMonitoring","createdAt":"2020-10-13T03:35:24Z","severity":"INFO","type":"RULE","alertId":"b90c19e66e160e194a5b3b94ec27fb7c"`
	if n < len(base)+1 {
		t.Fatalf("bigBody: %d is too small", n)
	}
	return []byte(base + strings.Repeat(" ", n-len(base)-1) + "}")
}

func TestWebhookBodyLimit(t *testing.T) {
	for _, tc := range []struct {
		name          string
		size          int
		contentLength bool // send Content-Length; otherwise the length is unknown, as with chunked encoding
		wantStatus    int
	}{
		{"exactly 1 MiB", maxBodyBytes, true, http.StatusAccepted},
		{"exactly 1 MiB chunked", maxBodyBytes, false, http.StatusAccepted},
		{"1 MiB + 1", maxBodyBytes + 1, true, http.StatusRequestEntityTooLarge},
		{"1 MiB + 1 chunked", maxBodyBytes + 1, false, http.StatusRequestEntityTooLarge},
		{"4 MiB chunked", 4 << 20, false, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(bigBody(t, tc.size)))
			if !tc.contentLength {
				req.ContentLength = -1
			}
			req.Header.Set("Authorization", "Bearer "+testSecret)
			rec := b.serve(req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			calls := len(b.store.calls())
			if tc.wantStatus == http.StatusRequestEntityTooLarge {
				want := fmt.Sprintf(`{"error":{"code":"too_large","message":"body is larger than %d bytes"}}`, maxBodyBytes)
				assertJSONEqual(t, "response body", rec.Body.Bytes(), []byte(want))
				if calls != 0 {
					t.Errorf("Enqueue called %d times on 413", calls)
				}
			} else if calls != 1 {
				t.Errorf("Enqueue called %d times, want 1", calls)
			}
			assertDeliveryLogged(t, b, rec)
		})
	}
}

// TestWebhookStoreFailureLogged checks that a store failure is logged once,
// with the request ID and the store's error, while the client sees only a
// generic 503.
func TestWebhookStoreFailureLogged(t *testing.T) {
	b := setup(t)
	b.store.EnqueueFunc = func(context.Context, triage.Delivery) (triage.Enqueued, error) {
		return triage.Enqueued{}, errors.New(storeErrText)
	}
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(documentedPayload))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	rec := b.serve(req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	var errLines []map[string]any
	for _, l := range b.logLines(t) {
		if l["level"] == "error" {
			errLines = append(errLines, l)
		}
	}
	if len(errLines) != 1 {
		t.Fatalf("%d error log lines, want 1:\n%s", len(errLines), b.logs)
	}
	l := errLines[0]
	if e, _ := l["error"].(string); !strings.Contains(e, storeErrText) {
		t.Errorf("logged error = %q, want the store's error", e)
	}
	if l["request_id"] != rec.Header().Get("X-Request-Id") || l["request_id"] == "" {
		t.Errorf("logged request_id = %v, want %q", l["request_id"], rec.Header().Get("X-Request-Id"))
	}
}

// TestWebhookEnqueueDeadline checks that Enqueue runs with a deadline, so a
// stuck store answers 503 rather than holding Panther's request.
func TestWebhookEnqueueDeadline(t *testing.T) {
	b := setup(t)
	b.store.EnqueueFunc = func(ctx context.Context, _ triage.Delivery) (triage.Enqueued, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("Enqueue context has no deadline")
		}
		return triage.Enqueued{JobID: 1}, nil
	}
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(documentedPayload))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	if rec := b.serve(req); rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", rec.Code)
	}
}

// TestWebhookUnknownTypeLogged checks that an unknown alert type is accepted
// and said so in the delivery's log line.
func TestWebhookUnknownTypeLogged(t *testing.T) {
	b := setup(t)
	body := strings.Replace(documentedPayload, `"type":"RULE"`, `"type":"ANOMALY_RULE"`, 1)
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	if rec := b.serve(req); rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", rec.Code)
	}
	lines := b.deliveryLines(t)
	if len(lines) != 1 || lines[0]["alert_type"] != "ANOMALY_RULE" || lines[0]["unknown_alert_type"] != true {
		t.Errorf("delivery log lines = %v, want one with alert_type ANOMALY_RULE and unknown_alert_type", lines)
	}
}

func TestWebhookSecretConfig(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        Config
		auth       string
		wantStatus int
	}{
		{"no secret configured rejects an empty bearer", Config{}, "Bearer ", http.StatusUnauthorized},
		{"no secret configured rejects empty basic", Config{}, basicAuth("x", ""), http.StatusUnauthorized},
		{"no secret configured rejects no header", Config{}, "", http.StatusUnauthorized},
		{"insecure accepts no header", Config{InsecureNoAuth: true}, "", http.StatusAccepted},
		{"secret is compared whole", Config{Secret: testSecret}, "Bearer " + testSecret + "x", http.StatusUnauthorized},
		{"secret prefix rejected", Config{Secret: testSecret}, "Bearer " + testSecret[:4], http.StatusUnauthorized},
		{"scheme is case-insensitive", Config{Secret: testSecret}, "BEARER " + testSecret, http.StatusAccepted},
		{"other scheme rejected", Config{Secret: testSecret}, "Token " + testSecret, http.StatusUnauthorized},
		{"bare secret rejected", Config{Secret: testSecret}, testSecret, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, func(c *Config) { c.Secret, c.InsecureNoAuth = tc.cfg.Secret, tc.cfg.InsecureNoAuth })
			req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(documentedPayload))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := b.serve(req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusUnauthorized && len(b.store.calls()) != 0 {
				t.Error("Enqueue called on 401")
			}
		})
	}
}

// TestWebhookSecretInQueryRejected checks that the secret is never taken
// from the query string.
func TestWebhookSecretInQueryRejected(t *testing.T) {
	b := setup(t)
	for _, q := range []string{"secret", "token", "password", "key", "auth"} {
		req := httptest.NewRequest(http.MethodPost, "/webhook?"+q+"="+testSecret, strings.NewReader(documentedPayload))
		if rec := b.serve(req); rec.Code != http.StatusUnauthorized {
			t.Errorf("?%s=<secret>: status = %d, want 401", q, rec.Code)
		}
	}
	if n := len(b.store.calls()); n != 0 {
		t.Errorf("Enqueue called %d times", n)
	}
}

// TestWebhookPanicRecovered checks that a panic below the handler answers a
// generic 500 and is logged with the request ID.
func TestWebhookPanicRecovered(t *testing.T) {
	b := setup(t)
	b.store.EnqueueFunc = func(context.Context, triage.Delivery) (triage.Enqueued, error) {
		panic("boom: " + storeErrText)
	}
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(documentedPayload))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	rec := b.serve(req)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	assertJSONEqual(t, "response body", rec.Body.Bytes(), []byte(`{"error":{"code":"internal","message":"internal error"}}`))
	if !strings.Contains(b.logs.String(), storeErrText) {
		t.Errorf("the panic was not logged:\n%s", b.logs)
	}
	assertDeliveryLogged(t, b, rec)
}

func basicAuth(user, pass string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// documentedPayload is the payload of Panther's documentation.
const documentedPayload = `{"id":"AllLogs.IPMonitoring","createdAt":"2020-10-13T03:35:24Z","severity":"INFO","type":"RULE",
 "link":"https://runpanther.io/alerts/b90c19e66e160e194a5b3b94ec27fb7c",
 "title":"New Alert: Suspicious traffic detected from [123.123.123.123]","name":"Monitor Suspicious IPs",
 "alertId":"b90c19e66e160e194a5b3b94ec27fb7c",
 "description":"This rule alerts on any activity outside of our IP address whitelist","runbook":"",
 "tags":["Network Monitoring","Threat Intel"],"version":"CJm9PiaXV0q8U0JhoFmE6L21ou7e5Ek0"}`

// TestWebhookBodyTimeoutIs408 checks that a body which stops arriving
// before the server's read deadline is answered 408, which Panther may
// retry, and nothing is enqueued.
func TestWebhookBodyTimeoutIs408(t *testing.T) {
	b := setup(t)
	srv := httptest.NewUnstartedServer(b.handler)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := documentedPayload[:len(documentedPayload)/2]
	fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		testSecret, len(documentedPayload), half)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status = %d, want 408; body %s", resp.StatusCode, body)
	}
	if n := len(b.store.calls()); n != 0 {
		t.Errorf("Enqueue called %d times", n)
	}
}

// TestWebhookLogLinesBounded posts a 500 KB alertId and title (refused,
// 422), then meets a store failure that quotes 1 MB of input (503), and
// checks that no log line grows with them.
func TestWebhookLogLinesBounded(t *testing.T) {
	b := setup(t)
	huge := strings.Repeat("A", 500_000)
	body := strings.Replace(documentedPayload, `"alertId":"b90c19e66e160e194a5b3b94ec27fb7c"`, `"alertId":"`+huge+`"`, 1)
	body = strings.Replace(body, `"title":"New Alert`, `"title":"`+huge, 1)
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	if rec := b.serve(req); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422", rec.Code)
	}
	// A store failure whose text quotes what it was given (as PostgreSQL's
	// errors can) is logged cut too.
	b.store.EnqueueFunc = func(context.Context, triage.Delivery) (triage.Enqueued, error) {
		return triage.Enqueued{}, errors.New("store: enqueue: value too long: " + huge + huge)
	}
	req = httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(documentedPayload))
	req.Header.Set("Authorization", "Bearer "+testSecret)
	if rec := b.serve(req); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	for _, line := range strings.Split(b.logs.String(), "\n") {
		if len(line) > 2048 {
			t.Errorf("a log line of %d bytes: %.200s…", len(line), line)
		}
	}
}
