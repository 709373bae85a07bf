package investigate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// PrecedentSource reads another alert's events and the comments on it.
type PrecedentSource interface {
	AlertEvents(ctx context.Context, id string, max int) ([]panther.Event, error)
	Comments(ctx context.Context, alertID string) ([]panther.Comment, error)
}

// Defaults of PrecedentOptions.
const (
	// DefaultPrecedentReads is how many other alerts one investigation reads
	// (events, and comments when analysts ended it).
	DefaultPrecedentReads = 8
	// DefaultPrecedentReadsPerHour bounds the reads of other alerts made per
	// hour by all replicas; cached reads do not count.
	DefaultPrecedentReadsPerHour = 300
	// DefaultPrecedentEvents is how many events of another alert are read:
	// enough to name its actor, source and target.
	DefaultPrecedentEvents = 20
	// DefaultPrecedentMinClosed is how many earlier alerts of the same
	// actor, from the same place, judged false positives, make strong benign
	// evidence.
	DefaultPrecedentMinClosed = 2
	// DefaultFinalReadTTL is how long the read of an alert analysts ended
	// (CLOSED or RESOLVED) is reused: such an alert does not change.
	DefaultFinalReadTTL = 30 * 24 * time.Hour
	// DefaultOpenReadTTL is how long the read of an alert still OPEN or
	// TRIAGED is reused.
	DefaultOpenReadTTL = time.Hour
)

// PrecedentOptions bound the precedent step. Zero values take the defaults.
type PrecedentOptions struct {
	// MaxReads is how many other alerts one investigation reads.
	// Default DefaultPrecedentReads.
	MaxReads int
	// MaxReadsPerHour bounds reads per hour across replicas.
	// Default DefaultPrecedentReadsPerHour.
	MaxReadsPerHour int
	// MaxEvents is how many events of each other alert are read.
	// Default DefaultPrecedentEvents.
	MaxEvents int
	// MinClosed is how many matching false positives make strong benign
	// evidence. Default DefaultPrecedentMinClosed.
	MinClosed int
	// FinalTTL and OpenTTL say how long reads are reused. Defaults
	// DefaultFinalReadTTL and DefaultOpenReadTTL.
	FinalTTL, OpenTTL time.Duration
}

func (o *PrecedentOptions) setDefaults() {
	o.MaxReads = cmp.Or(o.MaxReads, DefaultPrecedentReads)
	o.MaxReadsPerHour = cmp.Or(o.MaxReadsPerHour, DefaultPrecedentReadsPerHour)
	o.MaxEvents = cmp.Or(o.MaxEvents, DefaultPrecedentEvents)
	o.MinClosed = cmp.Or(o.MinClosed, DefaultPrecedentMinClosed)
	o.FinalTTL = cmp.Or(o.FinalTTL, DefaultFinalReadTTL)
	o.OpenTTL = cmp.Or(o.OpenTTL, DefaultOpenReadTTL)
}

// Finding kinds of the precedent step, for the verdict to weigh:
//
//	precedent_closed_as_expected  benign, strong: at least MinClosed earlier
//	                              alerts of the detection, same actor, same
//	                              place (IP or ASN), same account, judged
//	                              false positives, and nothing departs
//	precedent_closed_same_actor   benign, weaker (sameActorLogOdds): at least
//	                              MinClosed such alerts counting those
//	                              compared by a title that names no address,
//	                              whose place is therefore unknown
//	precedent_closed_once         info: one such alert
//	precedent_departure           suspicious: the actor's earlier alerts
//	                              judged false positives came from elsewhere;
//	                              overrides the benign precedent
//	precedent_true_positive       malicious when an alert from the same public
//	                              address was judged a true positive,
//	                              suspicious when only the actor matches
//	precedent_same_actor          info: the actor raised earlier alerts of
//	                              the detection that were handled or are open
//	actor_new_to_detection        suspicious: the actor acted in none of at
//	                              least 3 earlier alerts read
//	correlated_alerts             suspicious when an alert of another
//	                              detection shares events, a public address,
//	                              or the actor at MEDIUM or above; info when
//	                              it shares only the actor at LOW or INFO, or
//	                              was judged a false positive
//	precedent_unread              info: alerts not read (budget)

