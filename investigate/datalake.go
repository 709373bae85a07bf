package investigate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// Lake runs indicator searches in Panther's data lake.
type Lake interface {
	SearchIndicators(ctx context.Context, field string, indicators []string, start, end time.Time) (string, error)
	LakeQuery(ctx context.Context, id string, maxRows int) (*panther.LakeQuery, error)
	CancelLakeQuery(ctx context.Context, id string) error
}

// LakeCache keeps search results per (indicator, time window) so that
// alerts sharing indicators search once, and counts searches against the
// hourly budget. Claim either hands back a finished result, or makes the
// caller the one to run the search (and later Save or Release it), or says
// the hourly budget is used up.
type LakeCache interface {
	ClaimLakeSearch(ctx context.Context, key string, perHour int, wait time.Duration) (triage.LakeClaim, error)
	SaveLakeSearch(ctx context.Context, key string, r triage.LakeSearch) error
	ReleaseLakeSearch(ctx context.Context, key string) error
}

// maxLakeActions bounds the actions kept of one search's rows.
const maxLakeActions = 50

// The defaults of DatalakeOptions.
const (
	DefaultLakeMaxQueries = 3
	DefaultLakeMaxPerHour = 60
	DefaultLakeTimeout    = 60 * time.Second
)

// DatalakeOptions bound the data lake step. Zero values take the defaults.
type DatalakeOptions struct {
	// MaxPerInvestigation is how many indicators are searched per alert.
	// Default 3.
	MaxPerInvestigation int
	// MaxPerHour bounds searches run per hour by all replicas. Default 60.
	MaxPerHour int
	// Timeout is how long a search may run before it is cancelled.
	// Default 60 seconds.
	Timeout time.Duration
	// Before and After widen the window around the alert's events.
	// Defaults 24 hours and 1 hour.
	Before, After time.Duration
	// Bucket aligns windows so that alerts close in time share searches.
	// Default 1 hour.
	Bucket time.Duration
	// MaxRows is how many rows of a result are read. Default 200.
	MaxRows int
	// Observer, when set, is told of every search: outcome succeeded,
	// failed, timeout, cached or over_budget, and the bytes it scanned.
	Observer interface {
		DataLakeQuery(outcome string, bytesScanned int64)
	}
}

func (o *DatalakeOptions) setDefaults() {
	o.MaxPerInvestigation = cmp.Or(o.MaxPerInvestigation, DefaultLakeMaxQueries)
	o.MaxPerHour = cmp.Or(o.MaxPerHour, DefaultLakeMaxPerHour)
	o.Timeout = cmp.Or(o.Timeout, DefaultLakeTimeout)
	o.Before = cmp.Or(o.Before, 24*time.Hour)
	o.After = cmp.Or(o.After, time.Hour)
	o.Bucket = cmp.Or(o.Bucket, time.Hour)
	o.MaxRows = cmp.Or(o.MaxRows, 200)
}

// Datalake returns the step that searches the data lake for the alert's
// top indicators (public IPs, users, emails, actor IDs) over a window around
// its events, and reports where else they appear.
func Datalake(lake Lake, cache LakeCache, opts DatalakeOptions) Step {
	opts.setDefaults()
	return &datalakeStep{lake: lake, cache: cache, opts: opts}
}

type datalakeStep struct {
	lake  Lake
	cache LakeCache
	opts  DatalakeOptions
}

func (s *datalakeStep) Name() string    { return triage.StepDatalake }
func (s *datalakeStep) After() []string { return []string{triage.StepIndicators} }

// Timeout lets the step run past the default step timeout: a search may
// take up to opts.Timeout, plus a little to cancel it.
func (s *datalakeStep) Timeout() time.Duration { return s.opts.Timeout + 10*time.Second }

