package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

const testKey = "k3y-5e1f0c2b9a8d7e6f"

func TestProvidersReadDocumentedAnswers(t *testing.T) {
	c := newClock()
	abuse := newFakeAPI(t, c, "Key", testKey, func(r *http.Request) (int, any) {
		q := r.URL.Query()
		if r.URL.Path != "/api/v2/check" || q.Get("maxAgeInDays") != "90" || r.Header.Get("Accept") != "application/json" {
			return http.StatusBadRequest, map[string]any{"errors": []any{map[string]any{"detail": "bad request " + r.URL.String()}}}
		}
		switch q.Get("ipAddress") {
		case "118.25.6.39":
			return 200, abuseIPDBAnswer(100, 1234, false, false)
		case "45.1.1.1":
			return 200, abuseIPDBAnswer(40, 12, false, true)
		case "8.8.8.8":
			return 200, abuseIPDBAnswer(0, 3, true, false)
		}
		return 200, abuseIPDBAnswer(0, 0, false, false)
	})
	grey := newFakeAPI(t, c, "key", testKey, func(r *http.Request) (int, any) {
		switch ip := strings.TrimPrefix(r.URL.Path, "/v3/community/"); ip {
		case "45.155.205.7":
			return 200, greyNoiseAnswer(ip, true, false, "malicious", "unknown")
		case "8.8.8.8":
			return 200, greyNoiseAnswer(ip, false, true, "benign", "Google Public DNS")
		case "71.6.135.131":
			return 200, greyNoiseAnswer(ip, true, false, "benign", "Shodan.io")
		case "92.1.1.1":
			return 200, greyNoiseAnswer(ip, true, false, "unknown", "")
		}
		return http.StatusNotFound, greyNoiseNotFound
	})
	vt := newFakeAPI(t, c, "x-apikey", testKey, func(r *http.Request) (int, any) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v3/"), "/")
		if len(parts) != 2 {
			return http.StatusBadRequest, virusTotalNotFound
		}
		switch parts[1] {
		case "45.155.205.7":
			return 200, virusTotalAnswer(parts[0], parts[1], 7, 1)
		case "evil.example":
			return 200, virusTotalAnswer(parts[0], parts[1], 1, 0)
		case "8.8.8.8":
			return 200, virusTotalAnswer(parts[0], parts[1], 0, 0)
		case "44d88612fea8a8f36de82e1278abb02f":
			return 200, virusTotalAnswer(parts[0], parts[1], 60, 2)
		}
		return http.StatusNotFound, virusTotalNotFound
	})
	ab, gn, vtp := AbuseIPDB(testKey, abuse.options()), GreyNoise(testKey, grey.options()), VirusTotal(testKey, vt.options())

	tests := []struct {
		p           Provider
		kind, value string
		weight      triage.Weight
		title, url  string
		notFound    bool
	}{
		{ab, "ip", "118.25.6.39", triage.WeightMalicious, "AbuseIPDB rates 118.25.6.39 100% likely abusive (1234 report(s) in 90 days, Tencent Cloud Computing (Beijing) Co. Ltd, CN, Data Center/Web Hosting/Transit)", "https://www.abuseipdb.com/check/118.25.6.39", false},
		{ab, "ip", "45.1.1.1", triage.WeightSuspicious, "AbuseIPDB rates 45.1.1.1 40% likely abusive (12 report(s) in 90 days, Tencent Cloud Computing (Beijing) Co. Ltd, CN, Data Center/Web Hosting/Transit, Tor exit node)", "", false},
		{ab, "ip", "8.8.8.8", triage.WeightBenign, "AbuseIPDB lists 8.8.8.8 as whitelisted (3 report(s) in 90 days, Tencent Cloud Computing (Beijing) Co. Ltd, CN, Data Center/Web Hosting/Transit)", "", false},
		{ab, "ip", "2001:4860:4860::8888", triage.WeightInfo, "AbuseIPDB has no reports of 2001:4860:4860::8888 in 90 days (Tencent Cloud Computing (Beijing) Co. Ltd, CN, Data Center/Web Hosting/Transit)", "https://www.abuseipdb.com/check/2001:4860:4860::8888", false},
		{gn, "ip", "45.155.205.7", triage.WeightMalicious, "GreyNoise classifies 45.155.205.7 as malicious", "https://viz.greynoise.io/ip/45.155.205.7", false},
		{gn, "ip", "8.8.8.8", triage.WeightBenign, "GreyNoise RIOT: 8.8.8.8 belongs to a known business service (Google Public DNS)", "", false},
		{gn, "ip", "71.6.135.131", triage.WeightBenign, "GreyNoise classifies 71.6.135.131 as benign (Shodan.io)", "", false},
		{gn, "ip", "92.1.1.1", triage.WeightInfo, "GreyNoise has seen 92.1.1.1 scanning the internet, intent unknown", "", false},
		{gn, "ip", "203.0.113.9", triage.WeightInfo, "GreyNoise has not seen 203.0.113.9 scanning the internet, nor among known business services", "https://viz.greynoise.io/ip/203.0.113.9", true},
		{vtp, "ip", "45.155.205.7", triage.WeightMalicious, "VirusTotal: 7 of 93 engines flag 45.155.205.7 as malicious, 1 as suspicious", "https://www.virustotal.com/gui/ip-address/45.155.205.7", false},
		{vtp, "domain", "evil.example", triage.WeightSuspicious, "VirusTotal: 1 of 86 engines flag evil.example as malicious", "https://www.virustotal.com/gui/domain/evil.example", false},
		{vtp, "ip", "8.8.8.8", triage.WeightInfo, "VirusTotal: no engine flags 8.8.8.8 as malicious (60 harmless, 25 undetected)", "", false},
		{vtp, "md5", "44d88612fea8a8f36de82e1278abb02f", triage.WeightMalicious, "VirusTotal: 60 of 147 engines flag 44d88612fea8a8f36de82e1278abb02f as malicious, 2 as suspicious", "https://www.virustotal.com/gui/file/44d88612fea8a8f36de82e1278abb02f", false},
		{vtp, "sha256", strings.Repeat("ab", 32), triage.WeightInfo, "VirusTotal has no report on " + strings.Repeat("ab", 32), "", true},
	}
	for _, tt := range tests {
		c.Advance(time.Minute) // VirusTotal allows 4 a minute
		t.Run(tt.p.Name()+"/"+tt.value, func(t *testing.T) {
			if !tt.p.Supports(tt.kind) {
				t.Fatalf("%s does not support %s", tt.p.Name(), tt.kind)
			}
			r, err := tt.p.Lookup(t.Context(), tt.kind, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if r.Weight != tt.weight || r.Title != tt.title || r.NotFound != tt.notFound {
				t.Errorf("got %q %q notFound=%v\nwant %q %q notFound=%v", r.Weight, r.Title, r.NotFound, tt.weight, tt.title, tt.notFound)
			}
			if tt.url != "" && r.URL != tt.url {
				t.Errorf("url %q; want %q", r.URL, tt.url)
			}
		})
	}
	// Paths the fakes saw: the documented endpoints, the key in its header.
	wantPaths := map[*fakeAPI][]string{
		vt:   {"/api/v3/ip_addresses/45.155.205.7", "/api/v3/domains/evil.example", "/api/v3/files/44d88612fea8a8f36de82e1278abb02f"},
		grey: {"/v3/community/45.155.205.7"},
	}
	for f, paths := range wantPaths {
		var seen []string
		for _, r := range f.reqs {
			seen = append(seen, r.URL.Path)
		}
		for _, p := range paths {
			if !strings.Contains(strings.Join(seen, " "), p) {
				t.Errorf("no request to %s among %v", p, seen)
			}
		}
	}
}

