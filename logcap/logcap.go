// Package logcap cuts text that came from outside (an alert ID, a title, an
// error that quotes either) to a fixed length before it is logged, so that
// no input can make a log line large.
package logcap

import "unicode/utf8"

// Max is how many bytes of a field a log line keeps: enough for any ID the
// webhook accepts (128 characters of up to 4 bytes) and for most error
// messages.
const Max = 512

// String returns s cut to at most Max bytes on a rune boundary, with "…"
// appended when it was cut.
func String(s string) string {
	if len(s) <= Max {
		return s
	}
	cut := Max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Error is String of err's text, "" for nil.
func Error(err error) string {
	if err == nil {
		return ""
	}
	return String(err.Error())
}
