package main

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/enrich"
	"github.com/panther-triage/panther-triage/filter"
	"github.com/panther-triage/panther-triage/handler"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
)

// Validate reports every problem of the settings command cmd uses, one
// line each, naming the setting as it was written (flag, environment
// variable or file:line: key).
func (c Config) Validate(cmd string) error {
	var errs []error
	v := reflect.ValueOf(c)
	for _, s := range settings() {
		if !s.uses(cmd) {
			continue
		}
		f := v.FieldByIndex(s.field.Index)
		if slices.Contains(s.need, cmd) && !c.Dev && f.IsZero() {
			errs = append(errs, fmt.Errorf("%s (--%s) is required: %s", s.env, s.flag, s.help))
			continue
		}
		if !s.numeric() {
			continue
		}
		var n float64
		if f.Kind() == reflect.Float64 {
			n = f.Float()
		} else {
			n = float64(f.Int())
		}
		switch {
		case n < 0:
			errs = append(errs, c.at(s.flag, fmt.Errorf("%v is negative", f.Interface())))
		case n == 0 && s.zero == "" && s.typeName() == "duration":
			errs = append(errs, c.at(s.flag, errors.New("0 is not allowed: it must be longer than 0s")))
		case n == 0 && s.zero == "":
			errs = append(errs, c.at(s.flag, errors.New("0 is not allowed: it must be at least 1")))
		}
	}
	for _, k := range valueChecks() {
		if s, _ := settingByFlag(k.flag); s.uses(cmd) {
			errs = append(errs, k.check(c, cmd)...)
		}
	}
	return errors.Join(errs...)
}

// valueCheck checks the values of a setting beyond its type and the zero
// rule, for command cmd; it runs for the commands that use flag.
type valueCheck struct {
	flag  string
	check func(c Config, cmd string) []error
}

// valueChecks are the settings' own checks.
func valueChecks() []valueCheck {
	return []valueCheck{
		{"severities", func(c Config, _ string) []error { return c.filterErrors() }},
		{"webhook-secret", func(c Config, cmd string) []error {
			if cmd == "serve" && c.WebhookSecret == "" && !c.InsecureNoAuth && !c.Dev {
				return []error{errors.New("PANTHER_TRIAGE_WEBHOOK_SECRET (--webhook-secret) is required, or pass --insecure-no-auth")}
			}
			return nil
		}},
		{"statuses", func(c Config, _ string) []error {
			var errs []error
			for _, s := range c.Statuses {
				if !slices.Contains([]string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"}, s) {
					errs = append(errs, c.at("statuses", fmt.Errorf("unknown alert status %q (want OPEN, TRIAGED, RESOLVED or CLOSED)", s)))
				}
			}
			return errs
		}},
		{"comment-sections", func(c Config, _ string) []error {
			var errs []error
			for _, s := range c.Sections {
				if !slices.Contains(investigate.Sections, s) {
					errs = append(errs, c.at("comment-sections", fmt.Errorf("unknown comment section %q (want some of %s)", s, strings.Join(investigate.Sections, ","))))
				}
			}
			return errs
		}},
		{"public-url", func(c Config, _ string) []error {
			if c.PublicURL == "" {
				return nil
			}
			if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return []error{c.at("public-url", fmt.Errorf("%q is not an http(s) URL such as https://triage.example.com", c.PublicURL))}
			}
			return nil
		}},
		{"comment-format", func(c Config, _ string) []error {
			if c.CommentFormat != panther.FormatPlainText && c.CommentFormat != panther.FormatHTML {
				return []error{c.at("comment-format", fmt.Errorf("unknown comment format %q (want PLAIN_TEXT or HTML)", c.CommentFormat))}
			}
			return nil
		}},
		{"log-level", func(c Config, _ string) []error {
			if !slices.Contains([]string{"debug", "info", "warn", "error"}, strings.ToLower(c.LogLevel)) {
				return []error{c.at("log-level", fmt.Errorf("unknown log level %q (want debug, info, warn or error)", c.LogLevel))}
			}
			return nil
		}},
		{"context-file", func(c Config, _ string) []error {
			if c.context != nil && c.ContextFile != "" {
				return []error{fmt.Errorf("%s: context: the lists come either from this section or from the context file %s (%s), not both; remove one", c.context.where, c.ContextFile, c.where("context-file"))}
			}
			if _, err := c.lists(); err != nil {
				if c.context != nil {
					return []error{contextError(err, c.ConfigFile)}
				}
				return []error{c.at("context-file", err)}
			}
			return nil
		}},
		{"job-timeout", func(c Config, _ string) []error {
			if c.LakeMaxQueries > 0 && c.JobTimeout > 0 && c.LakeTimeout+15*time.Second >= c.JobTimeout {
				return []error{fmt.Errorf("%s (%s) must exceed %s (%s) by more than 15s", c.where("job-timeout"), c.JobTimeout, c.where("datalake-timeout"), c.LakeTimeout)}
			}
			return nil
		}},
		{"set-status", func(c Config, _ string) []error {
			if _, err := c.writeBack(); err != nil {
				return []error{err}
			}
			return nil
		}},
		{"llm-url", func(c Config, _ string) []error {
			if c.LLMURL != "" && c.LLMModel == "" {
				return []error{fmt.Errorf("%s is required with %s", c.where("llm-model"), c.where("llm-url"))}
			}
			return nil
		}},
		{"rescue-after", func(c Config, _ string) []error {
			if c.RescueAfter > 0 && c.JobTimeout > 0 && c.RescueAfter <= c.JobTimeout {
				return []error{fmt.Errorf("%s (%s) must be longer than %s (%s), or a running investigation would be taken over; raise it too", c.where("rescue-after"), c.RescueAfter, c.where("job-timeout"), c.JobTimeout)}
			}
			return nil
		}},
		{"retry-backoff", func(c Config, _ string) []error {
			if c.RetryBackoff > 0 && c.RetryMax < c.RetryBackoff {
				return []error{fmt.Errorf("%s (%s) must be at most %s (%s)", c.where("retry-backoff"), c.RetryBackoff, c.where("retry-backoff-max"), c.RetryMax)}
			}
			return nil
		}},
	}
}

