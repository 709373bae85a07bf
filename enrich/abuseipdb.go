package enrich

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/triage"
)

// AbuseIPDB limits: the free (Individual) plan allows 1,000 checks a day.
var abuseIPDBLimits = []Limit{{Requests: 1000, Per: 24 * time.Hour}}

// AbuseIPDB returns the provider that checks IP addresses against
// AbuseIPDB's reports of the last 90 days (GET /api/v2/check, the key in the
// Key header). Abuse confidence 75% or more weighs malicious, 25% or more
// suspicious; a whitelisted address weighs benign.
func AbuseIPDB(key string, opts Options) Provider {
	return &abuseIPDB{c: newClient("abuseipdb", "https://api.abuseipdb.com", "Key", key, abuseIPDBLimits, opts)}
}

type abuseIPDB struct{ c *client }

func (p *abuseIPDB) Name() string              { return p.c.name }
func (p *abuseIPDB) Supports(kind string) bool { return kind == investigate.KindIP }

// abuseCheck is the part of the check endpoint's answer read here.
type abuseCheck struct {
	Data struct {
		AbuseConfidenceScore int    `json:"abuseConfidenceScore"`
		TotalReports         int    `json:"totalReports"`
		IsTor                bool   `json:"isTor"`
		IsWhitelisted        bool   `json:"isWhitelisted"`
		UsageType            string `json:"usageType"`
		ISP                  string `json:"isp"`
		CountryCode          string `json:"countryCode"`
	} `json:"data"`
}

func (p *abuseIPDB) Lookup(ctx context.Context, kind, ip string) (Result, error) {
	if kind != investigate.KindIP {
		return Result{}, nil
	}
	var a abuseCheck
	q := url.Values{"ipAddress": {ip}, "maxAgeInDays": {"90"}}
	if err := p.c.get(ctx, "/api/v2/check", q, &a); err != nil {
		return Result{}, fmt.Errorf("abuseipdb: check %s: %w", ip, err)
	}
	d := a.Data
	r := Result{Weight: triage.WeightInfo, URL: "https://www.abuseipdb.com/check/" + url.PathEscape(ip)}
	about := joinNonEmpty(d.ISP, d.CountryCode, d.UsageType)
	if d.IsTor {
		about = joinNonEmpty(about, "Tor exit node")
	}
	reports := fmt.Sprintf("%d report(s) in 90 days", d.TotalReports)
	switch {
	case d.AbuseConfidenceScore >= 75:
		r.Weight = triage.WeightMalicious
	case d.AbuseConfidenceScore >= 25:
		r.Weight = triage.WeightSuspicious
	case d.IsWhitelisted:
		r.Weight, r.Title = triage.WeightBenign, fmt.Sprintf("AbuseIPDB lists %s as whitelisted (%s)", ip, joinNonEmpty(reports, about))
		return r, nil
	case d.TotalReports == 0:
		r.Title = fmt.Sprintf("AbuseIPDB has no reports of %s in 90 days (%s)", ip, about)
		r.Title = strings.TrimSuffix(r.Title, " ()")
		return r, nil
	}
	r.Title = fmt.Sprintf("AbuseIPDB rates %s %d%% likely abusive (%s)", ip, d.AbuseConfidenceScore, joinNonEmpty(reports, about))
	return r, nil
}

// joinNonEmpty joins the non-empty parts with ", ".
func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}