// sameActorLogOdds weighs earlier false positives of the same actor whose
// place could not be compared (their events were past retention and their
// titles name no address): about half of the default benign weight that a
// same-actor, same-place precedent carries, since a departure to another
// place cannot be seen.
const sameActorLogOdds = -0.8

// unplacedText says why the place of n of all earlier alerts is unknown.
func unplacedText(n, all int) string {
	if n == all {
		return "Panther no longer holds their events, so where they came from could not be compared"
	}
	return fmt.Sprintf("%d of them past retention, so where they came from could not be compared", n)
}

// namesAddress says whether a title names an IP address.
func namesAddress(title string) bool {
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !strings.ContainsRune(".:0123456789abcdefABCDEF", r)
	}) {
		if _, err := netip.ParseAddr(strings.Trim(w, ".:")); err == nil && strings.ContainsAny(w, ".:") {
			return true
		}
	}
	return false
}

// minActorHistory is how many earlier alerts with a known actor are needed
// to call an actor new to a detection.
const minActorHistory = 3

// readKindAlert is the ReadCache kind of other alerts' reads.
const readKindAlert = "alert"

// PrecedentStep returns the step that reads other alerts' events and the
// analysts' comments on them, and compares them with this alert by entity
// (actor, address, account, target) rather than by title. Reads are
// budgeted and cached in cache, so a burst of alerts of one detection reads
// each earlier alert once.
func PrecedentStep(src PrecedentSource, cache ReadCache, opts PrecedentOptions) Step {
	opts.setDefaults()
	return &precedentStep{src: src, cache: cache, opts: opts}
}

type precedentStep struct {
	src   PrecedentSource
	cache ReadCache
	opts  PrecedentOptions
}

func (s *precedentStep) Name() string    { return triage.StepPrecedent }
func (s *precedentStep) After() []string { return []string{triage.StepHistory} }

// alertRead is what is kept of one read alert.
type alertRead struct {
	Entities triage.Entities         `json:"entities"`
	RowIDs   []string                `json:"rowIds,omitempty"`
	Comments []triage.ClosingComment `json:"comments,omitempty"`
}

// maxRowIDs bounds the event IDs kept per read alert.
const maxRowIDs = 50

func (s *precedentStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	own := EntitiesOf(c.Events)
	ownRows := map[string]bool{}
	for _, ev := range c.Events {
		if r, _ := ev["p_row_id"].(string); r != "" {
			ownRows[r] = true
		}
	}
	cands, skipped := s.candidates(c, own)
	reads, unread, err := s.readAll(ctx, c, cands)
	if err != nil {
		return nil, err
	}
	p := &triage.Precedent{Entities: own, Unread: unread + skipped}
	titleActors := actorNames(own, c.Indicators)
	det := detectionID(c.Alert)
	for i, a := range cands {
		r := reads[i]
		if r == nil {
			continue
		}
		disp, reason := Judge(a.Status, r.Comments)
		pa := triage.PriorAlert{
			ID: a.ID, Title: a.Title, DetectionID: detectionID(&a), Severity: a.Severity, Status: a.Status,
			CreatedAt: a.CreatedAt, SameDetection: det != "" && detectionID(&a) == det,
			Disposition: disp, Reason: reason, Entities: r.Entities,
			SameActor:   overlaps(own.Actors, r.Entities.Actors),
			SameIP:      overlaps(own.IPs, r.Entities.IPs),
			SameNetwork: overlaps(asns(own), asns(r.Entities)),
			SameAccount: overlaps(own.Accounts, r.Entities.Accounts),
			SameTarget:  overlaps(own.Targets, r.Entities.Targets),
		}
		for _, id := range r.RowIDs {
			if ownRows[id] {
				pa.SharedEvents++
			}
		}
		if len(r.RowIDs) == 0 && len(r.Entities.Actors) == 0 && len(r.Entities.IPs) == 0 {
			pa.ByTitle = true
			pa.SameActor = slices.ContainsFunc(titleActors, func(k string) bool { return mentions(a.Title, k) })
			pa.SameIP = slices.ContainsFunc(own.IPs, func(k string) bool { return mentions(a.Title, k) })
		}
		p.Alerts = append(p.Alerts, pa)
	}
	c.Precedent = p
	return precedentFindings(c, p, s.opts.MinClosed), nil
}

