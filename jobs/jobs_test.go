package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/agreement"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/reconcile"
)

func TestControl(t *testing.T) {
	boom := errors.New("boom")
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	tests := []struct {
		name string
		next investigate.Next
		want func(error) bool
	}{
		{"finished completes", investigate.Next{Action: investigate.Finished}, func(err error) bool { return err == nil }},
		{"retry later returns the error for the backoff", investigate.Next{Action: investigate.RetryLater, Err: boom},
			func(err error) bool { return err == boom }},
		{"hand back snoozes for After", investigate.Next{Action: investigate.HandBack, After: 3 * time.Second, Err: boom},
			func(err error) bool { return errors.As(err, &snooze) && snooze.Duration == 3*time.Second }},
		{"hand back at once", investigate.Next{Action: investigate.HandBack},
			func(err error) bool { return errors.As(err, &snooze) && snooze.Duration == 0 }},
		{"give up cancels with the error", investigate.Next{Action: investigate.GiveUp, Err: boom},
			func(err error) bool { return errors.As(err, &cancel) && errors.Is(err, boom) }},
	}
	for _, tt := range tests {
		if got := control(tt.next); !tt.want(got) {
			t.Errorf("%s: control(%+v) = %v", tt.name, tt.next, got)
		}
	}
}

func TestPeriodicOnlyWhatIsOn(t *testing.T) {
	judge := investigate.JudgeAlert
	on := Deps{
		Reconciler: reconcile.New(reconcile.Config{Every: time.Minute}, nil, nil, nil, zerolog.Nop()),
		Agreement:  agreement.New(agreement.Config{Every: time.Hour, Judge: judge}, nil, nil, zerolog.Nop()),
	}
	if got := len(Periodic(on)); got != 2 {
		t.Errorf("periodic jobs with both on: %d; want 2", got)
	}
	off := Deps{
		Reconciler: reconcile.New(reconcile.Config{}, nil, nil, nil, zerolog.Nop()),
		Agreement:  agreement.New(agreement.Config{Judge: judge}, nil, nil, zerolog.Nop()),
	}
	if got := len(Periodic(off)); got != 0 {
		t.Errorf("periodic jobs with both off: %d; want 0", got)
	}
}
