package store

import (
	"slices"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// TestRouteAll is the intake's routing decision alone: storms, budgets and
// their order, without a database.
func TestRouteAll(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	cfg := Config{DedupWindow: 15 * time.Minute, MaxPerDetectionHour: 2, MaxPerHour: 3}
	arrive := func(id, detection, title string, ago time.Duration) arrival {
		return arrival{d: triage.Delivery{AlertID: id, DetectionID: detection}, title: title, at: now.Add(-ago)}
	}
	lead := func(leader string, ago time.Duration) stormLead {
		return stormLead{leader: leader, startedAt: now.Add(-ago).UnixMilli()}
	}
	tests := []struct {
		name    string
		storms  map[stormKey]stormLead
		counted tally
		as      []arrival
		want    []string // per arrival: "", "repeat:<leader>" or "over_budget"
		leads   []int
	}{
		{name: "a new title leads its storm",
			as:   []arrival{arrive("a1", "D", "root login", 0)},
			want: []string{""}, leads: []int{0}},
		{name: "the next one of the storm repeats its leader",
			as:   []arrival{arrive("a1", "D", "root login", 0), arrive("a2", "D", "root login", 0)},
			want: []string{"", "repeat:a1"}, leads: []int{0}},
		{name: "a storm read from the database is followed",
			storms: map[stormKey]stormLead{{"D", "root login"}: lead("a0", 10*time.Minute)},
			as:     []arrival{arrive("a1", "D", "root login", 0)},
			want:   []string{"repeat:a0"}},
		{name: "a storm older than the window is led again",
			storms: map[stormKey]stormLead{{"D", "root login"}: lead("a0", 16*time.Minute)},
			as:     []arrival{arrive("a1", "D", "root login", 0)},
			want:   []string{""}, leads: []int{0}},
		{name: "the leader's own redelivery is not its repeat",
			storms: map[stormKey]stormLead{{"D", "root login"}: lead("a1", time.Minute)},
			as:     []arrival{arrive("a1", "D", "root login", 0)},
			want:   []string{""}, leads: []int{0}},
		{name: "without a detection or a title there is no storm",
			as:   []arrival{arrive("a1", "", "root login", 0), arrive("a2", "", "root login", 0), arrive("a3", "D", "", 0)},
			want: []string{"", "", ""}},
		{name: "the detection's budget stops the third",
			as:   []arrival{arrive("a1", "D", "t1", 0), arrive("a2", "D", "t2", 0), arrive("a3", "D", "t3", 0)},
			want: []string{"", "", "over_budget"}, leads: []int{0, 1}},
		{name: "the hourly budget counts what the database holds",
			counted: tally{total: 3},
			as:      []arrival{arrive("a1", "E", "t1", 0)},
			want:    []string{"over_budget"}},
		{name: "a storm repeat is linked whatever the budgets say, and does not count",
			counted: tally{total: 2},
			storms:  map[stormKey]stormLead{{"D", "root login"}: lead("a0", time.Minute)},
			as:      []arrival{arrive("a1", "D", "root login", 0), arrive("a2", "E", "t", 0)},
			want:    []string{"repeat:a0", ""}, leads: []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storms := tt.storms
			if storms == nil {
				storms = map[stormKey]stormLead{}
			}
			tally := &budgetTally{counted: map[string]bool{}, total: tt.counted.total, byDetection: map[string]int{"D": 0, "E": 0}}
			idx := make([]int, len(tt.as))
			for i := range idx {
				idx[i] = i
			}
			leads := routeAll(cfg, storms, tally, tt.as, idx)
			for i, a := range tt.as {
				got := a.route.Mode
				if got == triage.ModeRepeat {
					got += ":" + a.route.RepeatOf
				}
				if got != tt.want[i] {
					t.Errorf("%s routed %q; want %q", a.d.AlertID, got, tt.want[i])
				}
			}
			if !slices.Equal(leads, tt.leads) {
				t.Errorf("leads = %v; want %v", leads, tt.leads)
			}
		})
	}
}

type tally struct{ total int }
