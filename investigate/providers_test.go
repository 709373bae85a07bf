package investigate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// fakeProvider is a Provider of function fields; it records what it was
// asked.
type fakeProvider struct {
	name   string
	kinds  []string
	lookup func(kind, value string) (Reputation, error)

	mu    sync.Mutex
	asked []string
}

var _ Provider = (*fakeProvider)(nil)

func (p *fakeProvider) Name() string              { return p.name }
func (p *fakeProvider) Supports(kind string) bool { return slices.Contains(p.kinds, kind) }
func (p *fakeProvider) Lookup(_ context.Context, kind, value string) (Reputation, error) {
	p.mu.Lock()
	p.asked = append(p.asked, kind+":"+value)
	p.mu.Unlock()
	return p.lookup(kind, value)
}

func TestEnrichmentAsksProvidersAboutTopPublicIndicators(t *testing.T) {
	answer := func(name string) func(kind, value string) (Reputation, error) {
		return func(kind, value string) (Reputation, error) {
			return Reputation{Weight: triage.WeightInfo, Title: name + " knows " + value, URL: "https://example.test/" + value}, nil
		}
	}
	ipOnly := &fakeProvider{name: "iponly", kinds: []string{KindIP}, lookup: answer("iponly")}
	all := &fakeProvider{name: "all", kinds: []string{KindIP, KindDomain, KindMD5, KindSHA1, KindSHA256, KindEmail, KindUsername}, lookup: answer("all")}
	inds := []Indicator{
		{Kind: KindIP, Value: "10.0.0.5", Class: IPPrivate},
		{Kind: KindUsername, Value: "alice"},
		{Kind: KindIP, Value: "45.155.205.7", Class: IPPublic, RowIDs: []string{"r1", "r2"}},
		{Kind: KindEmail, Value: "alice@acme.io"},
		{Kind: KindIP, Value: "192.0.2.1", Class: IPReserved},
		{Kind: KindDomain, Value: "evil.example"},
		{Kind: KindIP, Value: "8.8.8.8", Class: IPPublic},
		{Kind: KindSHA256, Value: strings.Repeat("a", 64)},
		{Kind: KindIP, Value: "1.1.1.1", Class: IPPublic},
		{Kind: KindIP, Value: "9.9.9.9", Class: IPPublic},
	}
	fs, err := Enrichment(nil, ipOnly, all).Run(t.Context(), &Case{Alert: &panther.Alert{}, Indicators: inds})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ipOnly.asked)
	if got, want := strings.Join(ipOnly.asked, " "), "ip:1.1.1.1 ip:45.155.205.7 ip:8.8.8.8"; got != want {
		t.Errorf("iponly asked %q; want %q: public IPs only, the top 3", got, want)
	}
	slices.Sort(all.asked)
	if got, want := strings.Join(all.asked, " "), "domain:evil.example ip:45.155.205.7 ip:8.8.8.8"; got != want {
		t.Errorf("all asked %q; want %q: no users, emails or private addresses, at most 3", got, want)
	}
	if len(fs) != 6 {
		t.Fatalf("%d findings %+v; want 6", len(fs), fs)
	}
	f := fs[0]
	want := []triage.Evidence{{Kind: "link", Ref: "https://example.test/45.155.205.7"}, {Kind: "event", Ref: "r1"}, {Kind: "event", Ref: "r2"}}
	if f.Step != "enrichment" || f.Kind != "iponly" || f.Title != "iponly knows 45.155.205.7" || !slices.Equal(f.Evidence, want) {
		t.Errorf("finding %+v; want the provider's title, its link and the events", f)
	}
}

