package investigate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/panther-triage/panther-triage/triage"
)

// Lists are what a team knows about its own environment, read from the
// context file (PANTHER_TRIAGE_CONTEXT_FILE): networks and accounts that
// explain an alert away, people who deserve a closer look, and indicators
// known to be bad.
//
//	known_networks:
//	  - name: Office and VPN egress
//	    cidrs: [198.51.100.0/24, 2001:db8:10::/48]
//	service_accounts: [svc-deploy@acme.io, "arn:aws:iam::123456789012:role/ci-deployer"]
//	vip_users: [cfo@acme.io]
//	known_bad:
//	  cidrs: [45.155.205.0/24]
//	  domains: [evil.example]
type Lists struct {
	KnownNetworks   []Network `yaml:"known_networks"`
	ServiceAccounts []string  `yaml:"service_accounts"`
	VIPUsers        []string  `yaml:"vip_users"`
	KnownBad        struct {
		CIDRs   []string `yaml:"cidrs"`
		Domains []string `yaml:"domains"`
	} `yaml:"known_bad"`

	networks []namedPrefix
	bad      []netip.Prefix
}

// Network is a named set of address ranges.
type Network struct {
	Name  string   `yaml:"name"`
	CIDRs []string `yaml:"cidrs"`
}

type namedPrefix struct {
	name   string
	prefix netip.Prefix
}

// LoadLists reads and checks a context file. Every problem is reported with
// its line.
func LoadLists(path string) (*Lists, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("context file: %w", err)
	}
	return ParseLists(b, path)
}

// ParseLists parses a context file's contents; name labels errors.
func ParseLists(b []byte, name string) (*Lists, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Lists{}, nil
		}
		return nil, fmt.Errorf("context file %s: %w", name, err)
	}
	return ListsFromYAML(&doc, name)
}

// ListsFromYAML reads lists from a YAML node: a context file's document, or
// the context section of the configuration file. Errors name the line.
func ListsFromYAML(n *yaml.Node, name string) (*Lists, error) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if err := checkKeys(n, name, listKeys); err != nil {
		return nil, err
	}
	l := &Lists{}
	if err := n.Decode(l); err != nil {
		return nil, fmt.Errorf("context %s: %w", name, err)
	}
	var errs []error
	prefix := func(s string, line int) (netip.Prefix, bool) {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			return p.Masked(), true
		}
		if a, err := netip.ParseAddr(s); err == nil {
			return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), true
		}
		errs = append(errs, fmt.Errorf("context %s, line %d: %q is not an address or CIDR", name, line, s))
		return netip.Prefix{}, false
	}
	lines := cidrLines(n)
	for i, nw := range l.KnownNetworks {
		for j, c := range nw.CIDRs {
			if p, ok := prefix(c, lines[fmt.Sprintf("known_networks.%d.cidrs.%d", i, j)]); ok {
				l.networks = append(l.networks, namedPrefix{nw.Name, p})
			}
		}
	}
	for j, c := range l.KnownBad.CIDRs {
		if p, ok := prefix(c, lines[fmt.Sprintf("known_bad.cidrs.%d", j)]); ok {
			l.bad = append(l.bad, p)
		}
	}
	l.ServiceAccounts, l.VIPUsers = lowerAll(l.ServiceAccounts), lowerAll(l.VIPUsers)
	l.KnownBad.Domains = lowerAll(l.KnownBad.Domains)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return l, nil
}

// listKeys is the shape of the lists: the keys each mapping may hold ("[]"
// for a list's items).
var listKeys = map[string][]string{
	"":                 {"known_networks", "service_accounts", "vip_users", "known_bad"},
	"known_networks[]": {"name", "cidrs"},
	"known_bad":        {"cidrs", "domains"},
}

// checkKeys reports keys that are not part of the lists, with their lines.
func checkKeys(n *yaml.Node, name string, shape map[string][]string) error {
	var errs []error
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			allowed, checked := shape[path]
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if checked && !slices.Contains(allowed, k.Value) {
					errs = append(errs, fmt.Errorf("context %s, line %d: unknown key %q (want one of %s)", name, k.Line, k.Value, strings.Join(allowed, ", ")))
					continue
				}
				walk(n.Content[i+1], strings.TrimPrefix(path+"."+k.Value, "."))
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path+"[]")
			}
		}
	}
	walk(n, "")
	return errors.Join(errs...)
}

// cidrLines maps dotted paths of scalar values to their lines.
func cidrLines(doc *yaml.Node) map[string]int {
	out := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], strings.TrimPrefix(path+"."+n.Content[i].Value, "."))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s.%d", path, i))
			}
		case yaml.ScalarNode:
			out[path] = n.Line
		}
	}
	walk(doc, "")
	return out
}

func lowerAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// check weighs one indicator against the lists.
func (l *Lists) check(ind Indicator) (triage.Finding, bool) {
	f := triage.Finding{Step: triage.StepEnrichment, Kind: "context_file"}
	v := strings.ToLower(ind.Value)
	switch ind.Kind {
	case KindIP:
		a, err := netip.ParseAddr(ind.Value)
		if err != nil {
			return triage.Finding{}, false
		}
		for _, p := range l.bad {
			if p.Contains(a) {
				// The team's own intelligence: heavier than a feed's.
				f.Weight, f.LogOdds, f.Title = triage.WeightMalicious, 3.0, fmt.Sprintf("%s is on the team's known-bad list (context file: %s)", ind.Value, p)
				return f, true
			}
		}
		for _, n := range l.networks {
			if n.prefix.Contains(a) {
				f.Weight, f.Title = triage.WeightBenign, fmt.Sprintf("%s is in a known network: %s (%s)", ind.Value, n.name, n.prefix)
				return f, true
			}
		}
	case KindDomain:
		for _, d := range l.KnownBad.Domains {
			if v == d || strings.HasSuffix(v, "."+d) {
				f.Weight, f.Title = triage.WeightMalicious, fmt.Sprintf("%s is on the known-bad domain list", ind.Value)
				return f, true
			}
		}
	case KindUsername, KindEmail, KindARN, KindActorID:
		if slices.Contains(l.ServiceAccounts, v) {
			f.Weight, f.Title = triage.WeightBenign, fmt.Sprintf("%s is a known service account", ind.Value)
			return f, true
		}
		if slices.Contains(l.VIPUsers, v) {
			f.Weight, f.Title = triage.WeightSuspicious, fmt.Sprintf("%s is a VIP user: alerts on them deserve a closer look", ind.Value)
			return f, true
		}
	}
	return triage.Finding{}, false
}
