package enrich

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/triage"
)

// VirusTotal limits: the public API allows 4 requests a minute and 500 a
// day.
var virusTotalLimits = []Limit{{Requests: 4, Per: time.Minute}, {Requests: 500, Per: 24 * time.Hour}}

// VirusTotal returns the provider that reads VirusTotal's last analysis of
// an IP address, a domain or a file hash (GET /api/v3/ip_addresses/{ip},
// /domains/{domain}, /files/{hash}, the key in the x-apikey header). Three
// or more engines calling it malicious weighs malicious; one or two,
// suspicious.
func VirusTotal(key string, opts Options) Provider {
	return &virusTotal{c: newClient("virustotal", "https://www.virustotal.com", "x-apikey", key, virusTotalLimits, opts)}
}

type virusTotal struct{ c *client }

func (p *virusTotal) Name() string { return p.c.name }

func (p *virusTotal) Supports(kind string) bool {
	_, _, ok := virusTotalPaths(kind)
	return ok
}

// virusTotalPaths are the API's collection and the web page's path for a
// kind of indicator.
func virusTotalPaths(kind string) (api, gui string, ok bool) {
	switch kind {
	case investigate.KindIP:
		return "ip_addresses", "ip-address", true
	case investigate.KindDomain:
		return "domains", "domain", true
	case investigate.KindMD5, investigate.KindSHA1, investigate.KindSHA256:
		return "files", "file", true
	}
	return "", "", false
}

// virusTotalObject is the part of an IP, domain or file object read here.
type virusTotalObject struct {
	Data struct {
		Attributes struct {
			LastAnalysisStats struct {
				Malicious  int `json:"malicious"`
				Suspicious int `json:"suspicious"`
				Harmless   int `json:"harmless"`
				Undetected int `json:"undetected"`
			} `json:"last_analysis_stats"`
		} `json:"attributes"`
	} `json:"data"`
}

func (p *virusTotal) Lookup(ctx context.Context, kind, value string) (Result, error) {
	api, gui, ok := virusTotalPaths(kind)
	if !ok {
		return Result{}, nil
	}
	r := Result{Weight: triage.WeightInfo, URL: "https://www.virustotal.com/gui/" + gui + "/" + url.PathEscape(value)}
	var o virusTotalObject
	err := p.c.get(ctx, "/api/v3/"+api+"/"+url.PathEscape(value), nil, &o)
	switch {
	case errors.Is(err, errNotFound):
		r.NotFound, r.Title = true, fmt.Sprintf("VirusTotal has no report on %s", value)
		return r, nil
	case err != nil:
		return Result{}, fmt.Errorf("virustotal: look up %s: %w", value, err)
	}
	s := o.Data.Attributes.LastAnalysisStats
	total := s.Malicious + s.Suspicious + s.Harmless + s.Undetected
	also := ""
	if s.Suspicious > 0 {
		also = fmt.Sprintf(", %d as suspicious", s.Suspicious)
	}
	switch {
	case total == 0:
		r.NotFound, r.Title = true, fmt.Sprintf("VirusTotal has no analysis of %s", value)
	case s.Malicious == 0:
		r.Title = fmt.Sprintf("VirusTotal: no engine flags %s as malicious (%d harmless, %d undetected%s)", value, s.Harmless, s.Undetected, also)
	default:
		r.Weight = triage.WeightSuspicious
		if s.Malicious >= 3 {
			r.Weight = triage.WeightMalicious
		}
		r.Title = fmt.Sprintf("VirusTotal: %d of %d engines flag %s as malicious%s", s.Malicious, total, value, also)
	}
	return r, nil
}
