package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/panther-triage/panther-triage/triage"
)

// Enqueue stores a delivery and its investigation job in one transaction,
// unless the same alert was accepted within the dedup window. When it
// returns without error the delivery is committed.
//
// The window slides: it starts at the first accepted delivery of the alert
// and ends DedupWindow later, whatever clock bucket that falls in. The
// delivery row is claimed with a conditional upsert, so two replicas that
// receive the same alert at once cannot both win.
//
// Concurrent calls share transactions (group commit, see batch.go): each
// caller is answered once the transaction holding its delivery committed.
func (s *Store) Enqueue(ctx context.Context, d triage.Delivery) (triage.Enqueued, error) {
	return s.batches.enqueue(ctx, d, s.cfg.Now())
}

// EnqueueMissed stores a delivery and its job only when the alert was never
// delivered at all, whenever that was: the reconciler's way in, for alerts
// whose webhook never arrived. Otherwise it answers Duplicate.
func (s *Store) EnqueueMissed(ctx context.Context, d triage.Delivery) (triage.Enqueued, error) {
	return s.enqueueAlone(ctx, arrival{d: d, at: s.cfg.Now()}, claimIfNeverSeen)
}

// A claim rule says when a delivery takes over the row of an alert that
// has one: claimWithinWindow once the window since that acceptance is over,
// claimIfNeverSeen never.
type claimRule int

const (
	claimWithinWindow claimRule = iota
	claimIfNeverSeen
)

// takes says whether a delivery at atMs takes over a row accepted at
// acceptedMs.
func (c claimRule) takes(acceptedMs, atMs, windowMs int64) bool {
	return c == claimWithinWindow && acceptedMs <= atMs-windowMs
}

// conflict is the rule as the delivery rows' upsert applies it, $1 being
// the window in milliseconds: a row taken by another transaction since it
// was read is not overwritten, and the race shows.
func (c claimRule) conflict() string {
	cond := "triage_delivery.accepted_at <= excluded.accepted_at - $1"
	if c == claimIfNeverSeen {
		cond += " AND 1 = 0"
	}
	return `ON CONFLICT (alert_id) DO UPDATE
		SET accepted_at = excluded.accepted_at, job_id = excluded.job_id, mode = excluded.mode,
		    detection_id = excluded.detection_id, payload = excluded.payload, queued = excluded.queued
		WHERE ` + cond
}

// errRaced fails a transaction that lost a race with another replica: a
// delivery row or a storm's lead it decided to take was taken since it read
// them. Admitted again, the delivery sees what the other replica did.
var errRaced = errors.New("store: another replica took a delivery or a storm meanwhile")

// arrival is a delivery and when the store was handed it.
type arrival struct {
	d  triage.Delivery
	at time.Time
	// title is the storm key of the title (see stormTitleKey), which tells
	// storms apart.
	title string
	route triage.Route
}

// enqueueAlone stores one delivery, admitting it again when it lost a race
// with another replica.
func (s *Store) enqueueAlone(ctx context.Context, a arrival, claim claimRule) (triage.Enqueued, error) {
	out, err := s.enqueueAll(ctx, []arrival{a}, claim)
	if errors.Is(err, errRaced) {
		out, err = s.enqueueAll(ctx, []arrival{a}, claim)
	}
	if err != nil {
		return triage.Enqueued{}, fmt.Errorf("store: enqueue alert %s: %w", a.d.AlertID, err)
	}
	return out[0], nil
}

