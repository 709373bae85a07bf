package investigate

import (
	"cmp"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/panther"
)

// Indicator kinds.
const (
	KindIP         = "ip"
	KindDomain     = "domain"
	KindEmail      = "email"
	KindUsername   = "username"
	KindActorID    = "actor_id"
	KindARN        = "aws_arn"
	KindAccountID  = "aws_account_id"
	KindInstanceID = "aws_instance_id"
	KindMD5        = "md5"
	KindSHA1       = "sha1"
	KindSHA256     = "sha256"
)

// IP classes.
const (
	IPPublic   = "public"
	IPPrivate  = "private"
	IPReserved = "reserved"
)

// Indicator is one value seen in the alert's events or context: an IP, a
// user, a domain, an ARN, a hash.
type Indicator struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Class is set for IPs: public, private or reserved.
	Class string `json:"class,omitempty"`
	// Events is how many events carry it.
	Events int `json:"events"`
	// Panther is true when Panther itself extracted it into a p_any_* field.
	Panther bool `json:"panther"`
	// Fields are where it was found (p_any_* names or JSON paths), at most a few.
	Fields []string `json:"fields,omitempty"`
	// RowIDs are the p_row_id of events that carry it, at most a few.
	RowIDs []string `json:"rowIds,omitempty"`
}

// pantherFields maps Panther's indicator fields to indicator kinds.
var pantherFields = map[string]string{
	"p_any_ip_addresses":     KindIP,
	"p_any_domain_names":     KindDomain,
	"p_any_emails":           KindEmail,
	"p_any_usernames":        KindUsername,
	"p_any_actor_ids":        KindActorID,
	"p_any_aws_arns":         KindARN,
	"p_any_aws_account_ids":  KindAccountID,
	"p_any_aws_instance_ids": KindInstanceID,
	"p_any_md5_hashes":       KindMD5,
	"p_any_sha1_hashes":      KindSHA1,
	"p_any_sha256_hashes":    KindSHA256,
}

// Limits that keep extraction bounded whatever the events hold.
const (
	maxWalkDepth      = 12
	maxStringsPerItem = 2000
	maxValueLen       = 512
	maxIndicators     = 500
	maxRefs           = 5
)

