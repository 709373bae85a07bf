// Package filter decides at intake which Panther alerts are investigated:
// by severity, by alert type and by a Python-syntax regular expression on
// the detection ID.
package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/dlclark/regexp2/syntax"

	"github.com/panther-triage/panther-triage/triage"
)

// Severities are Panther's alert severities, lowest first.
var Severities = []string{"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// ErrorTypes are the alert types skipped unless named explicitly: detection
// and system errors carry no events to investigate.
var ErrorTypes = []string{"RULE_ERROR", "SCHEDULED_RULE_ERROR", "CORRELATION_RULE_ERROR", "SYSTEM_ERROR"}

// Config says which alerts pass.
type Config struct {
	// Severities investigated. Empty: all.
	Severities []string
	// Types investigated, exactly. Empty: every type except ErrorTypes,
	// including types Panther adds later.
	Types []string
	// DetectionRegex, when set, must match the detection ID. Python syntax
	// (look-around works), e.g. ^(?!AWS\.).* for everything but AWS.
	DetectionRegex string
	// RegexTimeout bounds one match. Default 50 ms.
	RegexTimeout time.Duration
	// IncludeTags, when set, investigates only alerts carrying one of these
	// tags; ExcludeTags skips alerts carrying any of them. Both compare
	// case-insensitively.
	IncludeTags []string
	ExcludeTags []string
}

// Filter applies a Config to deliveries.
type Filter struct {
	severities []string
	types      []string
	re         *regexp2.Regexp
	include    []string
	exclude    []string
}

// New checks cfg and returns its filter. Every problem is reported, one line
// each.
func New(cfg Config) (*Filter, error) {
	var errs []error
	f := &Filter{}
	for _, s := range cfg.Severities {
		s = strings.ToUpper(strings.TrimSpace(s))
		if !slices.Contains(Severities, s) {
			errs = append(errs, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(Severities, ", ")))
			continue
		}
		f.severities = append(f.severities, s)
	}
	for _, t := range cfg.Types {
		if t = strings.ToUpper(strings.TrimSpace(t)); t != "" {
			f.types = append(f.types, t)
		}
	}
	if cfg.DetectionRegex != "" {
		re, err := regexp2.Compile(FromPython(cfg.DetectionRegex), regexp2.None)
		if err != nil {
			errs = append(errs, regexError(cfg.DetectionRegex, err))
		} else {
			re.MatchTimeout = cfg.RegexTimeout
			if re.MatchTimeout <= 0 {
				re.MatchTimeout = 50 * time.Millisecond
			}
			f.re = re
		}
	}
	f.include, f.exclude = lowerAll(cfg.IncludeTags), lowerAll(cfg.ExcludeTags)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f, nil
}

// FromPython rewrites the Python syntax regexp2 does not read into the
// .NET syntax it does: the named group (?P<name>…) becomes (?<name>…) and
// the named backreference (?P=name) becomes \k<name>.
// Escaped characters and character classes are left alone.
func FromPython(pattern string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			b.WriteString(pattern[i : i+2])
			i++
			continue
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ] first in a class, after an optional ^, is a literal.
			if i+1 < len(pattern) && pattern[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pattern) && pattern[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case strings.HasPrefix(pattern[i:], "(?P<"):
			b.WriteString("(?<")
			i += 3
			continue
		case strings.HasPrefix(pattern[i:], "(?P="):
			if end := strings.IndexByte(pattern[i:], ')'); end > 0 {
				b.WriteString(`\k<` + pattern[i+4:i+end] + `>`)
				i += end
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// regexError says what is wrong with a pattern and where: the first
// character at which a prefix of the pattern fails the same way.
func regexError(pattern string, err error) error {
	reason := err.Error()
	var perr *syntax.Error
	if errors.As(err, &perr) {
		reason = perr.Code.String()
		for i := 1; i <= len(pattern); i++ {
			_, e := regexp2.Compile(FromPython(pattern[:i]), regexp2.None)
			var pe *syntax.Error
			if errors.As(e, &pe) && pe.Code == perr.Code {
				return fmt.Errorf("invalid detection regex %q: %s at character %d (%q)", pattern, reason, i, pattern[:i])
			}
		}
	}
	return fmt.Errorf("invalid detection regex %q: %s", pattern, reason)
}

func lowerAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Filter returns "" when the delivery is to be investigated, otherwise the
// reason it is not.
func (f *Filter) Filter(d triage.Delivery) string {
	if len(f.severities) > 0 && !slices.Contains(f.severities, strings.ToUpper(d.Severity)) {
		return fmt.Sprintf("severity %s is not investigated", d.Severity)
	}
	typ := strings.ToUpper(d.Type)
	switch {
	case len(f.types) > 0 && !slices.Contains(f.types, typ):
		return fmt.Sprintf("alert type %s is not investigated", d.Type)
	case len(f.types) == 0 && slices.Contains(ErrorTypes, typ):
		return fmt.Sprintf("alert type %s is a detection or system error; set PANTHER_TRIAGE_TYPES to include it", d.Type)
	}
	if reason := f.tags(d.Tags); reason != "" {
		return reason
	}
	if f.re != nil {
		ok, err := f.re.MatchString(d.DetectionID)
		if err != nil {
			// A match that ran out of time is not investigated rather than
			// stalling intake; the reason says so.
			return fmt.Sprintf("detection regex did not finish on %q", d.DetectionID)
		}
		if !ok {
			return fmt.Sprintf("detection %s does not match the detection regex", d.DetectionID)
		}
	}
	return ""
}

// tags applies the include and exclude lists to an alert's tags.
func (f *Filter) tags(tags []string) string {
	lower := lowerAll(tags)
	for _, t := range f.exclude {
		if slices.Contains(lower, t) {
			return fmt.Sprintf("tag %q is excluded", t)
		}
	}
	if len(f.include) > 0 && !slices.ContainsFunc(f.include, func(t string) bool { return slices.Contains(lower, t) }) {
		return fmt.Sprintf("no tag among %s", strings.Join(f.include, ", "))
	}
	return ""
}