// enqueueAll stores deliveries in one transaction and answers each, in the
// order of as. Each is admitted as if alone, after the ones before it: the
// dedup window, storms and budgets hold within the transaction as they do
// across transactions. The work is set-based: the transaction reads the
// batch's delivery rows, budget counts and storms, decides in turn what
// each delivery does, then writes the jobs, the delivery rows and the
// records with one statement each, so that a batch costs little more than
// a delivery. A write that finds another replica got there first fails
// the transaction with errRaced.
func (s *Store) enqueueAll(ctx context.Context, as []arrival, claim claimRule) ([]triage.Enqueued, error) {
	for i := range as {
		if as[i].d.ReceivedAt.IsZero() {
			as[i].d.ReceivedAt = as[i].at
		}
		as[i].title = stormTitleKey(as[i].d.Title)
	}
	// Rows are written in one order (storm, then alert), so that concurrent
	// transactions on PostgreSQL wait for each other rather than deadlock.
	order := make([]int, len(as))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := &as[i], &as[j]
		if c := strings.Compare(a.d.DetectionID, b.d.DetectionID); c != 0 {
			return c
		}
		if c := strings.Compare(a.title, b.title); c != 0 {
			return c
		}
		return strings.Compare(a.d.AlertID, b.d.AlertID)
	})
	// A second delivery of an alert in the batch answers as the first's
	// duplicate.
	var firsts []int
	firstOf := map[string]int{}
	repeatOf := map[int]int{}
	for _, i := range order {
		if j, ok := firstOf[as[i].d.AlertID]; ok {
			repeatOf[i] = j
			continue
		}
		firstOf[as[i].d.AlertID] = i
		firsts = append(firsts, i)
	}

	window := s.cfg.DedupWindow.Milliseconds()
	out := make([]triage.Enqueued, len(as))
	var memoTx uint64
	err := s.be.inTx(ctx, func(q querier, insert insertFunc) error {
		clear(out)
		prior, err := s.readDeliveries(ctx, q, as, firsts)
		if err != nil {
			return err
		}
		var admitted []int
		for _, i := range firsts {
			a := &as[i]
			if p, ok := prior[a.d.AlertID]; ok && !claim.takes(p.acceptedAt, a.at.UnixMilli(), window) {
				out[i] = triage.Enqueued{JobID: p.jobID, Duplicate: true}
				continue
			}
			admitted = append(admitted, i)
		}
		if len(admitted) > 0 {
			tally, err := s.readBudgets(ctx, q, as, admitted, prior)
			if err != nil {
				return err
			}
			if err := s.route(ctx, q, tally, as, admitted); err != nil {
				return err
			}
			jobs := make([]river.InsertManyParams, len(admitted))
			for k, i := range admitted {
				// The job's own MaxAttempts: the client that inserts does not work
				// jobs, and its default would be river's (25), not the configured one.
				opts := &river.InsertOpts{MaxAttempts: s.cfg.MaxAttempts}
				if s.cfg.Settle > 0 {
					opts.ScheduledAt = as[i].at.Add(s.cfg.Settle)
				}
				a := as[i].d
				jobs[k] = river.InsertManyParams{InsertOpts: opts,
					Args: as[i].route.Job(triage.QueuedAlert{AlertID: a.AlertID, DetectionID: a.DetectionID, ReceivedAt: a.ReceivedAt})}
			}
			ids, err := insert(ctx, jobs)
			if err != nil {
				return fmt.Errorf("insert jobs: %w", err)
			}
			for _, i := range admitted {
				id, ok := ids[as[i].d.AlertID]
				if !ok {
					return fmt.Errorf("insert jobs: no job came back for alert %s", as[i].d.AlertID)
				}
				out[i].JobID = id
			}
			if err := s.writeDeliveries(ctx, q, as, admitted, out, prior, claim); err != nil {
				return err
			}
			if s.memo != nil {
				memoTx = s.memo.wrote(as, admitted)
			}
		}
		for i, j := range repeatOf {
			out[i] = triage.Enqueued{JobID: out[j].JobID, Duplicate: true}
		}
		return nil
	})
	if memoTx != 0 {
		s.memo.settle(memoTx, err == nil)
	}
	s.health.note(s.cfg.Now(), err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// priorDelivery is what the delivery row of an alert held before the
// transaction.
type priorDelivery struct {
	acceptedAt int64
	jobID      int64
	mode       string
}

// readDeliveries reads the delivery rows of the alerts of as[idx].
func (s *Store) readDeliveries(ctx context.Context, q querier, as []arrival, idx []int) (map[string]priorDelivery, error) {
	args := make([]any, len(idx))
	for k, i := range idx {
		args[k] = as[i].d.AlertID
	}
	out := make(map[string]priorDelivery, len(idx))
	err := scanRows(ctx, q, `SELECT alert_id, accepted_at, job_id, mode FROM triage_delivery
		WHERE alert_id IN (`+marks(1, len(idx))+`)`, args, func(r rows) error {
		var id string
		var p priorDelivery
		err := r.Scan(&id, &p.acceptedAt, &p.jobID, &p.mode)
		out[id] = p
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read deliveries: %w", err)
	}
	return out, nil
}

// writeDeliveries writes the delivery rows of as[idx], each with its job,
// its mode and its queued record. An alert delivered for the first time
// keeps that record in its delivery row, where reads find it until its job
// saves a record (records.go): a record row of its own would cost a second
// row and a second index entry at a random place in the index, about a
// fifth of the intake's time on SQLite. Records are saved only by the jobs
// of deliveries, so only an alert delivered before can have a record row,
// from its earlier job; that row is replaced by the queued record.
func (s *Store) writeDeliveries(ctx context.Context, q querier, as []arrival, idx []int, out []triage.Enqueued, prior map[string]priorDelivery, claim claimRule) error {
	args := make([]any, 1, 1+7*len(idx))
	args[0] = s.cfg.DedupWindow.Milliseconds()
	var values strings.Builder
	var again []triage.Record
	for k, i := range idx {
		a := &as[i]
		rec := triage.Record{
			AlertID:     a.d.AlertID,
			JobID:       out[i].JobID,
			DetectionID: a.d.DetectionID,
			Title:       capText(a.d.Title, MaxTitleBytes),
			Severity:    a.d.Severity,
			Link:        a.d.Link,
			State:       triage.StateQueued,
			CreatedAt:   a.at,
			UpdatedAt:   a.at,
		}
		queued := ""
		if _, ok := prior[a.d.AlertID]; ok {
			again = append(again, rec)
		} else {
			body, err := json.Marshal(rec)
			if err != nil {
				return fmt.Errorf("encode record: %w", err)
			}
			queued = string(body)
		}
		if k > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		args = append(args, a.d.AlertID, a.at.UnixMilli(), out[i].JobID, a.d.DetectionID, a.route.Mode, string(a.d.Payload), queued)
	}
	if err := claimAll(ctx, q, `INSERT INTO triage_delivery (alert_id, accepted_at, job_id, detection_id, mode, payload, queued)
		VALUES `+values.String()+` `+claim.conflict()+` RETURNING alert_id`, args, len(idx)); err != nil {
		return fmt.Errorf("write deliveries: %w", err)
	}
	if len(again) > 0 {
		if err := putRecords(ctx, q, again); err != nil {
			return fmt.Errorf("queued records: %w", err)
		}
	}
	return nil
}

// jobsByAlert maps inserted investigation jobs to their alerts: river does
// not promise to return them in the order they were given.
func jobsByAlert(res []*rivertype.JobInsertResult) (map[string]int64, error) {
	out := make(map[string]int64, len(res))
	for _, r := range res {
		var args struct {
			AlertID string `json:"alert_id"`
		}
		if err := json.Unmarshal(r.Job.EncodedArgs, &args); err != nil {
			return nil, fmt.Errorf("insert jobs: read back job %d: %w", r.Job.ID, err)
		}
		out[args.AlertID] = r.Job.ID
	}
	return out, nil
}

// marks returns n placeholders from $first on: "$1, $2, $3".
func marks(first, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+k)
	}
	return b.String()
}