func TestEnrichmentNotCheckedIsMissingOnlyWhenNothingElseWasLearned(t *testing.T) {
	limited := &fakeProvider{name: "virustotal", kinds: []string{KindIP}, lookup: func(string, string) (Reputation, error) {
		return Reputation{}, fmt.Errorf("virustotal: look up: %w", limitedError{})
	}}
	broken := &fakeProvider{name: "abuseipdb", kinds: []string{KindIP}, lookup: func(string, string) (Reputation, error) {
		return Reputation{}, errors.New("abuseipdb: check: HTTP 503")
	}}
	silent := &fakeProvider{name: "greynoise", kinds: []string{KindIP}, lookup: func(string, string) (Reputation, error) {
		return Reputation{}, nil // nothing to say: no finding
	}}
	benign := &fakeProvider{name: "greynoise", kinds: []string{KindIP}, lookup: func(_, v string) (Reputation, error) {
		return Reputation{Weight: triage.WeightBenign, Title: "GreyNoise RIOT: " + v + " belongs to a known business service (Google Public DNS)"}, nil
	}}
	inds := []Indicator{{Kind: KindIP, Value: "8.8.8.8", Class: IPPublic}, {Kind: KindIP, Value: "8.8.4.4", Class: IPPublic}}
	titles := func(fs []triage.Finding) string {
		var out []string
		for _, f := range fs {
			out = append(out, string(f.Weight)+": "+f.Title)
		}
		return strings.Join(out, "\n")
	}

	fs, err := Enrichment(nil, limited, broken, silent).Run(t.Context(), &Case{Alert: &panther.Alert{}, Indicators: inds})
	if err != nil {
		t.Fatal(err)
	}
	want := "missing: virustotal: 8.8.8.8, 8.8.4.4 not checked: rate limited\nmissing: abuseipdb: 8.8.8.8, 8.8.4.4 not checked: the lookup failed"
	if titles(fs) != want {
		t.Fatalf("nothing else learned:\n%s\nwant:\n%s", titles(fs), want)
	}
	if fs[1].Detail != "abuseipdb: check: HTTP 503" {
		t.Errorf("detail %q; want the error", fs[1].Detail)
	}
	if v := Decide(fs, Prior{}); v.Label != triage.VerdictInconclusive {
		t.Errorf("verdict %s; want inconclusive", v.Label)
	}

	fs, err = Enrichment(nil, limited, benign).Run(t.Context(), &Case{Alert: &panther.Alert{}, Indicators: inds})
	if err != nil {
		t.Fatal(err)
	}
	want = "benign: GreyNoise RIOT: 8.8.8.8 belongs to a known business service (Google Public DNS)\n" +
		"benign: GreyNoise RIOT: 8.8.4.4 belongs to a known business service (Google Public DNS)\n" +
		"info: virustotal: 8.8.8.8, 8.8.4.4 not checked: rate limited"
	if titles(fs) != want {
		t.Fatalf("another provider answered:\n%s\nwant:\n%s", titles(fs), want)
	}
	if v := Decide(fs, Prior{}); v.Label != triage.VerdictBenign {
		t.Errorf("verdict %s; want benign: the rate limit hides nothing the rest did not settle", v.Label)
	}

	// Panther's own enrichment counts as learned, and a provider saying
	// what it said merges into one finding.
	evs := []panther.Event{{"p_row_id": "r1", "p_enrichment": map[string]any{
		"greynoise_riot": map[string]any{"src": map[string]any{"ip": "8.8.8.8", "name": "Google Public DNS", "riot": true}},
	}}}
	fs, err = Enrichment(nil, limited, benign).Run(t.Context(), &Case{Alert: &panther.Alert{}, Events: evs, Indicators: inds[:1]})
	if err != nil {
		t.Fatal(err)
	}
	want = "benign: GreyNoise RIOT: 8.8.8.8 belongs to a known business service (Google Public DNS)\ninfo: virustotal: 8.8.8.8 not checked: rate limited"
	if titles(fs) != want {
		t.Fatalf("with p_enrichment:\n%s\nwant:\n%s", titles(fs), want)
	}
}

// limitedError is a provider's "not asked: rate limited".
type limitedError struct{}

func (limitedError) Error() string             { return "rate limited" }
func (limitedError) RetryAfter() time.Duration { return time.Minute }