// candidates picks the alerts worth reading, most telling first: the
// detection's earlier alerts that analysts ended, newest first; then
// alerts of other detections whose title names this alert's actor or
// address; then the other alerts of other detections. skipped counts those
// left out by the per-investigation budget.
func (s *precedentStep) candidates(c *Case, own triage.Entities) (out []panther.Alert, skipped int) {
	det := detectionID(c.Alert)
	var ended, named, rest []panther.Alert
	for _, a := range c.DetectionAlerts {
		if a.ID != c.Alert.ID && (a.Status == "CLOSED" || a.Status == "RESOLVED") {
			ended = append(ended, a)
		}
	}
	keys := append(actorNames(own, c.Indicators), own.IPs...)
	for _, a := range c.NearbyAlerts {
		if a.ID == c.Alert.ID || (det != "" && detectionID(&a) == det) {
			continue
		}
		if slices.ContainsFunc(keys, func(k string) bool { return mentions(a.Title, k) }) {
			named = append(named, a)
		} else {
			rest = append(rest, a)
		}
	}
	// Keep room for other detections' alerts when the detection has many.
	reserve := min(len(named)+len(rest), s.opts.MaxReads/4)
	nEnded := min(len(ended), s.opts.MaxReads-reserve)
	nNamed := min(len(named), s.opts.MaxReads-nEnded)
	nRest := min(len(rest), s.opts.MaxReads-nEnded-nNamed)
	out = append(append(append(out, ended[:nEnded]...), named[:nNamed]...), rest[:nRest]...)
	return out, len(ended) - nEnded + len(named) - nNamed
}

// readWait is how long a read waits for another process reading the same
// alert before reading it itself.
const readWait = 10 * time.Second

// readConcurrency bounds one investigation's concurrent reads.
const readConcurrency = 4

// readAll reads the candidates (nil where a read was not made). An alert
// deleted since it was listed is left out; a read over the hourly budget,
// or failing, counts as unread, unless every read failed, which fails the
// step.
func (s *precedentStep) readAll(ctx context.Context, c *Case, cands []panther.Alert) ([]*alertRead, int, error) {
	reads := make([]*alertRead, len(cands))
	errs := make([]error, len(cands))
	sem := make(chan struct{}, readConcurrency)
	var wg sync.WaitGroup
	for i, a := range cands {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			r, cached, err := s.read(ctx, a)
			if err == nil {
				reads[i] = &r
				c.AddCost(triage.Cost{AlertReads: boolInt(!cached), AlertReadsCached: boolInt(cached)})
			}
			errs[i] = err
		})
	}
	wg.Wait()
	unread, failed := 0, 0
	var firstErr error
	for _, err := range errs {
		switch {
		case err == nil, errors.Is(err, panther.ErrNotFound):
		case errors.Is(err, errOverBudget):
			unread++
		default:
			unread++
			failed++
			firstErr = cmp.Or(firstErr, err)
		}
	}
	if failed > 0 && failed == len(cands) {
		return nil, 0, fmt.Errorf("read earlier alerts: %w", firstErr)
	}
	return reads, unread, nil
}

