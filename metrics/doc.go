// Package metrics holds the service's Prometheus metrics on a registry of
// its own (no global registry, no init). Each package that reports something
// declares the small interface it needs where it uses it; *Metrics
// implements them all, and cmd/panther-triage wires it in. Label values are
// bounded sets chosen by the code (outcomes, operations, step names), never
// an alert ID or other input.
package metrics