// stormTitleKey is the key of a title in the storm table: the SHA-256 of
// the normalised title, in hex, "" for a title that normalises to nothing.
// A hash keeps the key small whatever the title's length (an index row
// holds at most about 2.7 KB on PostgreSQL) and still tells apart titles
// that share a long prefix.
func stormTitleKey(title string) string {
	norm := triage.NormalizeTitle(title)
	if norm == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}

// stormKey names a storm: alerts of one detection with one normalised
// title.
type stormKey struct{ detection, title string }

// stormLead is the alert investigated for a storm, and since when.
type stormLead struct {
	leader    string
	startedAt int64
}

// route decides what the job of each claimed delivery as[idx] does, inside
// the transaction: the storms are read in one statement, routeAll decides,
// and the new leads are written in one statement.
func (s *Store) route(ctx context.Context, q querier, tally *budgetTally, as []arrival, idx []int) error {
	storms, err := s.readStorms(ctx, q, as, idx)
	if err != nil {
		return err
	}
	leads := routeAll(s.cfg, storms, tally, as, idx)
	return s.leadStorms(ctx, q, as, leads)
}

// routeAll decides, in turn, what the job of each claimed delivery as[idx]
// does: link to the leader of its storm, stop at a budget, or investigate
// (and lead its storm). A storm repeat is linked whatever the budgets say.
// It reads and writes nothing but its arguments: storms (the storms as
// read, to which it adds the new leads), tally (the budgets' counts) and
// each delivery's route. It returns the deliveries that lead a storm.
func routeAll(cfg Config, storms map[stormKey]stormLead, tally *budgetTally, as []arrival, idx []int) (leads []int) {
	window := cfg.DedupWindow.Milliseconds()
	for _, i := range idx {
		a := &as[i]
		tally.claimed(a.d.AlertID, a.d.DetectionID)
		a.route = triage.Route{}
		key, storm := a.stormKey()
		if l, ok := storms[key]; storm && ok && l.startedAt > a.at.UnixMilli()-window && l.leader != a.d.AlertID {
			a.route = triage.Route{Mode: triage.ModeRepeat, RepeatOf: l.leader}
		} else if reason := tally.overBudget(cfg, a.d.DetectionID); reason != "" {
			a.route = triage.Route{Mode: triage.ModeOverBudget, Reason: reason}
		} else if storm {
			storms[key] = stormLead{leader: a.d.AlertID, startedAt: a.at.UnixMilli()}
			leads = append(leads, i)
		}
		if a.route.Mode != triage.ModeInvestigate {
			tally.routedAway(a.d.DetectionID)
		}
	}
	return leads
}

