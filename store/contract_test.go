package store

import "github.com/panther-triage/panther-triage/investigate"

// The store is the investigation's read cache and data lake cache.
var (
	_ investigate.ReadCache = (*Store)(nil)
	_ investigate.LakeCache = (*Store)(nil)
)