func TestSupportedKinds(t *testing.T) {
	ab, gn, vt := AbuseIPDB("k", Options{}), GreyNoise("k", Options{}), VirusTotal("k", Options{})
	for kind, want := range map[string][3]bool{
		"ip": {true, true, true}, "domain": {false, false, true}, "md5": {false, false, true}, "sha1": {false, false, true},
		"sha256": {false, false, true}, "email": {}, "username": {}, "aws_arn": {},
	} {
		got := [3]bool{ab.Supports(kind), gn.Supports(kind), vt.Supports(kind)}
		if got != want {
			t.Errorf("%s: supported by abuseipdb, greynoise, virustotal = %v; want %v", kind, got, want)
		}
	}
	// The Community API takes IPv4 only: an IPv6 address is not sent.
	c := newClock()
	grey := newFakeAPI(t, c, "key", testKey, func(*http.Request) (int, any) { return 200, greyNoiseNotFound })
	r, err := GreyNoise(testKey, grey.options()).Lookup(t.Context(), "ip", "2001:4860:4860::8888")
	if err != nil || r.Title != "" || grey.count() != 0 {
		t.Fatalf("IPv6 lookup: %+v, %v, %d requests; want nothing said and no request", r, err, grey.count())
	}
}

// TestRateLimitsKeepToTheDocumentedLimits sends more lookups than each
// provider's free tier allows, on a fake clock: no request goes beyond the
// limit, in any window the API could count, and the lookups held back say
// they were rate limited.
func TestRateLimitsKeepToTheDocumentedLimits(t *testing.T) {
	tests := []struct {
		name    string
		new     func(string, Options) Provider
		header  string
		lookups int
		// limits to check: at most n in any span of d.
		limits []Limit
		// sent is how many requests go out when lookups are made at once.
		sent int
	}{
		{"virustotal", VirusTotal, "x-apikey", 10, []Limit{{4, time.Minute}, {500, 24 * time.Hour}}, 4},
		{"abuseipdb", AbuseIPDB, "Key", 1010, []Limit{{1000, 24 * time.Hour}}, 1000},
		{"greynoise", GreyNoise, "key", 60, []Limit{{50, 24 * time.Hour}}, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := newFakeAPI(t, c, tt.header, testKey, func(r *http.Request) (int, any) {
				return 200, map[string]any{"data": map[string]any{}, "noise": true}
			})
			p := tt.new(testKey, f.options()) // MaxWait -1: never wait
			limited := 0
			for i := range tt.lookups {
				_, err := p.Lookup(t.Context(), "ip", fmt.Sprintf("45.%d.%d.1", i/250, i%250))
				switch {
				case isLimited(err):
					limited++
				case err != nil:
					t.Fatal(err)
				}
			}
			if f.count() != tt.sent || limited != tt.lookups-tt.sent {
				t.Fatalf("%d requests sent, %d lookups rate limited; want %d and %d", f.count(), limited, tt.sent, tt.lookups-tt.sent)
			}
			for _, l := range tt.limits {
				if n := f.maxIn(l.Per); n > l.Requests {
					t.Errorf("%d requests within %s; the limit is %d", n, l.Per, l.Requests)
				}
			}
		})
	}
}

