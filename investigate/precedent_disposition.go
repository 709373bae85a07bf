package investigate

import (
	"slices"
	"strings"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// closingWords is the keyword table that reads analysts' closing comments.
// A word counts only as a whole word (or phrase), and not when "not", "no"
// or "non" comes just before it ("not malicious" is benign, not malicious).
// The newest comment that holds any of them decides.
var closingWords = struct{ benign, malicious []string }{
	benign: []string{
		"expected", "legit", "legitimate", "qa account", "test account", "false positive", "fp",
		"approved", "authorized", "authorised", "benign", "known", "planned", "intended",
		"sanctioned", "not malicious", "no threat", "as designed",
	},
	malicious: []string{
		"compromised", "compromise", "malicious", "true positive", "tp", "escalated", "escalate",
		"incident", "attacker", "unauthorized", "unauthorised", "breach", "phishing", "stolen",
	},
}

// negations turn the word after them around.
var negations = []string{"not ", "no ", "non-", "non ", "isn't ", "wasn't "}

// ClassifyComment says what a comment's words conclude: true positive,
// false positive, or "" when they say neither or both.
func ClassifyComment(body string) string {
	t := strings.ToLower(body)
	mal := countWords(t, closingWords.malicious)
	ben := countWords(t, closingWords.benign)
	switch {
	case mal > 0 && ben == 0:
		return triage.DispositionTruePositive
	case ben > 0 && mal == 0:
		return triage.DispositionFalsePositive
	}
	return ""
}

// countWords counts the words of list found in t, leaving out negated ones.
func countWords(t string, list []string) int {
	n := 0
	for _, w := range list {
		for i := 0; ; {
			j := strings.Index(t[i:], w)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(w)
			i = start + 1
			if (start > 0 && wordByte(t[start-1])) || (end < len(t) && wordByte(t[end])) {
				continue
			}
			if slices.ContainsFunc(negations, func(n string) bool { return strings.HasSuffix(t[:start], n) }) && !strings.HasPrefix(w, "not ") && !strings.HasPrefix(w, "no ") {
				continue
			}
			n++
		}
	}
	return n
}

// maxQuote bounds a quoted comment.
const maxQuote = 200

// analystComments keeps the comments people wrote (not this service's own
// reports), oldest first, each capped.
func analystComments(cs []panther.Comment) []triage.ClosingComment {
	var out []triage.ClosingComment
	for _, c := range cs {
		if IsOwnComment(c.Body) {
			continue
		}
		body := strings.Join(strings.Fields(c.Body), " ")
		if r := []rune(body); len(r) > maxQuote {
			body = string(r[:maxQuote-1]) + "…"
		}
		out = append(out, triage.ClosingComment{Body: body, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, Says: ClassifyComment(body)})
	}
	slices.SortStableFunc(out, func(a, b triage.ClosingComment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

// IsOwnComment says whether a comment is one this service posted.
func IsOwnComment(body string) bool {
	return strings.HasPrefix(strings.TrimSpace(body), "panther-triage:") || strings.Contains(body, "panther-triage run ")
}

// Judge says how analysts judged an alert from its status and their
// comments (oldest first), and which comment gives the reason: the newest
// that concludes anything, else the newest. CLOSED (the console's
// "Invalid") is a false positive whatever the comment says; RESOLVED only
// means handled, and its comment decides.
func Judge(status string, comments []triage.ClosingComment) (disposition string, reason *triage.ClosingComment) {
	for i := len(comments) - 1; i >= 0; i-- {
		if comments[i].Says != "" {
			reason = &comments[i]
			break
		}
	}
	if reason == nil && len(comments) > 0 {
		reason = &comments[len(comments)-1]
	}
	says := ""
	if reason != nil {
		says = reason.Says
	}
	switch status {
	case "CLOSED":
		return triage.DispositionFalsePositive, reason
	case "RESOLVED":
		if says != "" {
			return says, reason
		}
		return triage.DispositionHandled, reason
	}
	return triage.DispositionOpen, reason
}

// JudgeAlert is Judge on an alert's status and its comments as Panther
// lists them; this service's own comments are left out.
func JudgeAlert(status string, comments []panther.Comment) (disposition string, reason *triage.ClosingComment) {
	return Judge(status, analystComments(comments))
}
