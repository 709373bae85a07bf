package panther

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	graphql "github.com/hasura/go-graphql-client"
)

// Data lake query statuses, lower case as Panther sends them.
const (
	LakeRunning   = "running"
	LakeSucceeded = "succeeded"
	LakeFailed    = "failed"
	LakeCancelled = "cancelled"
)

// LakeQuery is the state of a data lake query (an indicator search or SQL).
type LakeQuery struct {
	ID      string
	Status  string // running, succeeded, failed, cancelled
	Message string
	// TryAgain is Panther's "If true, caller should try again": the query
	// succeeded but its results are not readable yet. Rows are then empty,
	// and mean nothing.
	TryAgain bool
	// Rows are the first result rows once the query succeeded; HasMore says
	// whether more were left unread.
	Rows         []Event
	HasMore      bool
	BytesScanned float64
	RowCount     int
}

// executeIndicatorSearchQueryInput is GraphQL's ExecuteIndicatorSearchQueryInput.
type executeIndicatorSearchQueryInput struct {
	Indicators    []string `json:"indicators"`
	IndicatorName string   `json:"indicatorName,omitempty"`
	StartTime     string   `json:"startTime"`
	EndTime       string   `json:"endTime"`
}

// GetGraphQLType names the input type for the query's variable declaration.
func (executeIndicatorSearchQueryInput) GetGraphQLType() string {
	return "ExecuteIndicatorSearchQueryInput"
}

// SearchIndicators starts an indicator search (executeIndicatorSearchQuery)
// over every log type for events whose p_any_* field named by field (the
// IndicatorType, e.g. p_any_usernames) holds one of the indicators between
// start and end, and returns the query's ID to poll with LakeQuery. An
// empty field leaves the kind to Panther's auto-detection, which knows
// only values whose shape names their kind (IPs, emails, domains, hashes,
// ARNs, account IDs): search one kind at a time and name it.
func (c *Client) SearchIndicators(ctx context.Context, field string, indicators []string, start, end time.Time) (string, error) {
	var m struct {
		Out struct {
			ID string `graphql:"id"`
		} `graphql:"executeIndicatorSearchQuery(input: $input)"`
	}
	in := executeIndicatorSearchQueryInput{Indicators: indicators, IndicatorName: field,
		StartTime: formatDateTime(start), EndTime: formatDateTime(end)}
	if err := c.mutate(ctx, "indicator_search", "PantherTriageIndicatorSearch", &m, map[string]any{"input": in}); err != nil {
		return "", fmt.Errorf("panther: start indicator search: %w", err)
	}
	return m.Out.ID, nil
}

// dataLakeQueryResultsInput is GraphQL's DataLakeQueryResultsInput.
type dataLakeQueryResultsInput struct {
	PageSize int `json:"pageSize"`
}

// GetGraphQLType names the input type for the query's variable declaration.
func (dataLakeQueryResultsInput) GetGraphQLType() string { return "DataLakeQueryResultsInput" }

// LakeQuery polls a data lake query; once it succeeded it returns up to
// maxRows rows of the first page (results are null while it runs).
func (c *Client) LakeQuery(ctx context.Context, id string, maxRows int) (*LakeQuery, error) {
	var q struct {
		Query struct {
			ID      string  `graphql:"id"`
			Status  string  `graphql:"status"`
			Message *string `graphql:"message"`
			Results *struct {
				Edges []struct {
					Node json.RawMessage `graphql:"node" scalar:"true"`
				} `graphql:"edges"`
				PageInfo struct {
					HasNextPage bool `graphql:"hasNextPage"`
				} `graphql:"pageInfo"`
				Stats struct {
					BytesScanned float64 `graphql:"bytesScanned"`
					RowCount     float64 `graphql:"rowCount"`
				} `graphql:"stats"`
				TryAgain *bool `graphql:"tryAgain"`
			} `graphql:"results(input: $input)"`
		} `graphql:"dataLakeQuery(id: $id)"`
	}
	vars := map[string]any{"id": graphql.ID(id), "input": dataLakeQueryResultsInput{PageSize: max(1, min(maxRows, 999))}}
	if err := c.query(ctx, "lake_query", "PantherTriageLakeQuery", &q, vars); err != nil {
		return nil, fmt.Errorf("panther: read data lake query %s: %w", id, err)
	}
	out := &LakeQuery{ID: q.Query.ID, Status: q.Query.Status, Message: deref(q.Query.Message)}
	if r := q.Query.Results; r != nil && r.TryAgain != nil && *r.TryAgain {
		out.TryAgain = true
	} else if r != nil {
		for i, e := range r.Edges {
			if i >= maxRows {
				out.HasMore = true
				break
			}
			ev, err := decodeEvent(e.Node)
			if err != nil {
				return nil, fmt.Errorf("panther: read data lake query %s: row %d: %w", id, i, err)
			}
			out.Rows = append(out.Rows, ev)
		}
		out.HasMore = out.HasMore || r.PageInfo.HasNextPage
		out.BytesScanned, out.RowCount = r.Stats.BytesScanned, int(r.Stats.RowCount)
	}
	return out, nil
}

// cancelDataLakeQueryInput is GraphQL's CancelDataLakeQueryInput.
type cancelDataLakeQueryInput struct {
	ID string `json:"id"`
}

// GetGraphQLType names the input type for the query's variable declaration.
func (cancelDataLakeQueryInput) GetGraphQLType() string { return "CancelDataLakeQueryInput" }

// CancelLakeQuery cancels a running data lake query.
func (c *Client) CancelLakeQuery(ctx context.Context, id string) error {
	var m struct {
		Out struct {
			ID string `graphql:"id"`
		} `graphql:"cancelDataLakeQuery(input: $input)"`
	}
	if err := c.mutate(ctx, "lake_cancel", "PantherTriageCancelLakeQuery", &m, map[string]any{"input": cancelDataLakeQueryInput{ID: id}}); err != nil {
		return fmt.Errorf("panther: cancel data lake query %s: %w", id, err)
	}
	return nil
}
