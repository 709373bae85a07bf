package panthersim

import (
	"cmp"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"
)

// lakeQuery is a data lake or indicator search query the server ran.
type lakeQuery struct {
	id         string
	sql        string
	indicators []string
	status     string // running succeeded failed cancelled
	message    string
	startedAt  time.Time
	finishedAt *time.Time
	pollsLeft  int // polls that still report running; negative: never finishes
	tryAgain   int // reads of the finished results that still answer tryAgain, with no rows
	rows       []map[string]any
}

// LakeQuery describes a data lake or indicator search query the server
// received, for assertions on what the client asked.
type LakeQuery struct {
	ID         string
	SQL        string
	Indicators []string // set for indicator searches
	Status     string   // running, succeeded, failed or cancelled
}

// DataLakeQueries returns the queries received so far, oldest first.
func (s *Server) DataLakeQueries() []LakeQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LakeQuery, 0, len(s.queries))
	for _, q := range s.queries {
		out = append(out, LakeQuery{ID: q.id, SQL: q.sql, Indicators: slices.Clone(q.indicators), Status: q.status})
	}
	slices.SortFunc(out, func(a, b LakeQuery) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// SetQueryPolls sets how many dataLakeQuery polls report a new query as
// running before it succeeds: 0 (the default) finishes at once, a negative
// n never finishes (until cancelled), to exercise timeouts.
func (s *Server) SetQueryPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queryPolls = n
}

// SetTryAgain makes the first n reads of every later query's results,
// once it has succeeded, answer tryAgain: true with no rows, as Panther may
// while it fetches them (default 0).
func (s *Server) SetTryAgain(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tryAgain = n
}

// SetSQLResult sets the rows every later executeDataLakeQuery returns
// (default none). Indicator searches do not use it: they search the events
// of the alerts the server holds.
func (s *Server) SetSQLResult(rows []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sqlRows = make([]map[string]any, len(rows))
	for i, r := range rows {
		s.sqlRows[i] = deepCopy(r)
	}
}

// startQuery records a new query. Callers hold s.mu.
func (s *Server) startQuery(sql string, indicators []string, rows []map[string]any) *lakeQuery {
	q := &lakeQuery{
		id:         s.nextID('d'),
		sql:        sql,
		indicators: indicators,
		status:     "running",
		message:    "Query is running",
		startedAt:  s.now().UTC(),
		pollsLeft:  s.queryPolls,
		tryAgain:   s.tryAgain,
		rows:       rows,
	}
	s.queries[q.id] = q
	return q
}

// executeSQL answers executeDataLakeQuery. Like Panther, it fails a query on
// the panther_* databases that does not bound p_event_time.
func (s *Server) executeSQL(in map[string]any) map[string]any {
	sql := str(in["sql"])
	q := s.startQuery(sql, nil, s.sqlRows)
	lower := strings.ToLower(sql)
	if !strings.Contains(lower, "p_event_time") && !strings.Contains(lower, "p_occurs_") {
		q.status, q.message = "failed", "queries on panther databases must filter on p_event_time"
		q.pollsLeft = 0
		now := s.now().UTC()
		q.finishedAt = &now
	}
	return map[string]any{"id": q.id}
}

// executeIndicatorSearch answers executeIndicatorSearchQuery: it searches
// the p_any_* fields of every event the server holds within the time range.
func (s *Server) executeIndicatorSearch(in map[string]any) (map[string]any, error) {
	indicators := strs(in["indicators"])
	start, okStart := parseDateTime(in["startTime"])
	end, okEnd := parseDateTime(in["endTime"])
	if !okStart || !okEnd || end.Before(start) {
		return nil, errorf("startTime and endTime must be DateTimes with startTime before endTime")
	}
	field := str(in["indicatorName"])
	if field == "" || field == "AutoDetectType" {
		// Like Panther, auto-detection knows a value only by its shape:
		// an IP, an email, a domain, a hash, an ARN or an account ID. The
		// kind of the first indicator decides; a value of no such shape
		// (a username, an actor ID) finds nothing.
		field = "-"
		if len(indicators) > 0 {
			field = cmp.Or(detectKind(indicators[0]), "-")
		}
	} else if !strings.HasPrefix(field, "p_any_") {
		field = ""
	}
	var rows []map[string]any
	seen := map[string]bool{}
	for _, id := range sortedKeys(s.alerts) {
		for _, ev := range s.alerts[id].Events {
			t, ok := eventTime(ev, "p_event_time")
			if !ok || t.Before(start) || t.After(end) || !matchesIndicator(ev, field, indicators) {
				continue
			}
			if rowID := str(ev["p_row_id"]); rowID != "" {
				if seen[rowID] {
					continue
				}
				seen[rowID] = true
			}
			rows = append(rows, ev)
		}
	}
	sql := fmt.Sprintf("-- indicator search for %s between %s and %s",
		strings.Join(indicators, ", "), formatTime(start), formatTime(end))
	q := s.startQuery(sql, indicators, rows)
	return map[string]any{"id": q.id}, nil
}

