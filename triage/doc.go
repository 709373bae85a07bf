// Package triage holds the nouns the service's packages share: a webhook
// Delivery and what the store answered (Enqueued), the queue's job kinds,
// an investigation Record with its parts (findings, the digest of the
// alert's events, the precedent, the cost), the Summary a list shows, and
// the rows and counts that metrics and agreement read. It holds data and
// the way the data reads itself (a digest's story), never the pipeline:
// handler, store, metrics and agreement depend on it instead of on
// investigate or on the concrete store.
package triage
