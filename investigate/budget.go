package investigate

import (
	"time"
)

// AttemptBudget is how long one attempt of an investigation may take when
// every Panther call uses its whole deadline: read is the longest one read
// can take with its retries, write the deadline of one write. It adds, in
// the order an attempt runs them:
//   - reading the alert and its events (two reads: the GraphQL document,
//     then REST when the events carry no alert context);
//   - the longest chain of steps that wait on each other, each step
//     bounded by its own timeout (StepTimeout, or the data lake's);
//   - the narrator's call, when there is one;
//   - posting the comment: up to postTries tries, each after a look for
//     the job's marker, with the pauses between them;
//   - the write-back, when it is on (a read and a write).
//
// The queue gives an attempt this long before it cancels it, so that a
// slow Panther makes an attempt retry, never cut off a comment halfway.
func (inv *Investigator) AttemptBudget(read, write time.Duration) time.Duration {
	d := 2*read + inv.longestStepChain()
	if inv.opts.Narrator != nil {
		d += narrateTimeout
	}
	for try := 1; try <= postTries; try++ {
		d += read + write
		if try < postTries {
			d += time.Duration(try) * 200 * time.Millisecond
		}
	}
	if len(inv.opts.WriteBack.Status) > 0 || len(inv.opts.WriteBack.Assignee) > 0 {
		d += read + write
	}
	return d
}

// longestStepChain is the longest time the steps can take, each run to its
// timeout: the heaviest path through the steps that run After others.
func (inv *Investigator) longestStepChain() time.Duration {
	byName := map[string]Step{}
	for _, s := range inv.steps {
		byName[s.Name()] = s
	}
	ends := map[string]time.Duration{} // step name → latest end
	var end func(s Step) time.Duration
	end = func(s Step) time.Duration {
		if e, ok := ends[s.Name()]; ok {
			return e
		}
		var start time.Duration
		if dep, ok := s.(Dependent); ok {
			for _, name := range dep.After() {
				start = max(start, end(byName[name])) // New has checked there is no cycle
			}
		}
		timeout := inv.opts.StepTimeout
		if t, ok := s.(Timed); ok && t.Timeout() > 0 {
			timeout = t.Timeout()
		}
		ends[s.Name()] = start + timeout
		return start + timeout
	}
	var longest time.Duration
	for _, s := range inv.steps {
		longest = max(longest, end(s))
	}
	return longest
}
