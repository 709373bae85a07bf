// Package handler is panther-triage's HTTP surface: the router that takes
// Panther's Custom Webhook deliveries, answers health checks, and serves the
// investigations API.
//
// The webhook handler checks, validates and durably enqueues a delivery, then
// answers; it never does investigation work inside the request. Its
// dependencies are the one-method interfaces declared here.
package handler