var (
	emailRE = regexp.MustCompile(`^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,63}$`)
	arnRE   = regexp.MustCompile(`^arn:aws[a-z\-]*:[a-z0-9\-]*:[a-z0-9\-]*:\d{0,12}:\S+$`)
	hexRE   = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	domRE   = regexp.MustCompile(`^(?i:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// extractor collects indicators over a set of events and an alert context.
type extractor struct {
	byKey map[string]*Indicator
	// seen holds the keys already counted for the current item.
	seen map[string]bool
	row  string
}

// ExtractIndicators finds the indicators in events and in the alert's
// context: Panther's p_any_* fields first, then the context and every string
// field. They come back ranked: Panther-extracted before found by pattern,
// then by the number of events, kind and value.
func ExtractIndicators(events []panther.Event, alertContext map[string]any) []Indicator {
	x := &extractor{byKey: map[string]*Indicator{}}
	for _, ev := range events {
		x.seen = map[string]bool{}
		x.row, _ = ev["p_row_id"].(string)
		for field, kind := range pantherFields {
			vals, _ := ev[field].([]any)
			for i, v := range vals {
				if i >= maxStringsPerItem {
					break
				}
				if s, ok := v.(string); ok {
					x.add(kind, s, field, true)
				}
			}
		}
		budget := maxStringsPerItem
		for k, v := range ev {
			if strings.HasPrefix(k, "p_") {
				continue
			}
			x.walk(k, v, 0, &budget)
		}
	}
	if len(alertContext) > 0 {
		x.seen = map[string]bool{}
		x.row = ""
		budget := maxStringsPerItem
		for k, v := range alertContext {
			x.walk("alertContext."+k, v, 0, &budget)
		}
	}
	out := make([]Indicator, 0, len(x.byKey))
	for _, ind := range x.byKey {
		slices.Sort(ind.Fields)
		slices.Sort(ind.RowIDs)
		out = append(out, *ind)
	}
	slices.SortFunc(out, func(a, b Indicator) int {
		if a.Panther != b.Panther {
			if a.Panther {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Events, a.Events), cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)), cmp.Compare(a.Value, b.Value))
	})
	return out
}

func kindRank(kind string) int {
	order := []string{KindIP, KindUsername, KindEmail, KindActorID, KindARN, KindAccountID, KindDomain, KindInstanceID, KindSHA256, KindSHA1, KindMD5}
	if i := slices.Index(order, kind); i >= 0 {
		return i
	}
	return len(order)
}

// walk visits the strings in a JSON value and classifies each.
func (x *extractor) walk(path string, v any, depth int, budget *int) {
	if depth > maxWalkDepth || *budget <= 0 {
		return
	}
	switch t := v.(type) {
	case string:
		*budget--
		if kind, val, ok := classify(path, t); ok {
			x.add(kind, val, path, false)
		}
	case map[string]any:
		for k, e := range t {
			x.walk(path+"."+k, e, depth+1, budget)
		}
	case []any:
		for _, e := range t {
			x.walk(path+"[]", e, depth+1, budget)
		}
	}
}

// classify says what a string found in a field is, if it is an indicator.
// IPs, emails, ARNs and hashes are recognised anywhere; domains and user
// names only in fields whose name says so.
func classify(path, s string) (kind, value string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxValueLen {
		return "", "", false
	}
	if mayBeIP(s) {
		if addr, err := netip.ParseAddr(s); err == nil {
			return KindIP, addr.Unmap().String(), true
		}
	}
	// Cheap tests first: most strings are none of these, and a regexp
	// costs far more than a byte search.
	switch {
	case strings.IndexByte(s, '@') > 0 && emailRE.MatchString(s):
		return KindEmail, strings.ToLower(s), true
	case strings.HasPrefix(s, "arn:") && arnRE.MatchString(s):
		return KindARN, s, true
	case (len(s) == 32 || len(s) == 40 || len(s) == 64) && isHashField(path) && hexRE.MatchString(s):
		switch len(s) {
		case 32:
			return KindMD5, strings.ToLower(s), true
		case 40:
			return KindSHA1, strings.ToLower(s), true
		case 64:
			return KindSHA256, strings.ToLower(s), true
		}
	}
	name := strings.ToLower(path[strings.LastIndex(path, ".")+1:])
	name = strings.TrimSuffix(name, "[]")
	switch {
	case (strings.Contains(name, "domain") || strings.Contains(name, "host")) && domRE.MatchString(s):
		return KindDomain, strings.ToLower(s), true
	case name == "user" || name == "user_name" || name == "actor" || name == "login" || strings.HasSuffix(name, "username"):
		return KindUsername, s, true
	}
	return "", "", false
}

// mayBeIP is false for strings netip.ParseAddr cannot accept, cheaply: an
// address starts with a digit (IPv4) or a hex digit or colon (IPv6) and
// holds a dot or a colon. ParseAddr allocates its error, and most strings
// are not addresses.
func mayBeIP(s string) bool {
	c := s[0]
	if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') && c != ':' {
		return false
	}
	return strings.ContainsAny(s, ".:")
}

func isHashField(path string) bool {
	p := strings.ToLower(path)
	return strings.Contains(p, "hash") || strings.Contains(p, "md5") || strings.Contains(p, "sha") || strings.Contains(p, "digest")
}

func (x *extractor) add(kind, value, field string, fromPanther bool) {
	value = strings.TrimSpace(value)
	if value == "" || len(value) > maxValueLen {
		return
	}
	class := ""
	if kind == KindIP {
		addr, err := netip.ParseAddr(value)
		if err != nil {
			return
		}
		addr = addr.Unmap()
		value, class = addr.String(), ipClass(addr)
	}
	key := kind + "\x00" + value
	ind, ok := x.byKey[key]
	if !ok {
		if len(x.byKey) >= maxIndicators {
			return
		}
		ind = &Indicator{Kind: kind, Value: value, Class: class}
		x.byKey[key] = ind
	}
	ind.Panther = ind.Panther || fromPanther
	if !x.seen[key] {
		x.seen[key] = true
		if x.row != "" {
			ind.Events++
			if len(ind.RowIDs) < maxRefs && !slices.Contains(ind.RowIDs, x.row) {
				ind.RowIDs = append(ind.RowIDs, x.row)
			}
		}
	}
	if len(ind.Fields) < maxRefs && !slices.Contains(ind.Fields, field) {
		ind.Fields = append(ind.Fields, field)
	}
}

// ipClass says whether an address is public, private (RFC 1918, ULA,
// shared CGNAT space) or reserved (loopback, link-local, documentation,
// multicast, unspecified and the like).
func ipClass(a netip.Addr) string {
	switch {
	case a.IsLoopback(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(), a.IsMulticast(),
		a.IsInterfaceLocalMulticast(), a.IsUnspecified():
		return IPReserved
	case a.IsPrivate():
		return IPPrivate
	}
	for _, p := range reservedPrefixes {
		if p.Contains(a) {
			if p == cgnat {
				return IPPrivate
			}
			return IPReserved
		}
	}
	return IPPublic
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

var reservedPrefixes = []netip.Prefix{
	cgnat,
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("100::/64"),
}
