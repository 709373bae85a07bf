package panther

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// commentsPageSize is the largest page REST's comment listing allows.
const commentsPageSize = 50

// maxCommentPages stops a listing whose cursor never ends.
const maxCommentPages = 1000

// restComment is a comment as REST returns it.
type restComment struct {
	ID        string          `json:"id"`
	AlertID   string          `json:"alertId"`
	Body      json.RawMessage `json:"body"`
	Format    string          `json:"format"`
	CreatedAt string          `json:"createdAt"`
	CreatedBy json.RawMessage `json:"createdBy"`
}

// Comments lists every comment on an alert through REST
// (GET /alert-comments?alert-id=…), following the cursor across pages.
func (c *Client) Comments(ctx context.Context, alertID string) ([]Comment, error) {
	var out []Comment
	cursor := ""
	for range maxCommentPages {
		q := url.Values{"alert-id": {alertID}, "limit": {strconv.Itoa(commentsPageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Results []restComment `json:"results"`
			Next    *string       `json:"next"`
		}
		if err := c.rest(ctx, "comments", "GET", "/alert-comments", q, nil, &page); err != nil {
			return nil, fmt.Errorf("panther: list comments of alert %s: %w", alertID, err)
		}
		for _, rc := range page.Results {
			out = append(out, Comment{
				ID:        rc.ID,
				AlertID:   cmp.Or(rc.AlertID, alertID),
				Body:      jsonText(rc.Body),
				Format:    rc.Format,
				CreatedAt: parseTime(rc.CreatedAt),
				CreatedBy: actorID(rc.CreatedBy),
			})
		}
		if page.Next == nil || *page.Next == "" || *page.Next == cursor || len(page.Results) == 0 {
			return out, nil
		}
		cursor = *page.Next
	}
	return out, nil
}

// createAlertCommentInput is GraphQL's CreateAlertCommentInput.
type createAlertCommentInput struct {
	AlertID string `json:"alertId"`
	Body    string `json:"body"`
	Format  string `json:"format"`
}

// GetGraphQLType names the input type for the mutation's variable declaration.
func (createAlertCommentInput) GetGraphQLType() string { return "CreateAlertCommentInput" }

// AddComment posts a comment on an alert through GraphQL's
// createAlertComment. format is FormatPlainText or FormatHTML; empty means
// plain text.
func (c *Client) AddComment(ctx context.Context, alertID, body, format string) (Comment, error) {
	if format == "" {
		format = FormatPlainText
	}
	var m struct {
		CreateAlertComment struct {
			Comment struct {
				ID        string `graphql:"id"`
				Body      string `graphql:"body"`
				Format    string `graphql:"format"`
				CreatedAt string `graphql:"createdAt"`
				CreatedBy struct {
					User struct {
						ID string `graphql:"id"`
					} `graphql:"... on User"`
					APIToken struct {
						ID string `graphql:"id"`
					} `graphql:"... on APIToken"`
				} `graphql:"createdBy"`
			} `graphql:"comment"`
		} `graphql:"createAlertComment(input: $input)"`
	}
	vars := map[string]any{"input": createAlertCommentInput{AlertID: alertID, Body: body, Format: format}}
	if err := c.mutate(ctx, "add_comment", "PantherTriageAddComment", &m, vars); err != nil {
		return Comment{}, fmt.Errorf("panther: add comment to alert %s: %w", alertID, err)
	}
	cm := m.CreateAlertComment.Comment
	return Comment{
		ID:        cm.ID,
		AlertID:   alertID,
		Body:      cm.Body,
		Format:    cm.Format,
		CreatedAt: parseTime(cm.CreatedAt),
		CreatedBy: cmp.Or(cm.CreatedBy.User.ID, cm.CreatedBy.APIToken.ID),
	}, nil
}

// jsonText returns a JSON string's value, or the JSON text of anything else.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// actorID reads REST's actor ({"id": …, "type": …}, or a bare string).
func actorID(raw json.RawMessage) string {
	var a struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &a) == nil {
		return cmp.Or(a.ID, a.Type)
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
