package investigate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// Defaults of BaselineOptions.
const (
	// DefaultBaselineWindow is how far back the top actor's activity is
	// read.
	DefaultBaselineWindow = 30 * 24 * time.Hour
	// DefaultBaselinePerHour bounds baseline searches per hour across
	// replicas; cached ones do not count.
	DefaultBaselinePerHour = 60
	// DefaultBaselineRows is how many rows of a baseline search are read.
	DefaultBaselineRows = 1000
	// DefaultBaselineTTL is how long a baseline answers for the same actor
	// and hour.
	DefaultBaselineTTL = 6 * time.Hour
	// DefaultBaselineKnownDays is on how many days of the window a place
	// must have been used to count as the actor's usual place.
	DefaultBaselineKnownDays = 3
)

// BaselineOptions bound the baseline step. Zero values take the defaults.
type BaselineOptions struct {
	// Window is how far back activity is read. Default DefaultBaselineWindow.
	Window time.Duration
	// MaxPerHour bounds searches per hour. Default DefaultBaselinePerHour.
	MaxPerHour int
	// MaxRows is how many result rows are read. Default DefaultBaselineRows.
	MaxRows int
	// Timeout is how long a search may run before it is cancelled.
	// Default 60 seconds.
	Timeout time.Duration
	// TTL is how long a baseline is reused. Default DefaultBaselineTTL.
	TTL time.Duration
	// KnownDays is how many days make a place usual.
	// Default DefaultBaselineKnownDays.
	KnownDays int
	// Observer, when set, is told of every search as the data lake step
	// tells it: outcome succeeded, failed, timeout, cached or over_budget.
	Observer interface {
		DataLakeQuery(outcome string, bytesScanned int64)
	}
}

func (o *BaselineOptions) setDefaults() {
	o.Window = cmp.Or(o.Window, DefaultBaselineWindow)
	o.MaxPerHour = cmp.Or(o.MaxPerHour, DefaultBaselinePerHour)
	o.MaxRows = cmp.Or(o.MaxRows, DefaultBaselineRows)
	o.Timeout = cmp.Or(o.Timeout, 60*time.Second)
	o.TTL = cmp.Or(o.TTL, DefaultBaselineTTL)
	o.KnownDays = cmp.Or(o.KnownDays, DefaultBaselineKnownDays)
}