func (s *datalakeStep) Run(ctx context.Context, c *Case) ([]triage.Finding, error) {
	keys := lakeKeys(c.Indicators, s.opts.MaxPerInvestigation)
	if len(keys) == 0 {
		return []triage.Finding{{Step: triage.StepDatalake, Kind: "no_pivot", Weight: triage.WeightInfo, Title: "No public IP, user, email or actor ID to search for"}}, nil
	}
	start, end := s.window(c)
	own := map[string]bool{}
	ownTypes := map[string]bool{}
	for _, ev := range c.Events {
		if r, _ := ev["p_row_id"].(string); r != "" {
			own[r] = true
		}
		if lt, _ := ev["p_log_type"].(string); lt != "" {
			ownTypes[lt] = true
		}
	}

	type result struct {
		ind    Indicator
		search *triage.LakeSearch
		cached bool
		err    error
		budget bool
	}
	results := make([]result, len(keys))
	var wg sync.WaitGroup
	for i, ind := range keys {
		wg.Go(func() {
			r, cached, budget, err := s.search(ctx, ind, start, end)
			results[i] = result{ind: ind, search: r, cached: cached, err: err, budget: budget}
			s.observe(r, cached, budget, err)
		})
	}
	wg.Wait()

	var out []triage.Finding
	for _, r := range results {
		switch {
		case r.budget:
			out = append(out, triage.Finding{Step: triage.StepDatalake, Kind: "budget", Weight: triage.WeightMissing,
				Title: fmt.Sprintf("%s not searched: the data lake budget of %d searches per hour is used up", r.ind.Value, s.opts.MaxPerHour)})
			continue
		case r.err != nil:
			if panther.IsTransient(r.err) && ctx.Err() == nil && !errors.Is(r.err, errLakeTimeout) {
				return nil, r.err
			}
			out = append(out, triage.Finding{Step: triage.StepDatalake, Kind: "search_failed", Weight: triage.WeightMissing,
				Title: fmt.Sprintf("Search for %s failed: %s", r.ind.Value, stepError(r.err))})
			continue
		}
		c.AddCost(triage.Cost{LakeSearches: boolInt(!r.cached), LakeCached: boolInt(r.cached), BytesScanned: scanned(r.search, r.cached)})
		out = append(out, lakeFinding(r.ind, r.search, own, ownTypes))
	}
	return out, nil
}

