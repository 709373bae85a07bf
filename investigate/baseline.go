package investigate

// Baseline is placeholder.
type Baseline struct{}
