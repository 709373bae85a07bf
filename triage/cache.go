package triage

import "time"

// ReadClaim is the answer to a claim on a read.
type ReadClaim struct {
	// Cached is the saved result when the read was done before.
	Cached []byte
	// Run is true when the caller is to read.
	Run bool
	// OverBudget is true when the hourly budget is used up.
	OverBudget bool
}

// LakeClaim is the answer to a claim on a search.
type LakeClaim struct {
	// Cached is set when the search ran before.
	Cached *LakeSearch
	// Run is true when the caller is to run the search.
	Run bool
	// OverBudget is true when the hourly budget is used up.
	OverBudget bool
}

// LakeSearch is the summary of one indicator search.
type LakeSearch struct {
	QueryID      string          `json:"queryId"`
	Indicator    string          `json:"indicator"`
	Start        time.Time       `json:"start"`
	End          time.Time       `json:"end"`
	Rows         int             `json:"rows"`
	More         bool            `json:"more"`
	BytesScanned float64         `json:"bytesScanned"`
	LogTypes     []LakeLogType   `json:"logTypes"`
	Samples      []LakeSampleRow `json:"samples"`
	// Actions are the rows read as the digest reads events (at most
	// maxLakeActions, oldest first), so that a finding can say what the
	// indicator did rather than how often it was seen.
	Actions []Action `json:"actions,omitempty"`
}

// LakeLogType counts the hits in one log type.
type LakeLogType struct {
	LogType string    `json:"logType"`
	Rows    int       `json:"rows"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

// LakeSampleRow is one telling row: where and when the indicator was seen.
type LakeSampleRow struct {
	RowID   string    `json:"rowId"`
	LogType string    `json:"logType"`
	Time    time.Time `json:"time"`
}
