package investigate

import (
	"context"

	"github.com/panther-triage/panther-triage/triage"
)

// A Narrator writes the summary and next steps of a finished report in
// prose, e.g. with a language model. The report carries what happened
// (Report.Digest: the story, the actions in order, the objects to act on),
// the precedent (the history findings and the detection's track record
// among the verdict's reasons) and the findings. It only adds text: the
// verdict stays the one Decide reached.
type Narrator interface {
	Narrate(ctx context.Context, r Report) (triage.Narrative, error)
}