// stormKey is the storm of a delivery; ok is false for one without
// detection or title, which is never a storm.
func (a *arrival) stormKey() (stormKey, bool) {
	return stormKey{a.d.DetectionID, a.title}, a.d.DetectionID != "" && a.title != ""
}

// readStorms reads the storms of the deliveries as[idx].
func (s *Store) readStorms(ctx context.Context, q querier, as []arrival, idx []int) (map[stormKey]stormLead, error) {
	out := map[stormKey]stormLead{}
	var args []any
	var keys strings.Builder
	seen := map[stormKey]bool{}
	for _, i := range idx {
		key, ok := as[i].stormKey()
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		if len(args) > 0 {
			keys.WriteString(", ")
		}
		fmt.Fprintf(&keys, "($%d, $%d)", len(args)+1, len(args)+2)
		args = append(args, key.detection, key.title)
	}
	if len(args) == 0 {
		return out, nil
	}
	err := scanRows(ctx, q, `SELECT detection_id, title_key, leader_alert_id, started_at FROM triage_storm
		WHERE (detection_id, title_key) IN (`+keys.String()+`)`, args, func(r rows) error {
		var k stormKey
		var l stormLead
		err := r.Scan(&k.detection, &k.title, &l.leader, &l.startedAt)
		out[k] = l
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read storms: %w", err)
	}
	return out, nil
}

// leadStorms makes the deliveries as[idx] the leaders of their storms. A
// storm whose lead another replica took within the window since it was
// read fails the transaction with errRaced.
func (s *Store) leadStorms(ctx context.Context, q querier, as []arrival, idx []int) error {
	if len(idx) == 0 {
		return nil
	}
	args := []any{s.cfg.DedupWindow.Milliseconds()}
	var values strings.Builder
	for k, i := range idx {
		a := &as[i]
		if k > 0 {
			values.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&values, "($%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
		args = append(args, a.d.DetectionID, a.title, a.d.AlertID, a.at.UnixMilli())
	}
	if err := claimAll(ctx, q, `
		INSERT INTO triage_storm (detection_id, title_key, leader_alert_id, started_at) VALUES `+values.String()+`
		ON CONFLICT (detection_id, title_key) DO UPDATE
			SET leader_alert_id = excluded.leader_alert_id, started_at = excluded.started_at
			WHERE triage_storm.started_at <= excluded.started_at - $1 OR triage_storm.leader_alert_id = excluded.leader_alert_id
		RETURNING leader_alert_id`, args, len(idx)); err != nil {
		return fmt.Errorf("lead storms: %w", err)
	}
	return nil
}

// claimAll runs an insert whose RETURNING names each row it claimed, and
// answers errRaced unless all want rows were claimed: another replica got
// some first, and the batch is retried delivery by delivery.
func claimAll(ctx context.Context, q querier, query string, args []any, want int) error {
	got := 0
	err := scanRows(ctx, q, query, args, func(r rows) error {
		got++
		var key string
		return r.Scan(&key)
	})
	if err != nil {
		return err
	}
	if got != want {
		return errRaced
	}
	return nil
}

// ReleaseDelivery ends the dedup window of an alert whose investigation by
// jobID failed for good, so that a redelivery of the alert starts a new job
// instead of being a duplicate. The delivery keeps counting in the hourly
// budgets (its time moves back by the window, no more).
func (s *Store) ReleaseDelivery(ctx context.Context, alertID string, jobID int64) error {
	err := s.be.db().exec(ctx, `UPDATE triage_delivery SET accepted_at = accepted_at - $1 WHERE alert_id = $2 AND job_id = $3`,
		s.cfg.DedupWindow.Milliseconds(), alertID, jobID)
	if err != nil {
		return fmt.Errorf("store: release delivery of %s: %w", alertID, err)
	}
	return nil
}
