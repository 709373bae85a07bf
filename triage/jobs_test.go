package triage

import (
	"testing"
	"time"
)

func TestNormalizeTitle(t *testing.T) {
	want := "suspicious traffic detected from [123.123.123.123]"
	for _, in := range []string{
		"Suspicious traffic detected from [123.123.123.123]",
		"New Alert: Suspicious traffic detected from [123.123.123.123]",
		"[Re-sent]: New Alert: Suspicious  traffic detected from [123.123.123.123]",
		"new alert:suspicious traffic DETECTED from [123.123.123.123] ",
		"Updated Alert: Suspicious traffic detected from [123.123.123.123]",
	} {
		if got := NormalizeTitle(in); got != want {
			t.Errorf("NormalizeTitle(%q) = %q", in, got)
		}
	}
	if got := NormalizeTitle("[123.123.123.123] scanned us"); got != "[123.123.123.123] scanned us" {
		t.Errorf("a bracket without a colon is part of the title: %q", got)
	}
}

func TestRouteJobKeepsTheKindAndItsArguments(t *testing.T) {
	a := QueuedAlert{AlertID: "a1", DetectionID: "D", ReceivedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		route Route
		want  any
	}{
		{Route{}, InvestigateJob{a}},
		{Route{Mode: ModeRepeat, RepeatOf: "lead"}, RepeatJob{a, "lead"}},
		{Route{Mode: ModeOverBudget, Reason: "budget"}, OverBudgetJob{a, "budget"}},
	} {
		if got := tt.route.Job(a); got != tt.want {
			t.Errorf("%+v.Job = %#v; want %#v", tt.route, got, tt.want)
		}
	}
}