// TestRateLimitWaitsWithinMaxWait lets lookups wait for VirusTotal's
// minute window: 4 a minute get through, and the 501st of the day is
// refused without a request, since the day's window is far beyond the
// wait allowed.
func TestRateLimitWaitsWithinMaxWait(t *testing.T) {
	c := newClock()
	start := c.Now()
	f := newFakeAPI(t, c, "x-apikey", testKey, func(r *http.Request) (int, any) {
		return 200, virusTotalAnswer("ip_addresses", "x", 0, 0)
	})
	opts := f.options()
	opts.MaxWait = 2 * time.Minute
	p := VirusTotal(testKey, opts)
	for i := range 500 {
		if _, err := p.Lookup(t.Context(), "ip", fmt.Sprintf("45.%d.%d.1", i/250, i%250)); err != nil {
			t.Fatalf("lookup %d: %v", i, err)
		}
	}
	if took := c.Now().Sub(start); took < 124*time.Minute || took > 125*time.Minute {
		t.Errorf("500 lookups took %s of the fake clock; want about 125 minutes at 4 a minute", took)
	}
	_, err := p.Lookup(t.Context(), "ip", "46.0.0.1")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.Until.Before(start.Add(24*time.Hour)) {
		t.Fatalf("501st lookup of the day: %v; want rate limited until a day after the first", err)
	}
	if f.count() != 500 || f.maxIn(time.Minute) != 4 {
		t.Fatalf("%d requests, at most %d in a minute; want 500 and 4", f.count(), f.maxIn(time.Minute))
	}
	// A lookup whose context ends before the window opens does not wait.
	c2 := newClock()
	f2 := newFakeAPI(t, c2, "x-apikey", testKey, func(r *http.Request) (int, any) { return 200, virusTotalAnswer("ip_addresses", "x", 0, 0) })
	opts = f2.options()
	opts.MaxWait = 2 * time.Minute
	p = VirusTotal(testKey, opts)
	for i := range 4 {
		if _, err := p.Lookup(t.Context(), "ip", fmt.Sprintf("47.0.0.%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := p.Lookup(ctx, "ip", "47.0.0.9"); !isLimited(err) || !c2.Now().Equal(newClock().Now()) {
		t.Fatalf("lookup with 10s left: %v, clock moved %s; want rate limited at once", err, c2.Now().Sub(newClock().Now()))
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	for _, form := range []string{"seconds", "date", "absent"} {
		t.Run(form, func(t *testing.T) {
			c := newClock()
			f := newFakeAPI(t, c, "Key", testKey, func(r *http.Request) (int, any) { return 200, abuseIPDBAnswer(0, 0, false, false) })
			wait := 120 * time.Second
			switch form {
			case "seconds":
				f.retryAt = "120"
			case "date":
				f.retryAt = c.Now().Add(wait).Format(http.TimeFormat)
			case "absent":
				wait = defaultRetryAfter
			}
			f.next = []int{http.StatusTooManyRequests}
			p := Cached(AbuseIPDB(testKey, f.options()), time.Hour, 10, nil)

			_, err := p.Lookup(t.Context(), "ip", "45.1.1.1")
			var rl *RateLimitError
			if !errors.As(err, &rl) || !isLimited(err) || !rl.Until.Equal(c.Now().Add(wait)) {
				t.Fatalf("after a 429: %v; want rate limited until %s", err, c.Now().Add(wait))
			}
			// Until then the provider is skipped: no request, even for another IP.
			c.Advance(wait - time.Second)
			for _, ip := range []string{"45.1.1.1", "45.2.2.2"} {
				if _, err := p.Lookup(t.Context(), "ip", ip); !isLimited(err) {
					t.Fatalf("%s before Retry-After passed: %v; want rate limited", ip, err)
				}
			}
			if f.count() != 1 {
				t.Fatalf("%d requests; want 1: none while Retry-After holds", f.count())
			}
			c.Advance(time.Second)
			if _, err := p.Lookup(t.Context(), "ip", "45.1.1.1"); err != nil || f.count() != 2 {
				t.Fatalf("after Retry-After: %v, %d requests; want the lookup sent (a rate limit is not cached)", err, f.count())
			}
		})
	}
}

func TestKeysNeverInErrors(t *testing.T) {
	c := newClock()
	for _, tt := range []struct {
		name  string
		new   func(string, Options) Provider
		hdr   string
		kind  string
		value string
	}{
		{"abuseipdb", AbuseIPDB, "Key", "ip", "45.1.1.1"},
		{"greynoise", GreyNoise, "key", "ip", "45.1.1.1"},
		{"virustotal", VirusTotal, "x-apikey", "domain", "evil.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The fake knows another key: it answers 401 and echoes the key sent.
			f := newFakeAPI(t, c, tt.hdr, "the-right-key", func(*http.Request) (int, any) { return 200, map[string]any{} })
			check := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "the-right-key") {
					t.Errorf("%s: the key is in the error: %v", what, err)
				}
			}
			_, err := tt.new(testKey, f.options()).Lookup(t.Context(), tt.kind, tt.value)
			check("wrong key", err)
			if !strings.Contains(err.Error(), "401") {
				t.Errorf("wrong key: %v; want the status named", err)
			}
			p := tt.new("the-right-key", f.options())
			f.next = []int{http.StatusInternalServerError, http.StatusTooManyRequests}
			_, err = p.Lookup(t.Context(), tt.kind, tt.value)
			check("500 echoing the key", err)
			_, err = p.Lookup(t.Context(), tt.kind, tt.value)
			check("429", err)
			o := f.options()
			o.BaseURL = "http://127.0.0.1:1"
			_, err = tt.new("the-right-key", o).Lookup(t.Context(), tt.kind, tt.value)
			check("unreachable", err)
		})
	}
}

