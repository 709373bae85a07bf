package enrich

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/triage"
)

// GreyNoise Community limits: GreyNoise publishes no exact figure for the
// free Community API, only that it is low-volume and answers 429 past its
// quota; 50 lookups a day keeps well inside what community users report.
// A 429's Retry-After still governs.
var greyNoiseLimits = []Limit{{Requests: 50, Per: 24 * time.Hour}}

// GreyNoise returns the provider that asks the GreyNoise Community API
// (GET /v3/community/{ip}, the key in the key header) whether an IPv4
// address scans the internet or belongs to a known business service
// (RIOT). Classified malicious weighs malicious; RIOT or classified benign
// weighs benign. IPv6 addresses are not asked: the Community API takes
// IPv4 only.
func GreyNoise(key string, opts Options) Provider {
	return &greyNoise{c: newClient("greynoise", "https://api.greynoise.io", "key", key, greyNoiseLimits, opts)}
}

type greyNoise struct{ c *client }

func (p *greyNoise) Name() string              { return p.c.name }
func (p *greyNoise) Supports(kind string) bool { return kind == investigate.KindIP }

// greyNoiseCommunity is the Community API's answer.
type greyNoiseCommunity struct {
	Noise          bool   `json:"noise"`
	RIOT           bool   `json:"riot"`
	Classification string `json:"classification"`
	Name           string `json:"name"`
	Link           string `json:"link"`
}

func (p *greyNoise) Lookup(ctx context.Context, kind, ip string) (Result, error) {
	if a, err := netip.ParseAddr(ip); kind != investigate.KindIP || err != nil || !a.Unmap().Is4() {
		return Result{}, nil
	}
	var g greyNoiseCommunity
	err := p.c.get(ctx, "/v3/community/"+url.PathEscape(ip), nil, &g)
	if err != nil && !errors.Is(err, errNotFound) {
		return Result{}, fmt.Errorf("greynoise: look up %s: %w", ip, err)
	}
	r := Result{Weight: triage.WeightInfo, URL: cmp.Or(g.Link, "https://viz.greynoise.io/ip/"+url.PathEscape(ip))}
	name := cmp.Or(g.Name, "unnamed")
	// The titles match those of Panther's own GreyNoise enrichment, so that
	// the two say one thing once.
	switch {
	case errors.Is(err, errNotFound) || (!g.Noise && !g.RIOT):
		r.NotFound = true
		r.Title = fmt.Sprintf("GreyNoise has not seen %s scanning the internet, nor among known business services", ip)
	case g.Classification == "malicious":
		r.Weight, r.Title = triage.WeightMalicious, fmt.Sprintf("GreyNoise classifies %s as malicious", ip)
	case g.RIOT:
		r.Weight, r.Title = triage.WeightBenign, fmt.Sprintf("GreyNoise RIOT: %s belongs to a known business service (%s)", ip, name)
	case g.Classification == "benign":
		r.Weight, r.Title = triage.WeightBenign, fmt.Sprintf("GreyNoise classifies %s as benign (%s)", ip, name)
	default:
		r.Title = fmt.Sprintf("GreyNoise has seen %s scanning the internet, intent unknown", ip)
	}
	return r, nil
}