// read reads one alert's events, and the comments on it once analysts
// ended it, through the cache. The key holds the status: an alert reopened
// or closed since is read again.
func (s *precedentStep) read(ctx context.Context, a panther.Alert) (alertRead, bool, error) {
	final := a.Status == "CLOSED" || a.Status == "RESOLVED"
	ttl := s.opts.OpenTTL
	if final {
		ttl = s.opts.FinalTTL
	}
	return cachedRead(ctx, s.cache, readKindAlert, a.ID+"|"+a.Status, s.opts.MaxReadsPerHour, ttl, readWait,
		func(ctx context.Context) (alertRead, error) {
			events, err := s.src.AlertEvents(ctx, a.ID, s.opts.MaxEvents)
			if err != nil {
				return alertRead{}, err
			}
			r := alertRead{Entities: EntitiesOf(events)}
			for _, ev := range events {
				if id, _ := ev["p_row_id"].(string); id != "" && len(r.RowIDs) < maxRowIDs {
					r.RowIDs = append(r.RowIDs, id)
				}
			}
			if final {
				cs, err := s.src.Comments(ctx, a.ID)
				if err != nil {
					return alertRead{}, err
				}
				r.Comments = analystComments(cs)
			}
			return r, nil
		})
}

// actorNames are the ways a title may name this alert's actor: its actor
// values, the last part of an ARN, and its user and email indicators.
func actorNames(own triage.Entities, inds []Indicator) []string {
	var out []string
	add := func(v string) {
		if v != "" && !containsFold(out, v) {
			out = append(out, v)
		}
	}
	for _, a := range own.Actors {
		add(a)
		if strings.HasPrefix(a, "arn:") {
			if i := strings.LastIndexAny(a, "/:"); i >= 0 {
				add(a[i+1:])
			}
		}
	}
	for _, ind := range inds {
		if ind.Kind == KindUsername || ind.Kind == KindEmail || ind.Kind == KindActorID {
			add(ind.Value)
		}
	}
	return out
}