func TestOffWithoutKey(t *testing.T) {
	names := func(ps []Provider) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name())
		}
		return strings.Join(out, ",")
	}
	for cfg, want := range map[Config]string{
		{}:                                     "",
		{VirusTotalKey: "v"}:                   "virustotal",
		{AbuseIPDBKey: "a", GreyNoiseKey: "g"}: "abuseipdb,greynoise",
		{AbuseIPDBKey: "a", GreyNoiseKey: "g", VirusTotalKey: "v"}: "abuseipdb,greynoise,virustotal",
	} {
		if got := names(New(cfg)); got != want {
			t.Errorf("New(%+v) = %q; want %q", cfg, got, want)
		}
	}
}

// TestRateLimitIsTheOneNotion: a provider's rate limit reads as Panther's
// does, through panther.RetryAfter and panther.Classify.
func TestRateLimitIsTheOneNotion(t *testing.T) {
	err := fmt.Errorf("abuseipdb: %w", &RateLimitError{Provider: "abuseipdb", Until: time.Now().Add(time.Minute)})
	wait, ok := panther.RetryAfter(err)
	if !ok || wait <= 50*time.Second || wait > time.Minute {
		t.Errorf("RetryAfter = %s, %v; want about a minute", wait, ok)
	}
	if c := panther.Classify(err); c != panther.ClassRateLimited {
		t.Errorf("Classify = %s; want %s", c, panther.ClassRateLimited)
	}
}

// isLimited reports whether err says the provider was not asked.
func isLimited(err error) bool {
	_, ok := panther.RetryAfter(err)
	return ok
}
