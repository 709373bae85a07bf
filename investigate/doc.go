// Package investigate is the investigation pipeline: a Case built from a
// Panther alert, Steps that each inspect it and report Findings, a pure
// Decide that weighs the findings into a Verdict, the rendering of the
// comment, and the queue worker that runs it all once per delivery and posts
// the comment exactly once.
package investigate
