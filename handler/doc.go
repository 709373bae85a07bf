// Package handler is panther-triage's HTTP surface: the router that takes
// Panther's Custom Webhook deliveries, answers health checks, and serves the
// investigations API and page.
//
// The webhook handler checks, validates and durably enqueues a delivery, then
// answers; it never does investigation work inside the request. Its
// dependencies are the one-method interfaces declared here.
//
// The page and the API open to readers (access.go): viewers with HTTP
// Basic credentials from an htpasswd file, a read token for the API, or a
// person named by a trusted authenticating proxy. Lists answer summaries,
// filtered and paged by the store; only the single-record routes read a
// whole record.
package handler
