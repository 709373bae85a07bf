package enrich

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// clock is a fake clock: Sleep moves it on at once, so that tests of
// minute and day limits run in milliseconds.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 3, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.Advance(d)
	return ctx.Err()
}

// fakeAPI is one provider's API: it checks the key header, answers from
// answer, and records when (on the fake clock) each request came.
type fakeAPI struct {
	t              *testing.T
	clock          *clock
	keyHeader, key string
	srv            *httptest.Server

	mu      sync.Mutex
	sent    []time.Time
	reqs    []*http.Request
	answer  func(r *http.Request) (status int, body any)
	next    []int  // statuses to answer before answer is asked, first first
	retryAt string // Retry-After sent with a 429 from next
}

func newFakeAPI(t *testing.T, c *clock, keyHeader, key string, answer func(r *http.Request) (int, any)) *fakeAPI {
	f := &fakeAPI{t: t, clock: c, keyHeader: keyHeader, key: key, answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.sent = append(f.sent, f.clock.Now())
	f.reqs = append(f.reqs, r)
	var status int
	if len(f.next) > 0 {
		status, f.next = f.next[0], f.next[1:]
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get(f.keyHeader) != f.key {
		// Some APIs echo what they were sent; the key must still not leak.
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"detail": "bad key " + r.Header.Get(f.keyHeader)}}})
		return
	}
	switch status {
	case 0:
	case http.StatusTooManyRequests:
		if f.retryAt != "" {
			w.Header().Set("Retry-After", f.retryAt)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error": {"code": "QuotaExceededError", "message": "Quota exceeded"}}`))
		return
	default:
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"message": "key ` + f.key + ` had a problem"}`))
		return
	}
	status, body := f.answer(r)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// count is how many requests reached the API.
func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// maxIn is the most requests the API saw in any span of d.
func (f *fakeAPI) maxIn(d time.Duration) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	most := 0
	for i, t := range f.sent {
		n := 0
		for _, u := range f.sent[:i+1] {
			if t.Sub(u) < d {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func (f *fakeAPI) options() Options {
	return Options{BaseURL: f.srv.URL, Now: f.clock.Now, Sleep: f.clock.Sleep, MaxWait: -1}
}

// observer counts what a cache tells it.
type observer struct {
	mu    sync.Mutex
	calls map[string]int // provider/outcome
	hits  map[string]int
}

func newObserver() *observer { return &observer{calls: map[string]int{}, hits: map[string]int{}} }

func (o *observer) EnrichmentCall(provider, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls[provider+"/"+outcome]++
}

func (o *observer) EnrichmentCacheHit(provider string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.hits[provider]++
}

// Answers shaped like the providers' documentation.

func abuseIPDBAnswer(score, reports int, whitelisted, tor bool) map[string]any {
	return map[string]any{"data": map[string]any{
		"ipAddress": "118.25.6.39", "isPublic": true, "ipVersion": 4, "isWhitelisted": whitelisted,
		"abuseConfidenceScore": score, "countryCode": "CN", "usageType": "Data Center/Web Hosting/Transit",
		"isp": "Tencent Cloud Computing (Beijing) Co. Ltd", "domain": "tencent.com", "hostnames": []any{},
		"isTor": tor, "totalReports": reports, "numDistinctUsers": reports, "lastReportedAt": "2025-06-01T20:55:14+00:00",
	}}
}

func greyNoiseAnswer(ip string, noise, riot bool, class, name string) map[string]any {
	return map[string]any{"ip": ip, "noise": noise, "riot": riot, "classification": class, "name": name,
		"link": "https://viz.greynoise.io/ip/" + ip, "last_seen": "2025-06-02", "message": "Success"}
}

var greyNoiseNotFound = map[string]any{"ip": "203.0.113.9", "noise": false, "riot": false,
	"message": "IP not observed scanning the internet or contained in RIOT data set."}

func virusTotalAnswer(typ, id string, malicious, suspicious int) map[string]any {
	return map[string]any{"data": map[string]any{"id": id, "type": typ, "links": map[string]any{"self": "https://www.virustotal.com/api/v3/" + typ + "/" + id},
		"attributes": map[string]any{
			"last_analysis_stats": map[string]any{"harmless": 60, "malicious": malicious, "suspicious": suspicious, "undetected": 25, "timeout": 0},
			"reputation":          -5,
		}}}
}

var virusTotalNotFound = map[string]any{"error": map[string]any{"code": "NotFoundError", "message": "Resource not found"}}
