package investigate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// Enrichment returns the step that tells what is known about the alert's
// indicators: first what Panther's own enrichment put on the events
// (p_enrichment: Tor exit nodes, IPinfo location, ASN and privacy flags,
// GreyNoise noise and RIOT), then the team's context file (known networks,
// service accounts, VIP users, known-bad addresses and domains), then the
// optional reputation providers, each asked about at most 3 of the top
// public IPs, domains and hashes. lists may be nil.
func Enrichment(lists *Lists, providers ...Provider) Step {
	return enrichmentStep{lists: lists, providers: providers}
}

type enrichmentStep struct {
	lists     *Lists
	providers []Provider
}

func (enrichmentStep) Name() string    { return triage.StepEnrichment }
func (enrichmentStep) After() []string { return []string{triage.StepIndicators} }

// enrichmentHit is one enrichment table's row for one matched field value,
// gathered over all events.
type enrichmentHit struct {
	table, field string
	value        string // the indicator the row was matched on
	row          map[string]any
	rowIDs       []string
}

func (s enrichmentStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	hits := collectEnrichment(c.Events)
	var out []triage.Finding
	for _, h := range hits {
		if f, ok := enrichmentFinding(h); ok {
			for _, r := range h.rowIDs {
				f.Evidence = append(f.Evidence, triage.Evidence{Kind: "event", Ref: r})
			}
			out = append(out, f)
		}
	}
	if s.lists != nil {
		for _, ind := range c.Indicators {
			if f, ok := s.lists.check(ind); ok {
				for _, r := range ind.RowIDs {
					f.Evidence = append(f.Evidence, triage.Evidence{Kind: "event", Ref: r})
				}
				out = append(out, f)
			}
		}
	}
	looked, failed := lookUp(ctx, s.providers, c.Indicators)
	out = dedupeFindings(append(out, looked...))
	return append(out, notChecked(failed, len(out) > 0)...), nil
}

// collectEnrichment gathers p_enrichment rows, one per table, matched field
// and value, in a stable order.
func collectEnrichment(events []panther.Event) []*enrichmentHit {
	byKey := map[string]*enrichmentHit{}
	for _, ev := range events {
		enr, _ := ev["p_enrichment"].(map[string]any)
		rowID, _ := ev["p_row_id"].(string)
		for table, v := range enr {
			fields, _ := v.(map[string]any)
			for field, r := range fields {
				row, ok := r.(map[string]any)
				if !ok {
					continue
				}
				value := indicatorOf(table, field, row, ev)
				key := table + "\x00" + field + "\x00" + value
				h := byKey[key]
				if h == nil {
					if len(byKey) >= maxIndicators {
						continue
					}
					h = &enrichmentHit{table: table, field: field, value: value, row: row}
					byKey[key] = h
				}
				if rowID != "" && len(h.rowIDs) < maxRefs && !slices.Contains(h.rowIDs, rowID) {
					h.rowIDs = append(h.rowIDs, rowID)
				}
			}
		}
	}
	out := make([]*enrichmentHit, 0, len(byKey))
	for _, h := range byKey {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b *enrichmentHit) int {
		return cmp.Or(cmp.Compare(a.table, b.table), cmp.Compare(a.field, b.field), cmp.Compare(fmt.Sprint(a.row), fmt.Sprint(b.row)))
	})
	return out
}

// indicatorOf is the value an enrichment row was matched on: the row's own
// ip, or the event's value at the matched field.
func indicatorOf(table, field string, row map[string]any, ev panther.Event) string {
	if ip, ok := row["ip"].(string); ok && ip != "" {
		return ip
	}
	var v any = map[string]any(ev)
	for _, part := range strings.Split(field, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[part]
	}
	s, _ := v.(string)
	return s
}

// torLogOdds is what a Tor exit address weighs: counted once however many
// sources say so, and not enough alone to call an alert malicious.
const torLogOdds = 1.8

