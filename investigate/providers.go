package investigate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// A Provider looks indicators up in an outside reputation service
// (AbuseIPDB, GreyNoise, VirusTotal: package enrich has them). The
// enrichment step declares what it needs here; the providers, their rate
// limits and their cache live outside this package. Lookup must honour ctx
// and be safe for concurrent use.
type Provider interface {
	// Name is a short stable identifier, e.g. "abuseipdb".
	Name() string
	// Supports says whether the provider knows indicators of this kind
	// (KindIP, KindDomain, KindMD5, …).
	Supports(kind string) bool
	// Lookup tells what the provider knows of one indicator. An error
	// with a Retry-After (panther.RetryAfter) means the provider was not
	// asked: its rate limit is used up.
	Lookup(ctx context.Context, kind, value string) (Reputation, error)
}

// Reputation is what a provider said about one indicator.
type Reputation struct {
	// Weight is how the answer weighs on the verdict; WeightInfo when it
	// points neither way.
	Weight triage.Weight `json:"weight"`
	// Title is one line for people, naming the provider and the indicator.
	// An empty Title says nothing and is left out of the findings.
	Title string `json:"title"`
	// URL is the provider's page on the indicator, for an analyst to open.
	URL string `json:"url,omitempty"`
	// NotFound is true when the provider has no record of the indicator.
	NotFound bool `json:"notFound,omitempty"`
}

// maxLookups bounds the lookups of each provider in one investigation.
const maxLookups = 3

// providerLookup is one provider asked about one indicator.
type providerLookup struct {
	p   Provider
	ind Indicator
	rep Reputation
	err error
}

// lookUp asks each provider about the top public IPs, domains and hashes
// it supports, at most maxLookups each, all at once. It returns the
// findings and the lookups that could not be made.
func lookUp(ctx context.Context, providers []Provider, inds []Indicator) (found []triage.Finding, failed []providerLookup) {
	var lookups []*providerLookup
	for _, p := range providers {
		n := 0
		for _, ind := range inds {
			if n == maxLookups {
				break
			}
			if lookupWorthy(ind) && p.Supports(ind.Kind) {
				lookups = append(lookups, &providerLookup{p: p, ind: ind})
				n++
			}
		}
	}
	var wg sync.WaitGroup
	for _, l := range lookups {
		wg.Go(func() { l.rep, l.err = l.p.Lookup(ctx, l.ind.Kind, l.ind.Value) })
	}
	wg.Wait()
	for _, l := range lookups {
		switch {
		case l.err != nil:
			failed = append(failed, *l)
		case l.rep.Title != "":
			f := triage.Finding{Step: triage.StepEnrichment, Kind: l.p.Name(), Title: l.rep.Title, Weight: l.rep.Weight}
			if f.Weight == "" {
				f.Weight = triage.WeightInfo
			}
			if l.rep.URL != "" {
				f.Evidence = append(f.Evidence, triage.Evidence{Kind: "link", Ref: l.rep.URL})
			}
			for _, r := range l.ind.RowIDs[:min(len(l.ind.RowIDs), maxRefs-1)] {
				f.Evidence = append(f.Evidence, triage.Evidence{Kind: "event", Ref: r})
			}
			found = append(found, f)
		}
	}
	return found, failed
}

// lookupWorthy says whether an indicator is worth asking a provider about:
// public IPs, domains and file hashes. Private addresses, users and cloud
// identifiers mean nothing to a reputation service.
func lookupWorthy(ind Indicator) bool {
	switch ind.Kind {
	case KindIP:
		return ind.Class == IPPublic
	case KindDomain, KindMD5, KindSHA1, KindSHA256:
		return true
	}
	return false
}

// notChecked turns failed lookups into one finding per provider and reason:
// missing evidence when the step learned nothing else, context otherwise,
// so that a provider's quota running out does not hold back a verdict the
// other evidence supports.
func notChecked(failed []providerLookup, learned bool) []triage.Finding {
	type group struct {
		provider, reason, detail string
		values                   []string
	}
	var groups []*group
	for _, l := range failed {
		reason, detail := "the lookup failed", l.err.Error()
		switch {
		case isRateLimited(l.err):
			reason, detail = "rate limited", ""
		case errors.Is(l.err, context.DeadlineExceeded):
			reason, detail = "timed out", ""
		}
		i := slices.IndexFunc(groups, func(g *group) bool { return g.provider == l.p.Name() && g.reason == reason })
		if i < 0 {
			groups = append(groups, &group{provider: l.p.Name(), reason: reason, detail: detail})
			i = len(groups) - 1
		}
		groups[i].values = append(groups[i].values, l.ind.Value)
	}
	weight := triage.WeightMissing
	if learned {
		weight = triage.WeightInfo
	}
	out := make([]triage.Finding, 0, len(groups))
	for _, g := range groups {
		out = append(out, triage.Finding{Step: triage.StepEnrichment, Kind: "not_checked", Weight: weight, Detail: g.detail,
			Title: fmt.Sprintf("%s: %s not checked: %s", g.provider, strings.Join(g.values, ", "), g.reason)})
	}
	return out
}

// isRateLimited reports whether err says the provider was not asked
// because of its rate limit: the one notion of "rate limited", an error
// with a Retry-After.
func isRateLimited(err error) bool {
	_, ok := panther.RetryAfter(err)
	return ok
}
