package investigate

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
)

func events(t *testing.T, js ...string) []panther.Event {
	t.Helper()
	var out []panther.Event
	for _, s := range js {
		var ev panther.Event
		if err := json.Unmarshal([]byte(s), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func find(inds []Indicator, kind, value string) (Indicator, bool) {
	for _, i := range inds {
		if i.Kind == kind && i.Value == value {
			return i, true
		}
	}
	return Indicator{}, false
}

func TestExtractIndicatorsPantherFieldsFirstAndRanked(t *testing.T) {
	evs := events(t,
		`{"p_row_id":"r1","p_any_ip_addresses":["185.220.101.4","10.0.0.5"],"p_any_usernames":["root"],"sourceIPAddress":"185.220.101.4"}`,
		`{"p_row_id":"r2","p_any_ip_addresses":["185.220.101.4"],"userAgent":"curl","note":"contact admin@example.com"}`,
		`{"p_row_id":"r3","p_any_ip_addresses":["185.220.101.4"],"requester":{"user_name":"alice","email":"Alice@Example.com"}}`,
	)
	got := ExtractIndicators(evs, map[string]any{"arn": "arn:aws:iam::123456789012:user/alice", "ip": "2001:4860:4860::8888"})
	if len(got) == 0 || got[0].Kind != KindIP || got[0].Value != "185.220.101.4" || got[0].Events != 3 || got[0].Class != IPPublic || !got[0].Panther {
		t.Fatalf("first indicator = %+v; want the public IP in 3 events from p_any_ip_addresses", got[0])
	}
	if strings.Join(got[0].RowIDs, ",") != "r1,r2,r3" {
		t.Errorf("row ids = %v", got[0].RowIDs)
	}
	if ip, ok := find(got, KindIP, "10.0.0.5"); !ok || ip.Class != IPPrivate {
		t.Errorf("10.0.0.5 = %+v, %v; want private", ip, ok)
	}
	if u, ok := find(got, KindUsername, "alice"); !ok || u.Panther {
		t.Errorf("alice = %+v, %v; want found by field name, not by Panther", u, ok)
	}
	if _, ok := find(got, KindEmail, "alice@example.com"); !ok {
		t.Error("email in a nested field not found (lower-cased)")
	}
	if _, ok := find(got, KindEmail, "admin@example.com"); ok {
		t.Error("an email inside free text was taken as a whole value")
	}
	if a, ok := find(got, KindARN, "arn:aws:iam::123456789012:user/alice"); !ok || a.Events != 0 {
		t.Errorf("ARN from alert context = %+v, %v", a, ok)
	}
	if ip, ok := find(got, KindIP, "2001:4860:4860::8888"); !ok || ip.Class != IPPublic {
		t.Errorf("IPv6 from context = %+v, %v", ip, ok)
	}
	// Panther-extracted indicators rank before pattern-found ones.
	seenPattern := false
	for _, i := range got {
		if !i.Panther {
			seenPattern = true
		} else if seenPattern {
			t.Fatalf("Panther indicator %s after a pattern-found one: %+v", i.Value, got)
		}
	}
}

func TestIPClass(t *testing.T) {
	tests := map[string]string{
		"8.8.8.8": IPPublic, "185.220.101.4": IPPublic, "10.1.2.3": IPPrivate, "172.16.0.1": IPPrivate,
		"192.168.1.1": IPPrivate, "100.64.1.1": IPPrivate, "127.0.0.1": IPReserved, "169.254.169.254": IPReserved,
		"0.0.0.0": IPReserved, "203.0.113.9": IPReserved, "224.0.0.1": IPReserved, "::1": IPReserved,
		"fd00::1": IPPrivate, "fe80::1": IPReserved, "2001:db8::1": IPReserved, "2606:4700::1111": IPPublic,
		"::ffff:8.8.8.8": IPPublic,
	}
	for ip, want := range tests {
		got := ExtractIndicators([]panther.Event{{"p_row_id": "r", "p_any_ip_addresses": []any{ip}}}, nil)
		if len(got) != 1 || got[0].Class != want {
			t.Errorf("%s: %+v; want class %s", ip, got, want)
		}
	}
}

func TestExtractIndicatorsHashesOnlyInHashFields(t *testing.T) {
	md5 := "d41d8cd98f00b204e9800998ecf8427e"
	got := ExtractIndicators(events(t, fmt.Sprintf(`{"p_row_id":"r","file":{"md5":%q},"requestID":%q}`, md5, md5)), nil)
	if h, ok := find(got, KindMD5, md5); !ok || len(h.Fields) != 1 || h.Fields[0] != "file.md5" {
		t.Fatalf("md5 = %+v, %v; want found in file.md5 only", h, ok)
	}
}

func TestExtractIndicatorsBounded(t *testing.T) {
	ev := panther.Event{"p_row_id": "r"}
	var ips []any
	for i := range 5000 {
		ips = append(ips, fmt.Sprintf("11.%d.%d.1", i/256, i%256))
	}
	ev["p_any_ip_addresses"] = ips
	deep := map[string]any{"ip": "8.8.4.4"}
	for range 100 {
		deep = map[string]any{"x": deep}
	}
	ev["deep"] = deep
	got := ExtractIndicators([]panther.Event{ev}, nil)
	if len(got) > maxIndicators {
		t.Fatalf("%d indicators; want at most %d", len(got), maxIndicators)
	}
	if _, ok := find(got, KindIP, "8.8.4.4"); ok {
		t.Fatal("walked deeper than the depth limit")
	}
}

func FuzzExtractIndicators(f *testing.F) {
	f.Add(`{"p_row_id":"r1","p_any_ip_addresses":["1.2.3.4"],"user":"root","x":{"email":"a@b.co"}}`, `{"ip":"::1"}`)
	f.Add(`{"p_any_ip_addresses":"not a list","p_row_id":7}`, `null`)
	f.Add(`[1,2,3]`, `{"a":[[[["arn:aws:iam::1:root"]]]]}`)
	f.Fuzz(func(t *testing.T, event, alertContext string) {
		var ev panther.Event
		var ctx map[string]any
		_ = json.Unmarshal([]byte(event), &ev)
		_ = json.Unmarshal([]byte(alertContext), &ctx)
		got := ExtractIndicators([]panther.Event{ev}, ctx)
		if len(got) > maxIndicators {
			t.Fatalf("%d indicators", len(got))
		}
		for _, i := range got {
			if i.Value == "" || len(i.Value) > maxValueLen {
				t.Fatalf("bad value %q", i.Value)
			}
		}
	})
}