// Baseline is the top actor's activity in the window before the alert:
// on how many days, from which addresses, networks and countries. The
// baseline step fills it from one data lake indicator search.
type Baseline struct {
	Actor   string    `json:"actor"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	QueryID string    `json:"queryId"`
	// Rows is how many events were read; More says the search found more
	// than were read, so the counts are lower bounds.
	Rows int  `json:"rows"`
	More bool `json:"more,omitempty"`
	// Days counts the days with any activity.
	Days int `json:"days"`
	// IPs, Networks and Countries say on how many days each was used.
	IPs       []BaselineSeen `json:"ips,omitempty"`
	Networks  []BaselineSeen `json:"networks,omitempty"`
	Countries []BaselineSeen `json:"countries,omitempty"`
	// BytesScanned is what the search scanned.
	BytesScanned float64 `json:"bytesScanned"`
}

// BaselineSeen is one address, network or country of a baseline.
type BaselineSeen struct {
	Value string    `json:"value"`
	Label string    `json:"label,omitempty"` // the network's name
	Days  int       `json:"days"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// readKindBaseline is the ReadCache kind of baselines.
const readKindBaseline = "baseline"

// BaselineStep returns the step that reads the top actor's activity over
// the window before the alert with one data lake indicator search (cached
// per actor and hour, budgeted per hour), and says whether this alert's
// address, network and country are the actor's usual ones.
func BaselineStep(lake Lake, cache ReadCache, opts BaselineOptions) Step {
	opts.setDefaults()
	return &baselineStep{lake: lake, cache: cache, opts: opts}
}

type baselineStep struct {
	lake  Lake
	cache ReadCache
	opts  BaselineOptions
}

func (s *baselineStep) Name() string    { return triage.StepBaseline }
func (s *baselineStep) After() []string { return []string{triage.StepEvents} }

// Timeout lets the step wait for its search, plus a little to cancel it.
func (s *baselineStep) Timeout() time.Duration { return s.opts.Timeout + 10*time.Second }

// Finding kinds of the baseline step, for the verdict to weigh:
//
//	baseline_usual_place   benign (weak): this address, or its network, was
//	                       the actor's on at least KnownDays days
//	baseline_new_network   suspicious: first time from this network (ASN)
//	                       in the window, or first seen only within the last
//	                       two days
//	baseline_new_country   suspicious: first time from this country
//	baseline_rare_place    info: seen before, on fewer than KnownDays days
//	baseline_no_activity   info: no earlier activity of the actor
//	baseline_budget        missing: not searched, the hourly budget is used
//	                       up
func (s *baselineStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	own := EntitiesOf(c.Events)
	if len(own.Actors) == 0 {
		return nil, nil
	}
	actor := own.Actors[0]
	first, start, end, key := baselineSearch(c, actor, s.opts)

	polls := 0
	b, cached, err := cachedRead(ctx, s.cache, readKindBaseline, key, s.opts.MaxPerHour, s.opts.TTL, s.opts.Timeout,
		func(ctx context.Context) (Baseline, error) {
			q, n, err := s.search(ctx, c.Events, actor, start, end)
			polls = n
			if err != nil {
				return Baseline{}, err
			}
			return summarizeBaseline(actor, start, end, q), nil
		})
	c.AddCost(triage.Cost{LakePolls: polls})
	s.observe(b, cached, err)
	switch {
	case errors.Is(err, errOverBudget):
		return []triage.Finding{{Step: triage.StepBaseline, Kind: "baseline_budget", Weight: triage.WeightMissing,
			Title: fmt.Sprintf("%s's last %d days not searched: the baseline budget of %d searches per hour is used up", displayName(actor), days(s.opts.Window), s.opts.MaxPerHour)}}, nil
	case err != nil:
		if panther.IsTransient(err) && ctx.Err() == nil && !errors.Is(err, errLakeTimeout) {
			return nil, err
		}
		return []triage.Finding{{Step: triage.StepBaseline, Kind: "baseline_failed", Weight: triage.WeightMissing,
			Title: fmt.Sprintf("The search for %s's last %d days failed: %s", displayName(actor), days(s.opts.Window), stepError(err))}}, nil
	}
	cost := triage.Cost{LakeSearches: boolInt(!cached), LakeCached: boolInt(cached)}
	if !cached {
		cost.BytesScanned = b.BytesScanned
	}
	c.AddCost(cost)
	c.Baseline = &b
	return baselineFindings(b, own, first, days(s.opts.Window), s.opts.KnownDays), nil
}

// BaselineSearchKey is the cache key of the search the baseline step runs
// for a case whose Alert and Events are set (and Now, for an alert without
// times), under opts as the step is given them; "" when the events name no
// actor, so the step searches nothing. Alerts whose keys are equal share one
// search.
func BaselineSearchKey(c *Case, opts BaselineOptions) string {
	opts.setDefaults()
	own := EntitiesOf(c.Events)
	if len(own.Actors) == 0 {
		return ""
	}
	_, _, _, key := baselineSearch(c, own.Actors[0], opts)
	return key
}

// baselineSearch is the window of the actor's baseline search, ending at
// the hour of the alert's first event, and its cache key.
func baselineSearch(c *Case, actor string, opts BaselineOptions) (first, start, end time.Time, key string) {
	first = c.Alert.CreatedAt
	for _, ev := range c.Events {
		if t, ok := eventTime(ev); ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if first.IsZero() {
		first = c.Now
	}
	end = first.UTC().Truncate(time.Hour)
	start = end.Add(-opts.Window).Truncate(24 * time.Hour)
	key = strings.ToLower(actor) + "|" + start.Format(time.RFC3339) + "|" + end.Format(time.RFC3339)
	return first, start, end, key
}

func (s *baselineStep) observe(b Baseline, cached bool, err error) {
	if s.opts.Observer == nil {
		return
	}
	switch {
	case errors.Is(err, errOverBudget):
		s.opts.Observer.DataLakeQuery("over_budget", 0)
	case errors.Is(err, errLakeTimeout):
		s.opts.Observer.DataLakeQuery("timeout", 0)
	case err != nil:
		s.opts.Observer.DataLakeQuery("failed", 0)
	case cached:
		s.opts.Observer.DataLakeQuery("cached", 0)
	default:
		s.opts.Observer.DataLakeQuery("succeeded", int64(b.BytesScanned))
	}
}

// search runs the indicator search for the actor and waits for it; it
// returns the query and how often it polled.
func (s *baselineStep) search(ctx context.Context, events []panther.Event, actor string, start, end time.Time) (*panther.LakeQuery, int, error) {
	return searchLake(ctx, s.lake, actorField(events, actor), actor, start, end, s.opts.MaxRows, s.opts.Timeout)
}

// summarizeBaseline counts the days each address, network and country was
// used in the rows of a search.
func summarizeBaseline(actor string, start, end time.Time, q *panther.LakeQuery) Baseline {
	b := Baseline{Actor: actor, Start: start, End: end, QueryID: q.ID, Rows: len(q.Rows), More: q.HasMore || q.RowCount > len(q.Rows), BytesScanned: q.BytesScanned}
	type tally struct {
		label       string
		days        map[string]bool
		first, last time.Time
	}
	all := map[string]bool{}
	ips, nets, countries := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	count := func(m map[string]*tally, key, label string, t time.Time) {
		if key == "" {
			return
		}
		x := m[key]
		if x == nil {
			x = &tally{label: label, days: map[string]bool{}, first: t, last: t}
			m[key] = x
		}
		x.days[t.Format(time.DateOnly)] = true
		if t.Before(x.first) {
			x.first = t
		}
		if t.After(x.last) {
			x.last = t
		}
	}
	for _, row := range q.Rows {
		t, ok := eventTime(row)
		if !ok || !t.Before(end) {
			continue
		}
		all[t.Format(time.DateOnly)] = true
		e := EntitiesOf([]panther.Event{row})
		for _, ip := range e.IPs {
			count(ips, ip, "", t)
			p := e.PlaceOf(ip)
			count(nets, p.ASN, p.Org, t)
			count(countries, p.Country, "", t)
		}
	}
	b.Days = len(all)
	list := func(m map[string]*tally) []BaselineSeen {
		var out []BaselineSeen
		for k, x := range m {
			out = append(out, BaselineSeen{Value: k, Label: x.label, Days: len(x.days), First: x.first, Last: x.last})
		}
		slices.SortFunc(out, func(a, b BaselineSeen) int { return cmp.Or(cmp.Compare(b.Days, a.Days), cmp.Compare(a.Value, b.Value)) })
		return out[:min(len(out), maxEntities)]
	}
	b.IPs, b.Networks, b.Countries = list(ips), list(nets), list(countries)
	return b
}

// baselineFindings compare this alert's places with the actor's baseline.
func baselineFindings(b Baseline, own triage.Entities, at time.Time, window, knownDays int) []triage.Finding {
	who := displayActor(own)
	ev := []triage.Evidence{{Kind: "query", Ref: b.QueryID}}
	atLeast := ""
	if b.More {
		atLeast = "at least "
	}
	if b.Days == 0 {
		return []triage.Finding{{Step: triage.StepBaseline, Kind: "baseline_no_activity", Weight: triage.WeightInfo, Evidence: ev,
			Title: fmt.Sprintf("No activity by %s in the %d days before this alert (data lake)", who, window)}}
	}
	var out []triage.Finding
	for _, ip := range own.IPs[:min(len(own.IPs), 2)] {
		p := own.PlaceOf(ip)
		seenIP := findSeen(b.IPs, ip)
		seenNet := findSeen(b.Networks, p.ASN)
		seenCountry := findSeen(b.Countries, p.Country)
		usual := func(s *BaselineSeen) string {
			return fmt.Sprintf("seen on %s%d of the last %d days", atLeast, s.Days, window)
		}
		switch {
		case seenIP != nil && seenIP.Days >= knownDays:
			out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_usual_place", Weight: triage.WeightBenign, Evidence: ev,
				Title: fmt.Sprintf("%s acting from %s: %s", who, p, usual(seenIP))})
		case p.ASN != "" && seenNet == nil:
			out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_new_network", Weight: triage.WeightSuspicious, Evidence: ev,
				Title: fmt.Sprintf("First time in %d days that %s acts from network %s: this alert's %s; before: %s", window, who, strings.TrimSpace(p.ASN+" "+p.Org), p, usualPlaces(b, p))})
		case p.ASN == "" && p.Country != "" && seenCountry == nil:
			out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_new_country", Weight: triage.WeightSuspicious, Evidence: ev,
				Title: fmt.Sprintf("First time in %d days that %s acts from %s: this alert's %s; before: %s", window, who, p.Country, p, usualPlaces(b, p))})
		case seenNet != nil && seenNet.Days <= 2 && at.Sub(seenNet.First) < 48*time.Hour:
			out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_new_network", Weight: triage.WeightSuspicious, Evidence: ev,
				Title: fmt.Sprintf("%s first acted from network %s only %s this alert (%s), never earlier in %d days; before: %s",
					who, strings.TrimSpace(p.ASN+" "+p.Org), relativeTime(seenNet.First, at), p, window, usualPlaces(b, p))})
		case seenNet != nil && seenNet.Days >= knownDays:
			out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_usual_place", Weight: triage.WeightBenign, Evidence: ev,
				Title: fmt.Sprintf("%s acting from %s: a new address on network %s, %s", who, p, seenNet.Value, usual(seenNet))})
		case seenIP != nil:
			out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_rare_place", Weight: triage.WeightInfo, Evidence: ev,
				Title: fmt.Sprintf("%s acting from %s: %s", who, p, usual(seenIP))})
		default:
			out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_rare_place", Weight: triage.WeightInfo, Evidence: ev,
				Title: fmt.Sprintf("%s acting from %s, an address not seen in %d days; before: %s", who, p, window, usualPlaces(b, p))})
		}
	}
	if len(out) == 0 {
		out = append(out, triage.Finding{Step: triage.StepBaseline, Kind: "baseline_activity", Weight: triage.WeightInfo, Evidence: ev,
			Title: fmt.Sprintf("%s was active on %s%d of the last %d days", who, atLeast, b.Days, window)})
	}
	return out
}

