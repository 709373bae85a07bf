package enrich

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// TestCacheSharedAcrossInvestigations runs the enrichment step for two
// alerts that share an address: each provider is asked once, the second
// investigation is answered from the cache with the same findings.
func TestCacheSharedAcrossInvestigations(t *testing.T) {
	c := newClock()
	abuse := newFakeAPI(t, c, "Key", testKey, func(*http.Request) (int, any) { return 200, abuseIPDBAnswer(90, 40, false, false) })
	grey := newFakeAPI(t, c, "key", testKey, func(r *http.Request) (int, any) {
		return 200, greyNoiseAnswer(strings.TrimPrefix(r.URL.Path, "/v3/community/"), true, false, "malicious", "")
	})
	vt := newFakeAPI(t, c, "x-apikey", testKey, func(*http.Request) (int, any) { return 200, virusTotalAnswer("ip_addresses", "45.155.205.7", 5, 0) })
	obs := newObserver()
	providers := []Provider{
		Cached(AbuseIPDB(testKey, abuse.options()), 24*time.Hour, 100, obs),
		Cached(GreyNoise(testKey, grey.options()), 24*time.Hour, 100, obs),
		Cached(VirusTotal(testKey, vt.options()), 24*time.Hour, 100, obs),
	}
	step := investigate.Enrichment(nil, providers...)
	var runs [2][]triage.Finding
	for i, row := range []string{"row-a", "row-b"} {
		fs, err := step.Run(t.Context(), &investigate.Case{Alert: &panther.Alert{}, Indicators: []investigate.Indicator{
			{Kind: investigate.KindIP, Value: "45.155.205.7", Class: investigate.IPPublic, RowIDs: []string{row}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = fs
	}
	for name, f := range map[string]*fakeAPI{"abuseipdb": abuse, "greynoise": grey, "virustotal": vt} {
		if f.count() != 1 {
			t.Errorf("%s asked %d times over two investigations; want 1", name, f.count())
		}
		if obs.calls[name+"/ok"] != 1 || obs.hits[name] != 1 {
			t.Errorf("%s: observed calls %v, hits %v; want 1 ok call and 1 hit", name, obs.calls, obs.hits)
		}
	}
	if len(runs[0]) != 3 || len(runs[1]) != 3 {
		t.Fatalf("findings %+v / %+v; want one per provider in each", runs[0], runs[1])
	}
	for i := range runs[0] {
		a, b := runs[0][i], runs[1][i]
		if a.Title != b.Title || a.Weight != triage.WeightMalicious || a.Evidence[0].Kind != "link" || !strings.HasPrefix(a.Evidence[0].Ref, "https://") {
			t.Errorf("finding %+v then %+v; want the same malicious finding with a link first", a, b)
		}
		if b.Evidence[len(b.Evidence)-1].Ref != "row-b" {
			t.Errorf("second investigation's finding cites %+v; want its own event", b.Evidence)
		}
	}
}

// countingProvider answers every lookup after release is closed (when
// set) and counts them.
type countingProvider struct {
	calls   atomic.Int32
	release chan struct{}
	err     error
}

func (p *countingProvider) Name() string         { return "counting" }
func (p *countingProvider) Supports(string) bool { return true }
func (p *countingProvider) Lookup(ctx context.Context, kind, value string) (Result, error) {
	p.calls.Add(1)
	if p.release != nil {
		<-p.release
	}
	if p.err != nil {
		return Result{}, p.err
	}
	return Result{Weight: triage.WeightInfo, Title: "seen " + value}, nil
}

func TestCacheExpiresAndIsBounded(t *testing.T) {
	c := newClock()
	p := &countingProvider{}
	cp := Cached(p, time.Hour, 2, nil)
	cp.(*cache).now = c.Now
	look := func(v string) {
		t.Helper()
		if _, err := cp.Lookup(t.Context(), "ip", v); err != nil {
			t.Fatal(err)
		}
	}
	look("1.1.1.1")
	look("1.1.1.1")
	if p.calls.Load() != 1 {
		t.Fatalf("%d calls; want 1", p.calls.Load())
	}
	c.Advance(time.Hour)
	look("1.1.1.1")
	if p.calls.Load() != 2 {
		t.Fatalf("after the TTL: %d calls; want 2", p.calls.Load())
	}
	// Size 2: a third value evicts the least recently used.
	look("2.2.2.2")
	look("1.1.1.1") // 1.1.1.1 now most recent
	look("3.3.3.3") // evicts 2.2.2.2
	look("1.1.1.1")
	if p.calls.Load() != 4 {
		t.Fatalf("%d calls; want 4 (1.1.1.1 stayed)", p.calls.Load())
	}
	look("2.2.2.2")
	if p.calls.Load() != 5 {
		t.Fatalf("%d calls; want 5 (2.2.2.2 was evicted)", p.calls.Load())
	}
	if n := cp.(*cache).lru.Len(); n != 2 {
		t.Fatalf("cache holds %d; want 2", n)
	}
}

func TestCacheOneRequestForConcurrentLookups(t *testing.T) {
	p := &countingProvider{release: make(chan struct{})}
	obs := newObserver()
	cp := Cached(p, time.Hour, 10, obs)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if r, err := cp.Lookup(t.Context(), "ip", "45.1.1.1"); err != nil || r.Title != "seen 45.1.1.1" {
				t.Errorf("lookup: %+v, %v", r, err)
			}
		})
	}
	for p.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others queue behind the first
	close(p.release)
	wg.Wait()
	if p.calls.Load() != 1 || obs.hits["counting"] != 7 {
		t.Fatalf("%d calls, %d hits; want 1 and 7", p.calls.Load(), obs.hits["counting"])
	}
}

func TestCacheKeepsNoErrors(t *testing.T) {
	p := &countingProvider{err: &RateLimitError{Provider: "counting", Until: time.Now().Add(time.Minute)}}
	obs := newObserver()
	cp := Cached(p, time.Hour, 10, obs)
	for range 2 {
		if _, err := cp.Lookup(t.Context(), "ip", "45.1.1.1"); !isLimited(err) {
			t.Fatalf("err = %v; want rate limited", err)
		}
	}
	p.err = errors.New("boom")
	_, _ = cp.Lookup(t.Context(), "ip", "45.1.1.1")
	if p.calls.Load() != 3 || obs.calls["counting/rate_limited"] != 2 || obs.calls["counting/error"] != 1 {
		t.Fatalf("%d calls, observed %v; want 3 calls: 2 rate_limited, 1 error", p.calls.Load(), obs.calls)
	}
}
