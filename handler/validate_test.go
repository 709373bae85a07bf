package handler

import "testing"

func TestValidAWSDateTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		// Accepted.
		{"2020-10-13T03:35:24Z", true},
		{"2022-04-26T03:17:32.099054303Z", true},         // 9 fraction digits, as Panther sends
		{"2022-04-26T03:17:32.0Z", true},                 // 1 fraction digit
		{"2022-04-26T03:17:32.123Z", true},               // milliseconds
		{"2022-04-26T03:17:32.099054303+05:30", true},    // 9 digits with an offset
		{"2020-10-13T03:35:24-08:00:00", true},           // offset with seconds
		{"2020-10-13T03:35:24+00:00", true},              // zero offset
		{"2020-10-13T03:35:24-00:00", true},              // "unknown local offset" (RFC 3339)
		{"2020-10-13T03:35:24+14:00", true},              // largest real offset
		{"2020-10-13T03:35:24+23:59:59", true},           // largest offset the form allows
		{"2024-02-29T00:00:00Z", true},                   // leap day
		{"2000-02-29T00:00:00Z", true},                   // leap day, year divisible by 400
		{"2020-12-31T23:59:59.999999999Z", true},         // last instant of a year
		{"0001-01-01T00:00:00Z", true},                   // year 1
		{"9999-12-31T23:59:59Z", true},                   // largest 4-digit year
		{"2020-01-01T00:00:00.000000000+01:00:30", true}, // every part at once

		// Offset missing or malformed.
		{"2020-10-13T03:35:24", false},          // no offset
		{"2020-10-13T03:35:24.123", false},      // fraction, no offset
		{"2020-10-13T03:35:24z", false},         // lower-case z
		{"2020-10-13T03:35:24+0530", false},     // offset without colon
		{"2020-10-13T03:35:24+05", false},       // hours only
		{"2020-10-13T03:35:24+5:30", false},     // one-digit hour
		{"2020-10-13T03:35:24+05:30:0", false},  // one-digit seconds
		{"2020-10-13T03:35:24+24:00", false},    // offset hour 24
		{"2020-10-13T03:35:24+05:60", false},    // offset minute 60
		{"2020-10-13T03:35:24+05:30:60", false}, // offset second 60
		{"2020-10-13T03:35:24 +05:30", false},   // space before offset
		{"2020-10-13T03:35:24ZZ", false},        // two offsets
		{"2020-10-13T03:35:24Z+05:30", false},   // two offsets
		{"2020-10-13T03:35:24UTC", false},       // zone name
		{"2020-10-13T03:35:24 GMT", false},      // zone name

		// Fraction.
		{"2022-04-26T03:17:32.0990543031Z", false}, // 10 digits
		{"2022-04-26T03:17:32.Z", false},           // dot without digits
		{"2022-04-26T03:17:32,123Z", false},        // comma as decimal sign
		{"2022-04-26T03:17:32.12a Z", false},       // letter in fraction

		// Date and time that do not exist.
		{"2020-13-01T00:00:00Z", false}, // month 13
		{"2020-00-01T00:00:00Z", false}, // month 0
		{"2020-01-00T00:00:00Z", false}, // day 0
		{"2020-01-32T00:00:00Z", false}, // day 32
		{"2020-04-31T00:00:00Z", false}, // April 31
		{"2023-02-29T00:00:00Z", false}, // not a leap year
		{"1900-02-29T00:00:00Z", false}, // century, not a leap year
		{"2020-01-01T24:00:00Z", false}, // hour 24
		{"2020-01-01T23:60:00Z", false}, // minute 60
		{"2020-01-01T23:59:60Z", false}, // leap second
		{"2020-01-01T99:99:99Z", false},

		// Shape.
		{"", false},
		{"2020-10-13", false},                           // date only
		{"03:35:24Z", false},                            // time only
		{"2020-10-13 03:35:24Z", false},                 // space for T
		{"2020-10-13t03:35:24Z", false},                 // lower-case t
		{"20201013T033524Z", false},                     // basic format
		{"2020-10-13T03:35Z", false},                    // no seconds
		{"2020-1-13T03:35:24Z", false},                  // one-digit month
		{"+2020-10-13T03:35:24Z", false},                // signed year
		{"12020-10-13T03:35:24Z", false},                // 5-digit year
		{" 2020-10-13T03:35:24Z", false},                // leading space
		{"2020-10-13T03:35:24Z ", false},                // trailing space
		{"2020-10-13T03:35:24Z\n", false},               // trailing newline
		{"２０２０-10-13T03:35:24Z", false},                 // full-width digits
		{"2020-10-13T03:35:24.١٢٣Z", false},             // Arabic-Indic digits in fraction
		{"1602560124", false},                           // Unix seconds
		{"Tue, 13 Oct 2020 03:35:24 GMT", false},        // RFC 1123
		{"2020-10-13T03:35:24.000000000000000Z", false}, // 15 digits
	} {
		if got := validAWSDateTime(tc.in); got != tc.want {
			t.Errorf("validAWSDateTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
