// Package store keeps panther-triage's durable state: the river job queue,
// the delivery records that make the dedup window slide, and the
// investigation records the read API serves. It runs on SQLite (one file,
// the default) or on PostgreSQL when several replicas share one database,
// with the same behaviour on both.
package store