// where names a setting as it was given: "path:line: key" from the
// configuration file, its environment variable, or its flag.
func (c Config) where(flag string) string {
	if o, ok := c.origin[flag]; ok {
		return o
	}
	return "--" + flag
}

// dedupWindow is --dedup-minutes as a duration.
func (c Config) dedupWindow() time.Duration { return time.Duration(c.DedupMinutes) * time.Minute }

func (c Config) filterConfig() filter.Config {
	return filter.Config{Severities: c.Severities, Types: c.Types, DetectionRegex: c.DetectionRegex,
		IncludeTags: c.IncludeTags, ExcludeTags: c.ExcludeTags}
}

// writeBack reads the write-back policies.
func (c Config) writeBack() (investigate.WriteBack, error) {
	status, err := investigate.ParseVerdictMap(c.SetStatus, []string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"})
	if err != nil {
		return investigate.WriteBack{}, fmt.Errorf("%s: %w", c.where("set-status"), err)
	}
	assignee, err := investigate.ParseVerdictMap(c.SetAssignee, nil)
	if err != nil {
		return investigate.WriteBack{}, fmt.Errorf("%s: %w", c.where("set-assignee"), err)
	}
	return investigate.WriteBack{Status: status, Assignee: assignee}, nil
}

// lists reads the context file, if one is configured.
// handlerConfig is the HTTP side's access settings: the webhook secret,
// and the page's viewers, read token and trusted proxies.
func (c Config) handlerConfig() (handler.Config, error) {
	hc := handler.Config{
		Secret: c.WebhookSecret, InsecureNoAuth: c.InsecureNoAuth, ConsoleURL: c.consoleURL(),
		ReadToken: c.ReadToken, IdentityHeader: c.IdentityHeader,
	}
	if c.ViewersFile != "" {
		v, err := handler.LoadViewers(c.ViewersFile)
		if err != nil {
			return hc, c.at("viewers-file", err)
		}
		hc.Viewers = v
	}
	proxies, err := handler.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		return hc, c.at("trusted-proxies", err)
	}
	hc.TrustedProxies = proxies
	return hc, nil
}

func (c Config) lists() (*investigate.Lists, error) {
	switch {
	case c.context != nil:
		return investigate.ListsFromYAML(c.context.node, "section of "+c.ConfigFile)
	case c.ContextFile != "":
		return investigate.LoadLists(c.ContextFile)
	}
	return nil, nil
}

// providers are the reputation providers whose keys are set, sharing one
// in-memory cache per provider for the life of the process.
func (c Config) providers(obs enrich.Observer) []investigate.Provider {
	return enrich.New(enrich.Config{AbuseIPDBKey: c.AbuseIPDBKey, GreyNoiseKey: c.GreyNoiseKey, VirusTotalKey: c.VirusTotalKey, Observer: obs})
}

// consoleURL is the Panther console's base URL: the configured one, or the
// API's host without its "api." prefix (https://api.acme.runpanther.net/…
// → https://acme.runpanther.net).
func (c Config) consoleURL() string {
	if c.ConsoleURL != "" || c.Dev {
		return c.ConsoleURL
	}
	u, err := url.Parse(c.PantherURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + strings.TrimPrefix(u.Host, "api.")
}

func upper(ss []string) []string {
	for i := range ss {
		ss[i] = strings.ToUpper(ss[i])
	}
	return ss
}
