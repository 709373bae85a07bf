package investigate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/triage"
)

// fakeLister serves alerts from a slice, filtered as Panther would.
type fakeLister struct{ alerts []panther.Alert }

var _ AlertLister = (*fakeLister)(nil)

func (f *fakeLister) AlertsByDetection(_ context.Context, id string, since, _ time.Time, max int) ([]panther.Alert, error) {
	var out []panther.Alert
	for _, a := range f.alerts {
		if a.Detection != nil && a.Detection.ID == id && !a.CreatedAt.Before(since) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeLister) AlertsBetween(_ context.Context, after, before time.Time, max int) ([]panther.Alert, error) {
	var out []panther.Alert
	for _, a := range f.alerts {
		if !a.CreatedAt.Before(after) && a.CreatedAt.Before(before) {
			out = append(out, a)
		}
	}
	return out, nil
}

func TestHistory(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	alert := func(id, det, title, status string, ago time.Duration) panther.Alert {
		return panther.Alert{ID: id, Title: title, Status: status, CreatedAt: now.Add(-ago), Detection: &panther.DetectionRef{ID: det}}
	}
	this := alert("this", "Okta.BruteForce", "New Alert: Brute force against [mallory@acme.io]", "OPEN", 0)
	c := &Case{Alert: &this, Now: now, Indicators: []Indicator{
		{Kind: KindEmail, Value: "mallory@acme.io", Events: 5},
		{Kind: KindIP, Value: "91.240.118.172", Class: IPPublic, Events: 5},
	}}
	tests := []struct {
		name   string
		others []panther.Alert
		want   map[string]triage.Weight // finding kind → weight
	}{
		{"first alert", nil, map[string]triage.Weight{"first_alert": triage.WeightInfo}},
		{"mostly false positives", []panther.Alert{
			alert("a", "Okta.BruteForce", "Brute force against [bob@acme.io]", "CLOSED", time.Hour),
			alert("b", "Okta.BruteForce", "Brute force against [mallory@acme.io]", "CLOSED", 2*time.Hour),
			alert("c", "Okta.BruteForce", "Brute force against [bob@acme.io]", "CLOSED", 3*time.Hour),
			alert("old", "Okta.BruteForce", "Brute force against [bob@acme.io]", "OPEN", 8*24*time.Hour),
			alert("later", "Okta.BruteForce", "Brute force against [bob@acme.io]", "OPEN", -time.Hour),
		}, map[string]triage.Weight{"detection_history": triage.WeightInfo, "similar_alert": triage.WeightInfo, "usually_false_positive": triage.WeightInfo}},
		{"lists for the precedent, in both directions", []panther.Alert{
			alert("a", "Okta.BruteForce", "Brute force against [bob@acme.io]", "RESOLVED", time.Hour),
			alert("b", "Okta.BruteForce", "Brute force against [eve@acme.io]", "OPEN", 2*time.Hour),
			alert("c", "Okta.BruteForce", "Brute force against [bob@acme.io]", "CLOSED", 3*time.Hour),
			alert("x", "Okta.MFAReset", "MFA reset for mallory@acme.io", "OPEN", 5*time.Hour),
			alert("y", "AWS.Console", "Login from 91.240.118.1", "OPEN", 5*time.Hour),    // another address
			alert("z", "AWS.Console", "Login from 91.240.118.172", "OPEN", 30*time.Hour), // outside 24 h
			alert("w", "AWS.Console", "Login from 91.240.118.172", "OPEN", -time.Hour),   // after this one
		}, map[string]triage.Weight{"detection_history": triage.WeightInfo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Case{Alert: c.Alert, Now: now.Add(2 * time.Hour), Indicators: c.Indicators}
			fs, err := History(&fakeLister{alerts: tt.others}).Run(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]triage.Weight{}
			for _, f := range fs {
				got[f.Kind] = f.Weight
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("findings %v; want %v\n%+v", got, tt.want, fs)
			}
			if tt.name == "lists for the precedent, in both directions" {
				var nearby, earlier []string
				for _, a := range c.NearbyAlerts {
					nearby = append(nearby, a.ID)
				}
				for _, a := range c.DetectionAlerts {
					earlier = append(earlier, a.ID)
				}
				if strings.Join(nearby, ",") != "w,a,b,c,x,y" || strings.Join(earlier, ",") != "a,b,c" {
					t.Errorf("nearby %v, want w,a,b,c,x,y (newest first, an hour after included); earlier %v, want a,b,c", nearby, earlier)
				}
			}
		})
	}
}

func TestMentions(t *testing.T) {
	tests := map[[2]string]bool{
		{"Login from [1.2.3.4]", "1.2.3.4"}:           true,
		{"Login from [1.2.3.45]", "1.2.3.4"}:          false,
		{"Login from 11.2.3.4", "1.2.3.4"}:            false,
		{"Brute force on BOB@acme.io", "bob@acme.io"}: true,
		{"user bobby", "bob"}:                         false,
	}
	for in, want := range tests {
		if got := mentions(in[0], in[1]); got != want {
			t.Errorf("mentions(%q, %q) = %v", in[0], in[1], got)
		}
	}
}
