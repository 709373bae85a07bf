package triage

// Finding is one fact a step established about an alert, with the evidence
// that backs it.
type Finding struct {
	// Step is the name of the step that made the finding.
	Step string `json:"step"`
	// Kind is a short stable identifier, e.g. "public_ip", "step_failed".
	Kind string `json:"kind"`
	// Title is one line for people.
	Title string `json:"title"`
	// Detail is optional further text.
	Detail string `json:"detail,omitempty"`
	// Weight says how the finding weighs on the verdict.
	Weight Weight `json:"weight"`
	// LogOdds is how much the finding moves the odds that the alert is a
	// true positive (natural log; positive toward malicious). Zero takes
	// the default of its Weight (see investigate.DefaultLogOdds).
	LogOdds float64 `json:"logOdds,omitempty"`
	// Fact names what the finding establishes when other findings may
	// establish the same (e.g. "tor 185.220.101.34" from IPinfo and from
	// Panther's Tor list): investigate.Decide counts each fact once, at its heaviest.
	Fact string `json:"fact,omitempty"`
	// Evidence points at what backs the finding: event p_row_ids, alert IDs,
	// query IDs.
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Weight is how much a finding counts toward a verdict, and in which
// direction.
type Weight string

// Weights of findings.
const (
	WeightInfo       Weight = "info"       // context only
	WeightBenign     Weight = "benign"     // points toward a false positive
	WeightSuspicious Weight = "suspicious" // points toward a true positive
	WeightMalicious  Weight = "malicious"  // strong sign of a true positive
	WeightMissing    Weight = "missing"    // evidence could not be gathered
)

// Evidence is a reference to something an analyst can open.
type Evidence struct {
	Kind string `json:"kind"` // "event" (p_row_id), "alert", "query", "detection"
	Ref  string `json:"ref"`
}

// Step names. A step's Name, the steps it runs After, the Step of its
// findings and the comment's sections all use these constants.
const (
	// StepEvents reads the alert's events and digests them into actions.
	StepEvents = "events"
	// StepActions reads what the digested actions mean (see investigate.Knowledge).
	StepActions = "actions"
	// StepIndicators extracts and ranks indicators.
	StepIndicators = "indicators"
	// StepDetection reads the alert's detection.
	StepDetection = "detection"
	// StepEnrichment tells what is known about the indicators.
	StepEnrichment = "enrichment"
	// StepHistory reads the detection's earlier alerts and related ones.
	StepHistory = "history"
	// StepPrecedent reads the events and analysts' comments of earlier and
	// nearby alerts and compares their actors, addresses and targets.
	StepPrecedent = "precedent"
	// StepBaseline reads where the top actor worked from in the last 30 days.
	StepBaseline = "baseline"
	// StepDatalake searches the data lake for the top indicators.
	StepDatalake = "datalake"
	// StepStorm names the finding of a comment that repeats an earlier
	// alert's verdict; it is not a step of the pipeline.
	StepStorm = "storm"
)

// Verdicts.
const (
	VerdictMalicious    = "malicious"
	VerdictSuspicious   = "suspicious"
	VerdictBenign       = "benign"
	VerdictInconclusive = "inconclusive"
)
