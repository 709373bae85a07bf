package panther

import (
	"context"
	"errors"
	"fmt"
)

// TokenPermissions returns the permissions of the API token in use
// (REST GET /api-tokens/self), e.g. "AlertRead", "RuleRead". Reading them may
// itself need "Read API Token Info": a token without it gets ErrForbidden.
func (c *Client) TokenPermissions(ctx context.Context) ([]string, error) {
	var out struct {
		Permissions []string `json:"permissions"`
	}
	if err := c.rest(ctx, "token_self", "GET", "/api-tokens/self", nil, nil, &out); err != nil {
		return nil, fmt.Errorf("panther: read token permissions: %w", err)
	}
	return out.Permissions, nil
}

// probeID is an ID no detection or query has, read by the permission
// probes: a 404 says the token may read the collection.
const probeID = "panther-triage.permission-check"

// ProbeCollection reads a detection that does not exist from a REST
// collection (CollectionRules, CollectionPolicies, …): nil when Panther
// answers 404, which only a token allowed to read the collection gets; the
// error otherwise (ErrForbidden without the permission).
func (c *Client) ProbeCollection(ctx context.Context, collection string) error {
	err := c.rest(ctx, "detection", "GET", "/"+collection+"/"+probeID, nil, nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("panther: probe %s: %w", collection, err)
}

// ProbeDataLake reads a data lake query that does not exist: nil when
// Panther answers "not found", which only a token allowed to query the data
// lake gets; the error otherwise.
func (c *Client) ProbeDataLake(ctx context.Context) error {
	_, err := c.LakeQuery(ctx, "00000000000000000000000000000000", 1)
	if err == nil || (errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden)) {
		return nil
	}
	return err
}
