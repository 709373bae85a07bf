package triage

import (
	"testing"
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