// precedentFindings weighs what the precedent shows.
func precedentFindings(c *Case, p *triage.Precedent, minClosed int) []triage.Finding {
	var out []triage.Finding
	det := detectionID(c.Alert)
	own := p.Entities
	actor := displayActor(own)

	// unplaced were compared by title (Panther no longer held their events)
	// and the title names no address: the actor matches, the place is unknown.
	var mine, benign, matched, unplaced, others []triage.PriorAlert
	withActor := 0
	titled := slices.ContainsFunc(actorNames(own, c.Indicators), func(k string) bool { return mentions(c.Alert.Title, k) })
	for _, a := range p.Alerts {
		if !a.SameDetection {
			continue
		}
		mine = append(mine, a)
		if len(a.Entities.Actors) > 0 || (a.ByTitle && titled) {
			withActor++
		}
		if !a.SameActor {
			continue
		}
		switch a.Disposition {
		case triage.DispositionFalsePositive:
			benign = append(benign, a)
			sameAccount := a.SameAccount || len(own.Accounts) == 0 || len(a.Entities.Accounts) == 0
			switch {
			case !sameAccount:
			case len(own.IPs) == 0 || a.SamePlace():
				matched = append(matched, a)
			case a.ByTitle && !namesAddress(a.Title):
				unplaced = append(unplaced, a)
			}
		case triage.DispositionHandled, triage.DispositionOpen:
			others = append(others, a)
		}
	}

	// Where this alert's actor came from that its benign precedent never did.
	var departed []string
	located := slices.DeleteFunc(slices.Clone(benign), func(a triage.PriorAlert) bool { return len(a.Entities.IPs) == 0 })
	if len(located) > 0 {
		for _, ip := range own.IPs {
			pl := own.PlaceOf(ip)
			known := slices.ContainsFunc(located, func(a triage.PriorAlert) bool {
				return slices.Contains(a.Entities.IPs, ip) || (pl.ASN != "" && slices.Contains(asns(a.Entities), pl.ASN))
			})
			if !known {
				departed = append(departed, ip)
			}
		}
	}

	switch {
	case actor == "":
	case len(departed) > 0:
		var before []string
		for _, a := range located {
			for _, ip := range a.Entities.IPs {
				if s := a.Entities.PlaceOf(ip).String(); !slices.Contains(before, s) && len(before) < 3 {
					before = append(before, s)
				}
			}
		}
		var now []string
		for _, ip := range departed {
			now = append(now, own.PlaceOf(ip).String())
		}
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_departure", Weight: triage.WeightSuspicious,
			Title: fmt.Sprintf("Earlier legitimate use by %s came from %s; this alert's is from %s",
				actor, orNone(before, "no known address"), strings.Join(now, ", ")),
			Detail:   fmt.Sprintf("Analysts closed %d earlier alert(s) of %s for %s as expected%s", len(located), det, actor, reasonsText(located)),
			Evidence: priorEvidence(located)})
	case len(matched) >= minClosed:
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_closed_as_expected", Weight: triage.WeightBenign,
			Title: fmt.Sprintf("Analysts closed %d earlier alerts of %s as expected for the same actor %s%s%s",
				len(matched), det, actor, placeText(own), reasonsText(matched)),
			Evidence: priorEvidence(matched)})
	case len(matched)+len(unplaced) >= minClosed:
		all := append(slices.Clone(matched), unplaced...)
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_closed_same_actor", Weight: triage.WeightBenign, LogOdds: sameActorLogOdds,
			Title: fmt.Sprintf("Analysts closed %d earlier alerts of %s as expected for the same actor %s; %s%s",
				len(all), det, actor, unplacedText(len(unplaced), len(all)), reasonsText(all)),
			Evidence: priorEvidence(all)})
	case len(matched) == 1:
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_closed_once", Weight: triage.WeightInfo,
			Title: fmt.Sprintf("Analysts closed 1 earlier alert of %s as expected for the same actor %s%s%s",
				det, actor, placeText(own), reasonsText(matched)),
			Evidence: priorEvidence(matched)})
	}
	if actor != "" && len(others) > 0 {
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_same_actor", Weight: triage.WeightInfo,
			Title: fmt.Sprintf("%s also acted in %d earlier alert(s) of %s: %s%s", actor, len(others), det,
				dispositionCounts(others), reasonsText(others)),
			Evidence: priorEvidence(others)})
	}
	if actor != "" && withActor >= minActorHistory && !slices.ContainsFunc(mine, func(a triage.PriorAlert) bool { return a.SameActor }) {
		var seen []string
		for _, a := range mine {
			if v := cmp.Or(firstOr(a.Entities.Actors, ""), titleActor(a.Title)); v != "" && !slices.Contains(seen, v) && len(seen) < 3 {
				seen = append(seen, v)
			}
		}
		had := ""
		if len(seen) > 0 {
			names := strings.Join(seen[:len(seen)-1], ", ")
			if names != "" {
				names += " and "
			}
			had = "; only " + names + seen[len(seen)-1] + " did"
		}
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "actor_new_to_detection", Weight: triage.WeightSuspicious,
			Title: fmt.Sprintf("%s is new to %s: none of the %d earlier alerts read had it as actor%s",
				actor, det, withActor, had),
			Evidence: priorEvidence(mine)})
	}
	out = append(out, truePositiveFindings(p)...)
	if f, ok := correlationFinding(c, p); ok {
		out = append(out, f)
	}
	if p.Unread > 0 {
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_unread", Weight: triage.WeightInfo,
			Title: fmt.Sprintf("%d other alert(s) worth reading were not read (read budget or errors)", p.Unread)})
	}
	return out
}

// truePositiveFindings report alerts analysts judged true positives that
// share this alert's address (malicious) or actor (suspicious).
func truePositiveFindings(p *triage.Precedent) []triage.Finding {
	var byIP, byActor []triage.PriorAlert
	for _, a := range p.Alerts {
		if a.Disposition != triage.DispositionTruePositive {
			continue
		}
		switch {
		case a.SameIP && slices.ContainsFunc(sharedIn(a, p.Entities.IPs, func(e triage.Entities) []string { return e.IPs }), isPublicIP):
			byIP = append(byIP, a)
		case a.SameActor:
			byActor = append(byActor, a)
		}
	}
	var out []triage.Finding
	if len(byIP) > 0 {
		var ips []string
		for _, a := range byIP {
			for _, ip := range sharedIn(a, p.Entities.IPs, func(e triage.Entities) []string { return e.IPs }) {
				if !slices.Contains(ips, ip) {
					ips = append(ips, ip)
				}
			}
		}
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_true_positive", Weight: triage.WeightMalicious,
			Title: fmt.Sprintf("Analysts judged %d earlier alert(s) from %s true positives%s",
				len(byIP), strings.Join(ips, ", "), reasonsText(byIP)),
			Evidence: priorEvidence(byIP)})
	}
	if len(byActor) > 0 {
		out = append(out, triage.Finding{Step: triage.StepPrecedent, Kind: "precedent_true_positive", Weight: triage.WeightSuspicious,
			Title: fmt.Sprintf("Analysts judged %d earlier alert(s) of %s true positives, from other addresses%s",
				len(byActor), firstOr(p.Entities.Actors, "this actor"), reasonsText(byActor)),
			Evidence: priorEvidence(byActor)})
	}
	return out
}