// observe tells the observer how one search went.
func (s *datalakeStep) observe(r *triage.LakeSearch, cached, budget bool, err error) {
	if s.opts.Observer == nil {
		return
	}
	switch {
	case budget:
		s.opts.Observer.DataLakeQuery("over_budget", 0)
	case errors.Is(err, errLakeTimeout):
		s.opts.Observer.DataLakeQuery("timeout", 0)
	case err != nil:
		s.opts.Observer.DataLakeQuery("failed", 0)
	case cached:
		s.opts.Observer.DataLakeQuery("cached", 0)
	default:
		s.opts.Observer.DataLakeQuery("succeeded", int64(r.BytesScanned))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func scanned(s *triage.LakeSearch, cached bool) float64 {
	if cached {
		return 0
	}
	return s.BytesScanned
}

// LakeSearchKeys are the cache keys of the searches the data lake step
// runs for a case whose Alert, Events and Indicators are set (and Now, for
// an alert without times), under opts as the step is given them: one key
// per indicator it picks. Alerts whose keys are equal share one search.
func LakeSearchKeys(c *Case, opts DatalakeOptions) []string {
	opts.setDefaults()
	start, end := lakeWindow(c, opts)
	var out []string
	for _, ind := range lakeKeys(c.Indicators, opts.MaxPerInvestigation) {
		out = append(out, lakeSearchKey(ind, start, end))
	}
	return out
}

// lakeSearchKey is the cache key of one indicator's search over a window:
// the field it is searched in, its value and the window.
func lakeSearchKey(ind Indicator, start, end time.Time) string {
	key := strings.ToLower(ind.Value) + "|" + start.Format(time.RFC3339) + "|" + end.Format(time.RFC3339)
	if field := IndicatorField(ind.Kind); field != "" {
		key = field + ":" + key
	}
	return key
}

// window is the search window: from Before ahead of the first event to After
// past the last, widened to whole buckets.
func (s *datalakeStep) window(c *Case) (time.Time, time.Time) {
	return lakeWindow(c, s.opts)
}

func lakeWindow(c *Case, opts DatalakeOptions) (time.Time, time.Time) {
	first, last := c.Alert.CreatedAt, c.Alert.CreatedAt
	for _, ev := range c.Events {
		if t, ok := eventTime(ev); ok {
			if first.IsZero() || t.Before(first) {
				first = t
			}
			if t.After(last) {
				last = t
			}
		}
	}
	if first.IsZero() {
		first, last = c.Now, c.Now
	}
	start := first.Add(-opts.Before).Truncate(opts.Bucket)
	end := last.Add(opts.After).Truncate(opts.Bucket).Add(opts.Bucket)
	return start.UTC(), end.UTC()
}

var errLakeTimeout = errors.New("data lake search timed out")

// search answers from the cache or runs the search, polling with growing
// intervals and cancelling it at the timeout.
func (s *datalakeStep) search(ctx context.Context, ind Indicator, start, end time.Time) (r *triage.LakeSearch, cached, overBudget bool, err error) {
	field := IndicatorField(ind.Kind)
	key := lakeSearchKey(ind, start, end)
	claim, err := s.cache.ClaimLakeSearch(ctx, key, s.opts.MaxPerHour, s.opts.Timeout)
	switch {
	case err != nil:
		return nil, false, false, err
	case claim.Cached != nil:
		return claim.Cached, true, false, nil
	case claim.OverBudget:
		return nil, false, true, nil
	}
	r, err = s.run(ctx, field, ind.Value, start, end)
	if err != nil {
		_ = s.cache.ReleaseLakeSearch(context.WithoutCancel(ctx), key)
		return nil, false, false, err
	}
	// The search ran: keep its result even if this investigation is being
	// cancelled, and never leave the claim pending for others to wait on.
	if err := s.cache.SaveLakeSearch(context.WithoutCancel(ctx), key, *r); err != nil {
		_ = s.cache.ReleaseLakeSearch(context.WithoutCancel(ctx), key)
		return nil, false, false, err
	}
	return r, false, false, nil
}

// IndicatorField is the p_any_* field (Panther's IndicatorType) an
// indicator of that kind is searched in, so that Panther need not guess the
// kind from the value's shape: a bare username or an actor ID has none. ""
// for a kind without one (auto-detection).
func IndicatorField(kind string) string {
	switch kind {
	case KindIP:
		return "p_any_ip_addresses"
	case KindDomain:
		return "p_any_domain_names"
	case KindEmail:
		return "p_any_emails"
	case KindUsername:
		return "p_any_usernames"
	case KindActorID:
		return "p_any_actor_ids"
	case KindARN:
		return "p_any_aws_arns"
	case KindAccountID:
		return "p_any_aws_account_ids"
	case KindInstanceID:
		return "p_any_aws_instance_ids"
	case KindMD5:
		return "p_any_md5_hashes"
	case KindSHA1:
		return "p_any_sha1_hashes"
	case KindSHA256:
		return "p_any_sha256_hashes"
	}
	return ""
}

// run starts one search (one indicator, so one kind per search) and waits
// for its results.
func (s *datalakeStep) run(ctx context.Context, field, indicator string, start, end time.Time) (*triage.LakeSearch, error) {
	q, _, err := searchLake(ctx, s.lake, field, indicator, start, end, s.opts.MaxRows, s.opts.Timeout)
	if err != nil {
		return nil, err
	}
	return summarizeLake(q.ID, indicator, start, end, q), nil
}

// searchLake starts an indicator search for one indicator in field and
// polls it with growing intervals until it succeeded and its results are
// there: a finished query may still answer tryAgain, which is polled like a
// running one, within the same timeout. A search still running at the
// timeout, or when ctx ends, is cancelled. It returns the query and how
// often it polled.
func searchLake(ctx context.Context, lake Lake, field, indicator string, start, end time.Time, maxRows int, timeout time.Duration) (*panther.LakeQuery, int, error) {
	id, err := lake.SearchIndicators(ctx, field, []string{indicator}, start, end)
	if err != nil {
		return nil, 0, err
	}
	cancel := func() {
		cctx, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer done()
		_ = lake.CancelLakeQuery(cctx, id)
	}
	deadline := time.Now().Add(timeout)
	wait := 250 * time.Millisecond
	for polls := 1; ; polls++ {
		q, err := lake.LakeQuery(ctx, id, maxRows)
		if err != nil {
			return nil, polls, err
		}
		switch q.Status {
		case panther.LakeSucceeded:
			if !q.TryAgain {
				q.ID = cmp.Or(q.ID, id)
				return q, polls, nil
			}
		case panther.LakeFailed, panther.LakeCancelled:
			return nil, polls, fmt.Errorf("data lake query %s %s: %s", id, q.Status, q.Message)
		}
		if time.Now().Add(wait).After(deadline) {
			cancel()
			return nil, polls, fmt.Errorf("query %s: %w after %s", id, errLakeTimeout, timeout)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			cancel()
			return nil, polls, ctx.Err()
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// summarizeLake counts a result's rows per log type and keeps a few samples.
func summarizeLake(id, indicator string, start, end time.Time, q *panther.LakeQuery) *triage.LakeSearch {
	r := &triage.LakeSearch{QueryID: id, Indicator: indicator, Start: start, End: end, Rows: max(q.RowCount, len(q.Rows)), More: q.HasMore, BytesScanned: q.BytesScanned}
	byType := map[string]*triage.LakeLogType{}
	for _, row := range q.Rows {
		lt, _ := row["p_log_type"].(string)
		lt = cmp.Or(lt, "unknown")
		t, _ := eventTime(row)
		b := byType[lt]
		if b == nil {
			b = &triage.LakeLogType{LogType: lt, First: t, Last: t}
			byType[lt] = b
		}
		b.Rows++
		if !t.IsZero() && (b.First.IsZero() || t.Before(b.First)) {
			b.First = t
		}
		if t.After(b.Last) {
			b.Last = t
		}
		if id, _ := row["p_row_id"].(string); id != "" {
			r.Samples = append(r.Samples, triage.LakeSampleRow{RowID: id, LogType: lt, Time: t})
		}
	}
	if acts := NewDigest(q.Rows).Actions; len(acts) > 0 {
		r.Actions = acts[:min(len(acts), maxLakeActions)]
	}
	for _, b := range byType {
		r.LogTypes = append(r.LogTypes, *b)
	}
	slices.SortFunc(r.LogTypes, func(a, b triage.LakeLogType) int {
		return cmp.Or(cmp.Compare(b.Rows, a.Rows), cmp.Compare(a.LogType, b.LogType))
	})
	slices.SortFunc(r.Samples, func(a, b triage.LakeSampleRow) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.RowID, b.RowID))
	})
	return r
}

// lakeFinding says where else an indicator was seen. Hits in log types the
// alert did not come from point at activity beyond the alert.
func lakeFinding(ind Indicator, r *triage.LakeSearch, own, ownTypes map[string]bool) triage.Finding {
	f := triage.Finding{Step: triage.StepDatalake, Kind: "indicator_search", Weight: triage.WeightInfo,
		Evidence: []triage.Evidence{{Kind: "query", Ref: r.QueryID}}}
	window := fmt.Sprintf("%s to %s", r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339))
	var others []triage.LakeSampleRow
	for _, s := range r.Samples {
		if !own[s.RowID] {
			others = append(others, s)
		}
	}
	if len(others) == 0 {
		f.Title = fmt.Sprintf("%s appears only in this alert's events (%s)", ind.Value, window)
		return f
	}
	var parts, newTypes []string
	for _, lt := range r.LogTypes {
		parts = append(parts, fmt.Sprintf("%s (%d, %s to %s)", lt.LogType, lt.Rows, lt.First.Format(time.RFC3339), lt.Last.Format(time.RFC3339)))
		if !ownTypes[lt.LogType] {
			newTypes = append(newTypes, lt.LogType)
		}
	}
	more := ""
	if r.More {
		more = "+"
	}
	f.Title = fmt.Sprintf("%s seen in %d%s events between %s: %s", ind.Value, r.Rows, more, window, strings.Join(parts, "; "))
	// What it did beyond this alert's events, in the digest's words.
	var acts []triage.Action
	for _, a := range r.Actions {
		if a.RowID == "" || !own[a.RowID] {
			acts = append(acts, a)
		}
	}
	if seq := (&triage.Digest{Actions: acts}).Sequence(); seq != "" {
		var types []string
		for _, lt := range r.LogTypes {
			types = append(types, lt.LogType)
		}
		f.Title = fmt.Sprintf("%s also: %s (%d%s events in %s, %s)", ind.Value, seq, r.Rows, more, strings.Join(types, ", "), window)
	}
	if len(newTypes) > 0 && ind.Kind == KindIP && ind.Class == IPPublic {
		f.Weight = triage.WeightSuspicious
		f.Detail = fmt.Sprintf("The address is also active in %s, beyond this alert's logs", strings.Join(newTypes, ", "))
	}
	for _, s := range others[:min(len(others), maxRefs)] {
		f.Evidence = append(f.Evidence, triage.Evidence{Kind: "event", Ref: s.RowID})
	}
	return f
}

// lakeKeys picks the indicators worth a search: public IPs, users, emails
// and actor IDs, most frequent first.
func lakeKeys(inds []Indicator, max int) []Indicator {
	var out []Indicator
	for _, ind := range inds {
		if len(out) == max {
			break
		}
		switch {
		case ind.Kind == KindIP && ind.Class == IPPublic, ind.Kind == KindUsername, ind.Kind == KindEmail, ind.Kind == KindActorID:
			if !slices.ContainsFunc(out, func(o Indicator) bool { return strings.EqualFold(o.Value, ind.Value) }) {
				out = append(out, ind)
			}
		}
	}
	return out
}
