package panther

import (
	"context"
	"fmt"
)

// TokenPermissions returns the permissions of the API token in use
// (REST GET /api-tokens/self), e.g. "AlertRead", "RuleRead". Reading them may
// itself need "Read API Token Info": a token without it gets ErrUnauthorized.
func (c *Client) TokenPermissions(ctx context.Context) ([]string, error) {
	var out struct {
		Permissions []string `json:"permissions"`
	}
	if err := c.rest(ctx, "token_self", "GET", "/api-tokens/self", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("panther: read token permissions: %w", err)
	}
	return out.Permissions, nil
}
