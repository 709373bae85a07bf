// Package panther is the client for Panther's public API: GraphQL through
// hasura/go-graphql-client for alerts, events and comments, and REST through
// net/http for what GraphQL does not offer (alert context, comment listing,
// detections). Errors are classified in one place: ErrNotFound, IsTransient
// and *RateLimitError. The API token never appears in an error or a log.
package panther
