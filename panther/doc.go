// Package panther is the client for Panther's public API: GraphQL through
// hasura/go-graphql-client for alerts, events and comments, and REST through
// net/http for what GraphQL does not offer (alert context, comment listing,
// detections). Errors are classified in one place, Classify: HTTP status
// first, a GraphQL error's code second, its message last; RetryAfter is the
// service's one notion of "rate limited". Calls are paced (WithRate, lowered
// on a 429), held while a Retry-After runs, and each has its own deadline
// (WithDeadlines). The API token never appears in an error or a log.
package panther