// correlationFinding reports alerts of other detections, before or after
// this one, that share its events, public address or actor.
func correlationFinding(c *Case, p *triage.Precedent) (triage.Finding, bool) {
	titleActors := actorNames(p.Entities, c.Indicators)
	var parts []string
	var hits []triage.PriorAlert
	strong := false
	for _, a := range p.Alerts {
		if a.SameDetection || (a.SharedEvents == 0 && !a.SameIP && !a.SameActor) {
			continue
		}
		var what []string
		if a.SharedEvents > 0 {
			what = append(what, fmt.Sprintf("%d shared event(s)", a.SharedEvents))
		}
		if a.SameIP {
			what = append(what, "address "+strings.Join(sharedIn(a, p.Entities.IPs, func(e triage.Entities) []string { return e.IPs }), ", "))
		}
		if a.SameActor {
			what = append(what, "actor "+strings.Join(sharedIn(a, titleActors, func(e triage.Entities) []string { return e.Actors }), ", "))
		}
		publicIP := a.SameIP && slices.ContainsFunc(sharedIn(a, p.Entities.IPs, func(e triage.Entities) []string { return e.IPs }), isPublicIP)
		weighty := a.SharedEvents > 0 || publicIP || (a.SameActor && severityAtLeastMedium(a.Severity))
		if weighty && a.Disposition != triage.DispositionFalsePositive {
			strong = true
		}
		hits = append(hits, a)
		if len(parts) < 3 {
			parts = append(parts, fmt.Sprintf("%s %s (%s %s, %s): %s", a.DetectionID, a.ID, a.Severity,
				relativeTime(a.CreatedAt, c.Alert.CreatedAt), statusText(a), strings.Join(what, ", ")))
		}
	}
	if len(hits) == 0 {
		return triage.Finding{}, false
	}
	f := triage.Finding{Step: triage.StepPrecedent, Kind: "correlated_alerts", Weight: triage.WeightInfo,
		Title:    fmt.Sprintf("%d alert(s) of other detections share this alert's activity: %s", len(hits), strings.Join(parts, "; ")),
		Evidence: priorEvidence(hits)}
	if strong {
		f.Weight = triage.WeightSuspicious
	}
	return f, true
}

// sharedIn lists the values of own that a holds: in its entities, or in
// its title when it was compared by title.
func sharedIn(a triage.PriorAlert, own []string, of func(triage.Entities) []string) []string {
	var out []string
	for _, v := range own {
		if containsFold(of(a.Entities), v) || (a.ByTitle && mentions(a.Title, v)) {
			if !containsFold(out, v) && len(out) < 3 {
				out = append(out, v)
			}
		}
	}
	return out
}

// isPublicIP says whether s is a public address.
func isPublicIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && ipClass(a) == IPPublic
}

func severityAtLeastMedium(s string) bool {
	return s == "MEDIUM" || s == "HIGH" || s == "CRITICAL"
}

// relativeTime says how long before or after ref t is.
func relativeTime(t, ref time.Time) string {
	d := ref.Sub(t)
	word := "before"
	if d < 0 {
		d, word = -d, "after"
	}
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days %s", int(d.Hours()/24), word)
	case d >= time.Hour:
		return fmt.Sprintf("%d h %s", int(d.Hours()), word)
	}
	return fmt.Sprintf("%d min %s", int(d.Minutes()), word)
}

