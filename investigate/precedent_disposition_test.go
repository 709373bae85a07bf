package investigate

import (
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

func TestClassifyComment(t *testing.T) {
	tests := map[string]string{
		"QA account, expected.":                              triage.DispositionFalsePositive,
		"Legit: the admin's own laptop":                      triage.DispositionFalsePositive,
		"Approved change ITREQ-1203.":                        triage.DispositionFalsePositive,
		"false positive, closing":                            triage.DispositionFalsePositive,
		"Not malicious, a scanner we run":                    triage.DispositionFalsePositive,
		"Confirmed compromised credentials":                  triage.DispositionTruePositive,
		"True positive; escalated to IR":                     triage.DispositionTruePositive,
		"Incident INC-4411 opened":                           triage.DispositionTruePositive,
		"Unauthorized grant, revoked":                        triage.DispositionTruePositive, // not "authorized"
		"Unexpected login, asked the user":                   "",                             // not "expected"
		"Looked at it.":                                      "",
		"Expected at first, but the account was compromised": "", // both: unclear
	}
	for body, want := range tests {
		if got := ClassifyComment(body); got != want {
			t.Errorf("ClassifyComment(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestJudge(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC) }
	comments := func(bodies ...string) []panther.Comment {
		var out []panther.Comment
		for i, b := range bodies {
			out = append(out, panther.Comment{Body: b, CreatedBy: "sam@acme.io", CreatedAt: at(i)})
		}
		return out
	}
	tests := []struct {
		name, status string
		comments     []panther.Comment
		want, reason string
	}{
		{"closed is a false positive", "CLOSED", nil, triage.DispositionFalsePositive, ""},
		{"closed, reason quoted", "CLOSED", comments("looking", "QA account, expected."), triage.DispositionFalsePositive, "QA account, expected."},
		{"resolved alone only means handled", "RESOLVED", comments("Done."), triage.DispositionHandled, "Done."},
		{"resolved as expected", "RESOLVED", comments("Approved: ITREQ-1197."), triage.DispositionFalsePositive, "Approved: ITREQ-1197."},
		{"resolved as a true positive", "RESOLVED", comments("Compromised; escalated.", "Reset done."), triage.DispositionTruePositive, "Compromised; escalated."},
		{"the newest telling comment decides", "RESOLVED", comments("looks malicious", "No: approved change, legit."), triage.DispositionFalsePositive, "No: approved change, legit."},
		{"the service's own comment is not a reason", "RESOLVED", comments("panther-triage: MALICIOUS (confidence 0.90)\nTor exit node, compromised"), triage.DispositionHandled, ""},
		{"open", "OPEN", comments("expected"), triage.DispositionOpen, "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := JudgeAlert(tt.status, tt.comments)
			r := ""
			if reason != nil {
				r = reason.Body
			}
			if got != tt.want || r != tt.reason {
				t.Errorf("JudgeAlert = %s, %q; want %s, %q", got, r, tt.want, tt.reason)
			}
		})
	}
}
