package logcap

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStringCutsLongFieldsOnARuneBoundary(t *testing.T) {
	if got := String("short"); got != "short" {
		t.Errorf("String(short) = %q", got)
	}
	long := strings.Repeat("é", 900_000/2)
	got := String(long)
	if len(got) > Max+len("…") || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("String(900 KB) kept %d bytes (valid UTF-8: %v)", len(got), utf8.ValidString(got))
	}
	if got := Error(errors.New(long)); len(got) > Max+len("…") {
		t.Errorf("Error kept %d bytes", len(got))
	}
	if Error(nil) != "" {
		t.Error("Error(nil) is not empty")
	}
}