// enrichmentFinding turns one enrichment row into a finding.
func enrichmentFinding(h *enrichmentHit) (triage.Finding, bool) {
	str := func(k string) string { s, _ := h.row[k].(string); return s }
	truthy := func(k string) bool { b, _ := h.row[k].(bool); return b }
	f := triage.Finding{Step: triage.StepEnrichment, Kind: h.table}
	subject := cmp.Or(str("ip"), h.value, h.field)
	switch {
	case strings.Contains(h.table, "tor_exit"):
		f.Weight, f.Title = triage.WeightSuspicious, fmt.Sprintf("%s is a Tor exit node (Panther enrichment)", subject)
		f.LogOdds, f.Fact = torLogOdds, "tor "+subject
	case strings.Contains(h.table, "greynoise") && str("classification") == "malicious":
		f.Weight, f.Title = triage.WeightMalicious, fmt.Sprintf("GreyNoise classifies %s as malicious", subject)
	case strings.Contains(h.table, "greynoise") && (truthy("riot") || h.table == "greynoise_riot"):
		f.Weight, f.Title = triage.WeightBenign, fmt.Sprintf("GreyNoise RIOT: %s belongs to a known business service (%s)", subject, cmp.Or(str("name"), "unnamed"))
	case strings.Contains(h.table, "greynoise") && str("classification") == "benign":
		f.Weight, f.Title = triage.WeightBenign, fmt.Sprintf("GreyNoise classifies %s as benign (%s)", subject, cmp.Or(str("name"), "unnamed"))
	case strings.Contains(h.table, "ipinfo_privacy"):
		// Hosting alone is context: cloud and CI traffic carries it every day.
		var flags []string
		for _, k := range []string{"vpn", "proxy", "tor", "relay"} {
			if truthy(k) {
				flags = append(flags, k)
			}
		}
		switch {
		case slices.Contains(flags, "tor"):
			f.Weight, f.LogOdds, f.Fact = triage.WeightSuspicious, torLogOdds, "tor "+subject
		case len(flags) > 0:
			f.Weight = triage.WeightSuspicious
		case truthy("hosting"):
			f.Weight, f.Title = triage.WeightInfo, fmt.Sprintf("%s (%s) is a hosting provider's address (IPinfo)", subject, h.field)
			return f, true
		default:
			return triage.Finding{}, false
		}
		f.Title = fmt.Sprintf("%s (%s) is an anonymising service: %s (IPinfo)", subject, h.field, strings.Join(flags, ", "))
	case strings.Contains(h.table, "ipinfo_location"):
		place := strings.Join(slices.DeleteFunc([]string{str("city"), str("region"), str("country")}, func(s string) bool { return s == "" }), ", ")
		if place == "" {
			return triage.Finding{}, false
		}
		f.Weight, f.Title = triage.WeightInfo, fmt.Sprintf("%s located in %s (IPinfo)", h.field, place)
	case strings.Contains(h.table, "ipinfo_asn"):
		if str("asn") == "" {
			return triage.Finding{}, false
		}
		f.Weight, f.Title = triage.WeightInfo, fmt.Sprintf("%s on %s %s, a %s network (IPinfo)", h.field, str("asn"), str("name"), cmp.Or(str("type"), "unknown"))
	default:
		return triage.Finding{}, false
	}
	return f, true
}

// dedupeFindings drops findings whose title repeats, merging their evidence.
func dedupeFindings(fs []triage.Finding) []triage.Finding {
	var out []triage.Finding
	for _, f := range fs {
		i := slices.IndexFunc(out, func(o triage.Finding) bool { return o.Title == f.Title })
		if i < 0 {
			out = append(out, f)
			continue
		}
		for _, e := range f.Evidence {
			if len(out[i].Evidence) < maxRefs && !slices.Contains(out[i].Evidence, e) {
				out[i].Evidence = append(out[i].Evidence, e)
			}
		}
	}
	return out
}