// usualPlaces names the actor's most used networks (or addresses) and
// countries other than this alert's place.
func usualPlaces(b Baseline, now triage.Place) string {
	var parts []string
	add := func(list []BaselineSeen, skip string, label bool) int {
		n := 0
		for _, x := range list {
			if n == 2 || strings.EqualFold(x.Value, skip) {
				continue
			}
			v := x.Value
			if label {
				v = strings.TrimSpace(x.Value + " " + x.Label)
			}
			parts = append(parts, fmt.Sprintf("%s on %d day(s)", v, x.Days))
			n++
		}
		return n
	}
	if add(b.Networks, now.ASN, true) == 0 {
		add(b.IPs, now.IP, false)
	}
	add(b.Countries, now.Country, false)
	if len(parts) == 0 {
		return "no address known"
	}
	return strings.Join(parts, ", ")
}

func findSeen(list []BaselineSeen, v string) *BaselineSeen {
	if v == "" {
		return nil
	}
	for i := range list {
		if strings.EqualFold(list[i].Value, v) {
			return &list[i]
		}
	}
	return nil
}

// displayName shortens an ARN to its last part.
func displayName(actor string) string {
	return displayActor(triage.Entities{Actors: []string{actor}})
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }

// actorField is the indicator field an actor is searched in: the p_any_*
// field of this alert's events that holds it, else emails and ARNs by
// their shape and anything else as a username.
func actorField(events []panther.Event, actor string) string {
	for _, ev := range events {
		for _, k := range slices.Sorted(maps.Keys(ev)) {
			if !strings.HasPrefix(k, "p_any_") {
				continue
			}
			if list, ok := ev[k].([]any); ok && slices.ContainsFunc(list, func(x any) bool { s, _ := x.(string); return strings.EqualFold(s, actor) }) {
				return k
			}
		}
	}
	switch {
	case strings.HasPrefix(actor, "arn:"):
		return IndicatorField(KindARN)
	case strings.Contains(actor, "@"):
		return IndicatorField(KindEmail)
	}
	return IndicatorField(KindUsername)
}
