// Package panthersim is a simulated Panther: an in-process HTTP server that
// speaks the subset of Panther's GraphQL and REST APIs that panther-triage
// uses, validates every GraphQL operation against a schema written from
// Panther's own (so a wrong field name or a missing alias fails as it would
// against Panther), keeps alerts, events, detections, comments and data lake
// queries in memory, and injects latency, 5xx and 429 on demand.
//
// The client tests, the end-to-end tests and `serve --dev` all use it, so it
// does not depend on package testing. Seed it with DefaultSeeds, LoadSeeds or
// AddAlert; every seed can also produce the Custom Webhook payload Panther
// would send for it (SeedAlert.WebhookPayload).
package panthersim
