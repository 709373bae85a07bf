package investigate

// DefaultMaxEvents is how many events of an alert are read by default.
const DefaultMaxEvents = 200

// PantherReader is everything the production steps read from Panther.
type PantherReader interface {
	EventSource
	DetectionSource
	AlertLister
	PrecedentSource
	Lake
}

// Store is what the production steps keep in the database: data lake
// results and the hourly search budget, and cached reads of other alerts.
type Store interface {
	LakeCache
	ReadCache
}

// Deps is what the production pipeline needs.
type Deps struct {
	// Panther is the API client.
	Panther PantherReader
	// Store keeps data lake results, cached reads and the hourly budgets.
	Store Store
	// Lists is the team's context file; nil when there is none.
	Lists *Lists
	// Providers are the optional reputation providers.
	Providers []Provider
	// MaxEvents is how many events are read per alert. Default
	// DefaultMaxEvents.
	MaxEvents int
	// Datalake bounds the data lake searches.
	Datalake DatalakeOptions
	// Precedent bounds the reads of other alerts.
	Precedent PrecedentOptions
	// Baseline bounds the search of the top actor's last 30 days.
	Baseline BaselineOptions
	// Actions configures what the actions step judges (the
	// organisation's domains).
	Actions ActionOptions
	// Observer, when set, is told of every data lake search (metrics).
	// It fills Datalake.Observer when that is unset.
	Observer interface {
		DataLakeQuery(outcome string, bytesScanned int64)
	}
}

// DefaultSteps returns the steps of the production pipeline. serve,
// investigate, the golden and quality tests all build it here, so that
// what is tested is what runs.
func DefaultSteps(d Deps) []Step {
	if d.MaxEvents <= 0 {
		d.MaxEvents = DefaultMaxEvents
	}
	if d.Observer != nil {
		if d.Datalake.Observer == nil {
			d.Datalake.Observer = d.Observer
		}
		if d.Baseline.Observer == nil {
			d.Baseline.Observer = d.Observer
		}
	}
	if d.Baseline.Timeout == 0 {
		d.Baseline.Timeout = d.Datalake.Timeout
	}
	return []Step{
		Events(d.Panther, d.MaxEvents),
		Actions(d.Actions),
		Indicators(),
		Detection(CachedDetections(d.Panther, d.Store, DefaultDetectionTTL)),
		Enrichment(d.Lists, d.Providers...),
		History(CachedAlerts(d.Panther, d.Store, DefaultListingTTL)),
		PrecedentStep(d.Panther, d.Store, d.Precedent),
		BaselineStep(d.Panther, d.Store, d.Baseline),
		Datalake(d.Panther, d.Store, d.Datalake),
	}
}
