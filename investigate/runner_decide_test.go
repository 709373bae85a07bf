package investigate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

func TestDecideAfterFailure(t *testing.T) {
	rejected := &panther.APIError{Op: "alert", Status: 401, Message: "Unauthorized"}
	wrongURL := fmt.Errorf("panther: get alert a1 from https://acme.runpanther.net/public/graphql: %w", panther.ErrWrongURL)
	tests := []struct {
		name        string
		err         error
		interrupted bool
		last        bool
		since       time.Duration
		state       string
		snooze      time.Duration // -1: a retry that uses an attempt
		reason      []string
		unreadable  string
	}{
		{name: "shutdown", err: context.Canceled, interrupted: true, state: triage.StateQueued, snooze: 0},
		{name: "429 on the last attempt waits", err: &panther.RateLimitError{Wait: 3 * time.Second}, last: true, state: triage.StateQueued, snooze: 3 * time.Second},
		{name: "401 within the window waits", err: &ReadError{AlertID: "a1", Err: rejected}, since: time.Minute, state: triage.StateQueued, snooze: 15 * time.Second, reason: []string{"401"}},
		{name: "401 early waits at least 5s", err: rejected, state: triage.StateQueued, snooze: 5 * time.Second},
		{name: "401 after the window fails, pointing to check", err: &ReadError{AlertID: "a1", Err: rejected}, since: 11 * time.Minute, last: true,
			state: triage.StateFailed, snooze: -1, reason: []string{"token rejected: run `panther-triage check`"}, unreadable: "token_rejected"},
		{name: "wrong URL fails at once, naming the URL", err: &ReadError{AlertID: "a1", Err: wrongURL},
			state: triage.StateFailed, snooze: -1, reason: []string{"https://acme.runpanther.net/public/graphql", "panther-triage check"}, unreadable: "wrong_url"},
		{name: "403 reading the alert fails at once", err: &ReadError{AlertID: "a1", Err: &panther.APIError{Status: 403}},
			state: triage.StateFailed, snooze: -1, reason: []string{"panther-triage check"}, unreadable: "forbidden"},
		{name: "5xx retries", err: &panther.APIError{Status: 502}, state: triage.StateQueued, snooze: -1},
		{name: "5xx on the last attempt fails", err: &panther.APIError{Status: 502}, last: true, state: triage.StateFailed, snooze: -1},
		{name: "a call that never answered retries", err: fmt.Errorf("step events: %w", context.DeadlineExceeded), state: triage.StateQueued, snooze: -1},
		{name: "anything else fails", err: errors.New("boom"), state: triage.StateFailed, snooze: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(tt.err, tt.interrupted, tt.last, tt.since, DefaultAuthRetryWindow)
			if d.state != tt.state || d.snooze != tt.snooze || d.unreadable != tt.unreadable {
				t.Errorf("decide = %+v; want state %s, snooze %s, unreadable %q", d, tt.state, tt.snooze, tt.unreadable)
			}
			for _, r := range tt.reason {
				if !strings.Contains(d.reason, r) {
					t.Errorf("reason %q does not say %q", d.reason, r)
				}
			}
		})
	}
}