// statusText is how an alert ended, as people say it.
func statusText(a triage.PriorAlert) string {
	switch a.Disposition {
	case triage.DispositionFalsePositive:
		return a.Status + ", as expected"
	case triage.DispositionTruePositive:
		return a.Status + ", true positive"
	}
	return a.Status
}

// displayActor names the actor as people know it: a login or email before
// an ARN or an opaque ID, which follows in parentheses.
func displayActor(e triage.Entities) string {
	if len(e.Actors) == 0 {
		return ""
	}
	name := ""
	for _, a := range e.Actors {
		if strings.Contains(a, "@") || (!strings.HasPrefix(a, "arn:") && !strings.ContainsAny(a, "0123456789")) {
			name = a
			break
		}
	}
	first := e.Actors[0]
	if name == "" && strings.HasPrefix(first, "arn:") {
		if i := strings.LastIndexAny(first, "/:"); i >= 0 && i < len(first)-1 {
			return first[i+1:]
		}
	}
	switch {
	case name == "":
		return first
	case strings.EqualFold(name, first):
		return name
	}
	return name + " (" + first + ")"
}

// reasonsText quotes up to two distinct reasons analysts gave.
func reasonsText(as []triage.PriorAlert) string {
	var quotes []string
	for _, a := range as {
		if a.Reason == nil || a.Reason.Body == "" {
			continue
		}
		q := fmt.Sprintf("%q", a.Reason.Body)
		if a.Reason.CreatedBy != "" {
			q += " (" + a.Reason.CreatedBy + ")"
		}
		if !slices.ContainsFunc(quotes, func(o string) bool { return strings.HasPrefix(o, fmt.Sprintf("%q", a.Reason.Body)) }) && len(quotes) < 2 {
			quotes = append(quotes, q)
		}
	}
	if len(quotes) == 0 {
		return ""
	}
	return ": " + strings.Join(quotes, "; ")
}

// placeText is " from 198.51.100.7 (AS…) in account 123…" for this alert.
func placeText(e triage.Entities) string {
	var s string
	if len(e.IPs) > 0 {
		s += " from the same place, " + e.PlaceOf(e.IPs[0]).String()
	}
	if len(e.Accounts) > 0 {
		s += " in account " + e.Accounts[0]
	}
	return s
}

// dispositionCounts is "2 resolved without a stated verdict, 1 still open".
func dispositionCounts(as []triage.PriorAlert) string {
	n := map[string]int{}
	for _, a := range as {
		n[a.Disposition]++
	}
	var parts []string
	if v := n[triage.DispositionHandled]; v > 0 {
		parts = append(parts, fmt.Sprintf("%d resolved without a stated verdict", v))
	}
	if v := n[triage.DispositionOpen]; v > 0 {
		parts = append(parts, fmt.Sprintf("%d still open", v))
	}
	return strings.Join(parts, ", ")
}

func priorEvidence(as []triage.PriorAlert) []triage.Evidence {
	var out []triage.Evidence
	for _, a := range as[:min(len(as), maxRefs)] {
		out = append(out, triage.Evidence{Kind: "alert", Ref: a.ID})
	}
	return out
}

// asns lists the networks of the entities' places.
func asns(e triage.Entities) []string {
	var out []string
	for _, p := range e.Places {
		if p.ASN != "" && !slices.Contains(out, p.ASN) {
			out = append(out, p.ASN)
		}
	}
	return out
}

// overlaps says whether two lists share a value, ignoring case.
func overlaps(a, b []string) bool {
	return slices.ContainsFunc(a, func(v string) bool { return containsFold(b, v) })
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(o string) bool { return strings.EqualFold(o, v) })
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

func orNone(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(list, ", ")
}

// titleActor is the actor a title names as "by [name]", as Panther's
// titles often do, or "".
func titleActor(title string) string {
	_, rest, ok := strings.Cut(title, " by [")
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, "]")
	if !ok {
		return ""
	}
	return strings.TrimSpace(name)
}
