package investigate

import "context"

// A Narrator writes the summary and next steps of a finished report in
// prose, e.g. with a language model. The report carries what happened
// (Report.Digest: the story, the actions in order, the objects to act on),
// the precedent (the history findings and the detection's track record
// among the verdict's reasons) and the findings. It only adds text: the
// verdict stays the one Decide reached.
type Narrator interface {
	Narrate(ctx context.Context, r Report) (Narrative, error)
}

// Narrative is a narrator's text with what is needed to audit it.
type Narrative struct {
	Summary   string   `json:"summary"`
	NextSteps []string `json:"nextSteps,omitempty"`
	// Audit trail: the model, the prompt sent, the raw reply and the token
	// counts the endpoint reported.
	Model            string `json:"model"`
	Prompt           string `json:"prompt"`
	Reply            string `json:"reply"`
	PromptTokens     int    `json:"promptTokens"`
	CompletionTokens int    `json:"completionTokens"`
}