// Shapes auto-detection knows.
var (
	emailShape   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$`)
	domainShape  = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,}$`)
	hexShape     = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	accountShape = regexp.MustCompile(`^[0-9]{12}$`)
)

// detectKind is the p_any_* field auto-detection assigns a value by its
// shape, or "" when the shape names no kind.
func detectKind(v string) string {
	switch {
	case net.ParseIP(v) != nil:
		return "p_any_ip_addresses"
	case emailShape.MatchString(v):
		return "p_any_emails"
	case strings.HasPrefix(v, "arn:"):
		return "p_any_aws_arns"
	case accountShape.MatchString(v):
		return "p_any_aws_account_ids"
	case hexShape.MatchString(v) && len(v) == 32:
		return "p_any_md5_hashes"
	case hexShape.MatchString(v) && len(v) == 40:
		return "p_any_sha1_hashes"
	case hexShape.MatchString(v) && len(v) == 64:
		return "p_any_sha256_hashes"
	case domainShape.MatchString(v):
		return "p_any_domain_names"
	}
	return ""
}

// matchesIndicator reports whether an event's p_any_* field (or any of them
// when field is "") holds one of the indicators, case-insensitively.
func matchesIndicator(ev map[string]any, field string, indicators []string) bool {
	for k, v := range ev {
		if !strings.HasPrefix(k, "p_any_") || (field != "" && k != field) {
			continue
		}
		for _, have := range strs(v) {
			for _, want := range indicators {
				if strings.EqualFold(have, want) {
					return true
				}
			}
		}
	}
	return false
}

// cancelQuery answers cancelDataLakeQuery.
func (s *Server) cancelQuery(id string) (map[string]any, error) {
	q, ok := s.queries[id]
	if !ok {
		return nil, notFound("query " + id + " not found")
	}
	if q.status == "running" {
		now := s.now().UTC()
		q.status, q.message, q.finishedAt = "cancelled", "Query was cancelled", &now
	}
	return map[string]any{"id": q.id}, nil
}

// dataLakeQuery answers dataLakeQuery(id): each poll of a running query
// counts down its polls; results are null until it has succeeded.
func (s *Server) dataLakeQuery(id string) (map[string]any, error) {
	q, ok := s.queries[id]
	if !ok {
		return nil, notFound("query " + id + " not found")
	}
	if q.status == "running" {
		switch {
		case q.pollsLeft > 0:
			q.pollsLeft--
		case q.pollsLeft == 0:
			now := s.now().UTC()
			q.status, q.message, q.finishedAt = "succeeded", "Query succeeded", &now
		}
	}
	rows := q.rows
	status := q.status
	tryAgain := false
	if status == "succeeded" && q.tryAgain > 0 {
		q.tryAgain--
		tryAgain, rows = true, nil
	}
	return map[string]any{
		"id":          q.id,
		"sql":         q.sql,
		"status":      q.status,
		"message":     q.message,
		"name":        nil,
		"isScheduled": false,
		"issuedBy":    s.tokenObject(),
		"startedAt":   formatTime(q.startedAt),
		"completedAt": formatTimePtr(q.finishedAt),
		"results": resolver(func(args map[string]any) (any, error) {
			if status != "succeeded" {
				return nil, nil
			}
			in := obj(args["input"])
			page, next, err := paginate(rows, str(in["cursor"]), intOr(in["pageSize"], 999), 999)
			if err != nil {
				return nil, err
			}
			edges := make([]any, len(page))
			for i, r := range page {
				edges[i] = map[string]any{"id": nilIfEmpty(str(r["p_row_id"])), "node": r}
			}
			return map[string]any{
				"edges":      edges,
				"pageInfo":   pageInfo(str(in["cursor"]), next),
				"columnInfo": columnInfo(rows),
				"stats":      map[string]any{"bytesScanned": float64(4096 + 1024*len(rows)), "executionTime": 850.0, "rowCount": float64(len(rows))},
				"tryAgain":   tryAgain,
			}, nil
		}),
	}, nil
}

// columnInfo lists the columns of result rows, sorted, all typed as
// Snowflake would type JSON text.
func columnInfo(rows []map[string]any) map[string]any {
	types := map[string]any{}
	for _, r := range rows {
		for k := range r {
			types[k] = "VARCHAR"
		}
	}
	order := sortedKeys(types)
	orderAny := make([]any, len(order))
	for i, k := range order {
		orderAny[i] = k
	}
	return map[string]any{"order": orderAny, "types": types}
}
