package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/enrich"
	"github.com/panther-triage/panther-triage/filter"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
)

// Config is every setting of the service. Each is a flag, an environment
// variable and a key of the configuration file (flag over environment over
// file over default); the comment gives the default.
type Config struct {
	ConfigFile     string        // PANTHER_TRIAGE_CONFIG, default none: a YAML file with any of these settings
	PantherURL     string        // PANTHER_API_URL, required (not with --dev)
	PantherRESTURL string        // PANTHER_REST_URL, default PantherURL without /public/graphql
	PantherToken   string        // PANTHER_API_TOKEN, required (not with --dev); never logged
	ConsoleURL     string        // PANTHER_TRIAGE_CONSOLE_URL, default PantherURL's host without "api."
	Addr           string        // PANTHER_TRIAGE_ADDR, default :8080
	WebhookSecret  string        // PANTHER_TRIAGE_WEBHOOK_SECRET, required unless InsecureNoAuth
	InsecureNoAuth bool          // PANTHER_TRIAGE_INSECURE_NO_AUTH, default false
	DB             string        // PANTHER_TRIAGE_DB, default panther-triage.db
	Severities     []string      // PANTHER_TRIAGE_SEVERITIES, default all five
	Statuses       []string      // PANTHER_TRIAGE_STATUSES, default OPEN,TRIAGED
	Types          []string      // PANTHER_TRIAGE_TYPES, default empty: all but error types
	DetectionRegex string        // PANTHER_TRIAGE_DETECTION_REGEX, default empty: all
	IncludeTags    []string      // PANTHER_TRIAGE_TAGS_INCLUDE, default empty: any tags
	ExcludeTags    []string      // PANTHER_TRIAGE_TAGS_EXCLUDE, default empty: none
	DedupWindow    time.Duration // PANTHER_TRIAGE_DEDUP_MINUTES, default 15 minutes
	Settle         time.Duration // PANTHER_TRIAGE_SETTLE, default 0s
	MaxPerDetHour  int           // PANTHER_TRIAGE_MAX_PER_DETECTION_HOUR, default 30; 0: no bound
	MaxPerHour     int           // PANTHER_TRIAGE_MAX_PER_HOUR, default 500; 0: no bound
	Sections       []string      // PANTHER_TRIAGE_COMMENT_SECTIONS, default all
	CommentFormat  string        // PANTHER_TRIAGE_COMMENT_FORMAT, default PLAIN_TEXT
	DryRun         bool          // PANTHER_TRIAGE_DRY_RUN, default false
	MaxEvents      int           // PANTHER_TRIAGE_MAX_EVENTS, default 200
	LogLevel       string        // PANTHER_TRIAGE_LOG_LEVEL, default info
	Workers        int           // PANTHER_TRIAGE_WORKERS, default 4
	APIConcurrency int           // PANTHER_TRIAGE_API_CONCURRENCY, default 8
	JobTimeout     time.Duration // PANTHER_TRIAGE_JOB_TIMEOUT, default 90s
	RescueAfter    time.Duration // PANTHER_TRIAGE_RESCUE_AFTER, default 0: JobTimeout + 30s
	MaxAttempts    int           // PANTHER_TRIAGE_MAX_ATTEMPTS, default 8
	RetryBackoff   time.Duration // PANTHER_TRIAGE_RETRY_BACKOFF, default 2s
	RetryMax       time.Duration // PANTHER_TRIAGE_RETRY_BACKOFF_MAX, default 5m
	StepTimeout    time.Duration // PANTHER_TRIAGE_STEP_TIMEOUT, default 30s
	ShutdownWait   time.Duration // PANTHER_TRIAGE_SHUTDOWN_TIMEOUT, default 30s
	ReconcileEvery time.Duration // PANTHER_TRIAGE_RECONCILE_EVERY, default 0: off
	LakeMaxQueries int           // PANTHER_TRIAGE_DATALAKE_MAX_QUERIES, default 3 per investigation
	LakeMaxPerHour int           // PANTHER_TRIAGE_DATALAKE_MAX_PER_HOUR, default 60
	LakeTimeout    time.Duration // PANTHER_TRIAGE_DATALAKE_TIMEOUT, default 60s
	LLMURL         string        // PANTHER_TRIAGE_LLM_URL, default none: no narrative
	LLMModel       string        // PANTHER_TRIAGE_LLM_MODEL
	LLMAPIKey      string        // PANTHER_TRIAGE_LLM_API_KEY, never logged
	AgreementEvery time.Duration // PANTHER_TRIAGE_AGREEMENT_EVERY, default 1h; 0 off
	SetStatus      string        // PANTHER_TRIAGE_SET_STATUS, default none, e.g. benign=RESOLVED
	SetAssignee    string        // PANTHER_TRIAGE_SET_ASSIGNEE, default none, e.g. malicious=<Panther user ID>
	ContextFile    string        // PANTHER_TRIAGE_CONTEXT_FILE, default none: known networks, service accounts, VIPs, known-bad
	AbuseIPDBKey   string        // PANTHER_TRIAGE_ABUSEIPDB_KEY, default none: AbuseIPDB off; never logged
	GreyNoiseKey   string        // PANTHER_TRIAGE_GREYNOISE_KEY, default none: GreyNoise Community off; never logged
	VirusTotalKey  string        // PANTHER_TRIAGE_VIRUSTOTAL_KEY, default none: VirusTotal off; never logged

	// Dev runs against the simulated Panther (serve --dev).
	Dev bool

	// origin says, for each setting read from the configuration file,
	// where: "path:line".
	origin map[string]string
	// context is the configuration file's context section, if any.
	context *fileValue
}

// setting is one flag with its environment variable.
type setting struct {
	flag, env, def, usage string
	val                   *string
}

// settings lists every setting, in the order help shows them.
func settings() []*setting {
	return []*setting{
		{flag: "config", env: "PANTHER_TRIAGE_CONFIG", usage: "YAML file with any of these settings, keyed by flag name (flags and the environment win over it)"},
		{flag: "panther-url", env: "PANTHER_API_URL", usage: "Panther GraphQL endpoint, https://api.<your-panther-domain>/public/graphql (required)"},
		{flag: "panther-rest-url", env: "PANTHER_REST_URL", usage: "Panther REST base (default: the GraphQL URL without /public/graphql)"},
		{flag: "panther-token", env: "PANTHER_API_TOKEN", usage: "Panther API token, sent as X-API-Key (required)"},
		{flag: "console-url", env: "PANTHER_TRIAGE_CONSOLE_URL", usage: "Panther console base URL for links on the page (default: the API URL's host without \"api.\")"},
		{flag: "addr", env: "PANTHER_TRIAGE_ADDR", def: ":8080", usage: "listen address"},
		{flag: "webhook-secret", env: "PANTHER_TRIAGE_WEBHOOK_SECRET", usage: "secret Panther sends as 'Authorization: Bearer <secret>' (required unless --insecure-no-auth)"},
		{flag: "insecure-no-auth", env: "PANTHER_TRIAGE_INSECURE_NO_AUTH", def: "false", usage: "accept webhooks and API calls without the secret"},
		{flag: "db", env: "PANTHER_TRIAGE_DB", def: "panther-triage.db", usage: "SQLite file path, or a postgres:// URL for several replicas"},
		{flag: "severities", env: "PANTHER_TRIAGE_SEVERITIES", def: "INFO,LOW,MEDIUM,HIGH,CRITICAL", usage: "alert severities to investigate"},
		{flag: "statuses", env: "PANTHER_TRIAGE_STATUSES", def: "OPEN,TRIAGED", usage: "alert statuses to investigate, read from the API when the investigation runs"},
		{flag: "types", env: "PANTHER_TRIAGE_TYPES", usage: "alert types to investigate (default: all but detection and system errors)"},
		{flag: "detection-regex", env: "PANTHER_TRIAGE_DETECTION_REGEX", usage: "Python-syntax regex the detection ID must match, e.g. ^(?!AWS).*"},
		{flag: "tags-include", env: "PANTHER_TRIAGE_TAGS_INCLUDE", usage: "investigate only alerts with one of these tags (case-insensitive)"},
		{flag: "tags-exclude", env: "PANTHER_TRIAGE_TAGS_EXCLUDE", usage: "skip alerts with any of these tags (case-insensitive)"},
		{flag: "dedup-minutes", env: "PANTHER_TRIAGE_DEDUP_MINUTES", def: "15", usage: "one investigation per alert per this many minutes"},
		{flag: "settle", env: "PANTHER_TRIAGE_SETTLE", def: "0s", usage: "wait this long after a delivery before investigating"},
		{flag: "max-per-detection-hour", env: "PANTHER_TRIAGE_MAX_PER_DETECTION_HOUR", def: "30", usage: "investigations per detection per hour; beyond, alerts get a short comment saying why not (0: no bound)"},
		{flag: "max-per-hour", env: "PANTHER_TRIAGE_MAX_PER_HOUR", def: "500", usage: "investigations per hour in all (0: no bound)"},
		{flag: "datalake-max-queries", env: "PANTHER_TRIAGE_DATALAKE_MAX_QUERIES", def: "3", usage: "data lake indicator searches per investigation"},
		{flag: "datalake-max-per-hour", env: "PANTHER_TRIAGE_DATALAKE_MAX_PER_HOUR", def: "60", usage: "data lake searches per hour, all replicas together"},
		{flag: "datalake-timeout", env: "PANTHER_TRIAGE_DATALAKE_TIMEOUT", def: "60s", usage: "a data lake search running longer is cancelled"},
		{flag: "llm-url", env: "PANTHER_TRIAGE_LLM_URL", usage: "OpenAI-compatible endpoint (e.g. http://localhost:11434/v1) that writes the summary and next steps; off when empty"},
		{flag: "llm-model", env: "PANTHER_TRIAGE_LLM_MODEL", usage: "model name for --llm-url"},
		{flag: "llm-api-key", env: "PANTHER_TRIAGE_LLM_API_KEY", usage: "API key for --llm-url, if it needs one"},
		{flag: "agreement-every", env: "PANTHER_TRIAGE_AGREEMENT_EVERY", def: "1h", usage: "how often to read how analysts ended investigated alerts, for the agreement metric (0s: off)"},
		{flag: "set-status", env: "PANTHER_TRIAGE_SET_STATUS", usage: "write-back: alert status by verdict, e.g. benign=RESOLVED (off by default)"},
		{flag: "set-assignee", env: "PANTHER_TRIAGE_SET_ASSIGNEE", usage: "write-back: assignee (a Panther user ID) by verdict, e.g. malicious=<user ID> (off by default)"},
		{flag: "context-file", env: "PANTHER_TRIAGE_CONTEXT_FILE", usage: "YAML file of known networks, service accounts, VIP users and known-bad indicators"},
		{flag: "abuseipdb-key", env: "PANTHER_TRIAGE_ABUSEIPDB_KEY", usage: "AbuseIPDB API key: look up public IPs, 1,000 a day (off when empty)"},
		{flag: "greynoise-key", env: "PANTHER_TRIAGE_GREYNOISE_KEY", usage: "GreyNoise Community API key: look up public IPv4 addresses, 50 a day (off when empty)"},
		{flag: "virustotal-key", env: "PANTHER_TRIAGE_VIRUSTOTAL_KEY", usage: "VirusTotal API key: look up public IPs, domains and hashes, 4 a minute and 500 a day (off when empty)"},
		{flag: "comment-sections", env: "PANTHER_TRIAGE_COMMENT_SECTIONS", def: strings.Join(investigate.Sections, ","), usage: "sections the comment carries"},
		{flag: "comment-format", env: "PANTHER_TRIAGE_COMMENT_FORMAT", def: panther.FormatPlainText, usage: "PLAIN_TEXT or HTML"},
		{flag: "dry-run", env: "PANTHER_TRIAGE_DRY_RUN", def: "false", usage: "investigate but write nothing to Panther"},
		{flag: "max-events", env: "PANTHER_TRIAGE_MAX_EVENTS", def: "200", usage: "events read per alert"},
		{flag: "log-level", env: "PANTHER_TRIAGE_LOG_LEVEL", def: "info", usage: "debug, info, warn or error"},
		{flag: "workers", env: "PANTHER_TRIAGE_WORKERS", def: "4", usage: "investigations run at once by this process"},
		{flag: "api-concurrency", env: "PANTHER_TRIAGE_API_CONCURRENCY", def: "8", usage: "concurrent Panther API calls, shared by all workers"},
		{flag: "job-timeout", env: "PANTHER_TRIAGE_JOB_TIMEOUT", def: "90s", usage: "bound on one investigation attempt; a job of a dead process is taken over 30s after it"},
		{flag: "rescue-after", env: "PANTHER_TRIAGE_RESCUE_AFTER", def: "0s", usage: "how long a job may run before it counts as lost with its process and is retried; more than --job-timeout (0s: job timeout + 30s)"},
		{flag: "max-attempts", env: "PANTHER_TRIAGE_MAX_ATTEMPTS", def: "12", usage: "tries of an investigation that keeps failing transiently (5xx, timeouts) before it is recorded as failed; with the default backoff, about 20 minutes of Panther outage"},
		{flag: "retry-backoff", env: "PANTHER_TRIAGE_RETRY_BACKOFF", def: "2s", usage: "delay before the first retry of a failed investigation; doubles each attempt, with jitter"},
		{flag: "retry-backoff-max", env: "PANTHER_TRIAGE_RETRY_BACKOFF_MAX", def: "5m", usage: "longest delay between retries"},
		{flag: "step-timeout", env: "PANTHER_TRIAGE_STEP_TIMEOUT", def: "30s", usage: "bound on each investigation step"},
		{flag: "reconcile-every", env: "PANTHER_TRIAGE_RECONCILE_EVERY", def: "0s", usage: "list recent alerts this often and investigate those whose webhook never arrived (0s: off)"},
		{flag: "shutdown-timeout", env: "PANTHER_TRIAGE_SHUTDOWN_TIMEOUT", def: "30s", usage: "on SIGTERM, how long running investigations may finish"},
	}
}

// parseConfig reads the flags of one command, with the environment and
// then the configuration file as fallbacks, into a Config; rest is what
// follows the flags. Every problem is reported, one line each.
func parseConfig(name string, args []string, getenv func(string) string, out io.Writer, extra func(fs *flag.FlagSet)) (Config, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	all := settings()
	for _, s := range all {
		// The flag's default is the built-in one, so that -h never shows
		// a value (a token, say) taken from the environment.
		v := s.def
		s.val = &v
		if s.def == "true" || s.def == "false" {
			fs.Var((*boolText)(s.val), s.flag, s.usage+" ($"+s.env+")")
		} else {
			fs.StringVar(s.val, s.flag, v, s.usage+" ($"+s.env+")")
		}
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, nil, err
	}
	var errs []error
	origin, context, err := resolveSettings(all, fs, getenv)
	if err != nil {
		errs = append(errs, err)
	}
	where := func(flag string) string {
		if o, ok := origin[flag]; ok {
			return o + ": " + flag
		}
		return "--" + flag
	}
	get := func(flag string) string {
		for _, s := range all {
			if s.flag == flag {
				return strings.TrimSpace(*s.val)
			}
		}
		panic("unknown setting " + flag)
	}
	num := func(flag string) int {
		n, err := strconv.Atoi(get(flag))
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number", where(flag), get(flag)))
		}
		return n
	}
	dur := func(flag string) time.Duration {
		d, err := time.ParseDuration(get(flag))
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 30s or 2m", where(flag), get(flag)))
		}
		return d
	}
	boolean := func(flag string) bool {
		b, err := strconv.ParseBool(get(flag))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", where(flag), get(flag)))
		}
		return b
	}
	c := Config{
		ConfigFile:     get("config"),
		origin:         origin,
		context:        context,
		PantherURL:     get("panther-url"),
		PantherRESTURL: get("panther-rest-url"),
		PantherToken:   get("panther-token"),
		ConsoleURL:     get("console-url"),
		Addr:           get("addr"),
		WebhookSecret:  get("webhook-secret"),
		InsecureNoAuth: boolean("insecure-no-auth"),
		DB:             get("db"),
		Severities:     list(get("severities")),
		Statuses:       upper(list(get("statuses"))),
		Types:          upper(list(get("types"))),
		DetectionRegex: get("detection-regex"),
		IncludeTags:    list(get("tags-include")),
		ExcludeTags:    list(get("tags-exclude")),
		DedupWindow:    time.Duration(num("dedup-minutes")) * time.Minute,
		Settle:         dur("settle"),
		MaxPerDetHour:  num("max-per-detection-hour"),
		MaxPerHour:     num("max-per-hour"),
		Sections:       list(get("comment-sections")),
		CommentFormat:  strings.ToUpper(get("comment-format")),
		DryRun:         boolean("dry-run"),
		MaxEvents:      num("max-events"),
		LogLevel:       get("log-level"),
		Workers:        num("workers"),
		APIConcurrency: num("api-concurrency"),
		JobTimeout:     dur("job-timeout"),
		RescueAfter:    dur("rescue-after"),
		MaxAttempts:    num("max-attempts"),
		RetryBackoff:   dur("retry-backoff"),
		RetryMax:       dur("retry-backoff-max"),
		StepTimeout:    dur("step-timeout"),
		ShutdownWait:   dur("shutdown-timeout"),
		ReconcileEvery: dur("reconcile-every"),
		LakeMaxQueries: num("datalake-max-queries"),
		LakeMaxPerHour: num("datalake-max-per-hour"),
		LakeTimeout:    dur("datalake-timeout"),
		LLMURL:         get("llm-url"),
		LLMModel:       get("llm-model"),
		LLMAPIKey:      get("llm-api-key"),
		AgreementEvery: dur("agreement-every"),
		SetStatus:      get("set-status"),
		SetAssignee:    get("set-assignee"),
		ContextFile:    get("context-file"),
		AbuseIPDBKey:   get("abuseipdb-key"),
		GreyNoiseKey:   get("greynoise-key"),
		VirusTotalKey:  get("virustotal-key"),
	}
	if len(errs) > 0 {
		return c, fs.Args(), errors.Join(errs...)
	}
	return c, fs.Args(), nil
}

// Validate reports every problem of the configuration, one line each.
// needPanther is false for commands that do not talk to Panther.
func (c Config) Validate(needPanther bool) error {
	var errs []error
	if needPanther && !c.Dev {
		if c.PantherURL == "" {
			errs = append(errs, errors.New("PANTHER_API_URL (--panther-url) is required: https://api.<your-panther-domain>/public/graphql"))
		}
		if c.PantherToken == "" {
			errs = append(errs, errors.New("PANTHER_API_TOKEN (--panther-token) is required"))
		}
	}
	if c.WebhookSecret == "" && !c.InsecureNoAuth && !c.Dev {
		errs = append(errs, errors.New("PANTHER_TRIAGE_WEBHOOK_SECRET (--webhook-secret) is required, or pass --insecure-no-auth"))
	}
	errs = append(errs, c.filterErrors()...)
	for _, s := range c.Statuses {
		if !slices.Contains([]string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"}, s) {
			errs = append(errs, c.at("statuses", fmt.Errorf("unknown alert status %q (want OPEN, TRIAGED, RESOLVED or CLOSED)", s)))
		}
	}
	for _, s := range c.Sections {
		if !slices.Contains(investigate.Sections, s) {
			errs = append(errs, c.at("comment-sections", fmt.Errorf("unknown comment section %q (want some of %s)", s, strings.Join(investigate.Sections, ","))))
		}
	}
	if c.CommentFormat != panther.FormatPlainText && c.CommentFormat != panther.FormatHTML {
		errs = append(errs, c.at("comment-format", fmt.Errorf("unknown comment format %q (want PLAIN_TEXT or HTML)", c.CommentFormat)))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, strings.ToLower(c.LogLevel)) {
		errs = append(errs, c.at("log-level", fmt.Errorf("unknown log level %q (want debug, info, warn or error)", c.LogLevel)))
	}
	if c.MaxEvents < 1 {
		errs = append(errs, c.at("max-events", errors.New("PANTHER_TRIAGE_MAX_EVENTS must be at least 1")))
	}
	if _, err := c.lists(); err != nil {
		errs = append(errs, c.at("context-file", err))
	}
	if c.JobTimeout > 0 && c.LakeTimeout+15*time.Second >= c.JobTimeout {
		errs = append(errs, fmt.Errorf("PANTHER_TRIAGE_JOB_TIMEOUT (%s) must exceed PANTHER_TRIAGE_DATALAKE_TIMEOUT (%s) by more than 15s", c.JobTimeout, c.LakeTimeout))
	}
	if _, err := c.writeBack(); err != nil {
		errs = append(errs, err)
	}
	if c.LLMURL != "" && c.LLMModel == "" {
		errs = append(errs, errors.New("PANTHER_TRIAGE_LLM_MODEL is required with PANTHER_TRIAGE_LLM_URL"))
	}
	if c.DedupWindow <= 0 {
		errs = append(errs, c.at("dedup-minutes", errors.New("PANTHER_TRIAGE_DEDUP_MINUTES must be at least 1")))
	}
	if c.RescueAfter != 0 && c.RescueAfter <= c.JobTimeout {
		errs = append(errs, c.at("rescue-after", fmt.Errorf("PANTHER_TRIAGE_RESCUE_AFTER (%s) must be longer than PANTHER_TRIAGE_JOB_TIMEOUT (%s), or a running investigation would be taken over", c.RescueAfter, c.JobTimeout)))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, c.at("max-attempts", errors.New("PANTHER_TRIAGE_MAX_ATTEMPTS must be at least 1")))
	}
	if c.RetryBackoff <= 0 || c.RetryMax < c.RetryBackoff {
		errs = append(errs, c.at("retry-backoff", fmt.Errorf("PANTHER_TRIAGE_RETRY_BACKOFF (%s) must be above 0 and at most PANTHER_TRIAGE_RETRY_BACKOFF_MAX (%s)", c.RetryBackoff, c.RetryMax)))
	}
	return errors.Join(errs...)
}

func (c Config) filterConfig() filter.Config {
	return filter.Config{Severities: c.Severities, Types: c.Types, DetectionRegex: c.DetectionRegex,
		IncludeTags: c.IncludeTags, ExcludeTags: c.ExcludeTags}
}

// boolText is a setting that is a flag without a value on the command line
// (--dry-run) but text until parsed, like every other setting.
type boolText string

func (b *boolText) String() string     { return string(*b) }
func (b *boolText) Set(v string) error { *b = boolText(v); return nil }
func (b *boolText) IsBoolFlag() bool   { return true }

// writeBack reads the write-back policies.
func (c Config) writeBack() (investigate.WriteBack, error) {
	status, err := investigate.ParseVerdictMap(c.SetStatus, []string{"OPEN", "TRIAGED", "RESOLVED", "CLOSED"})
	if err != nil {
		return investigate.WriteBack{}, fmt.Errorf("PANTHER_TRIAGE_SET_STATUS: %w", err)
	}
	assignee, err := investigate.ParseVerdictMap(c.SetAssignee, nil)
	if err != nil {
		return investigate.WriteBack{}, fmt.Errorf("PANTHER_TRIAGE_SET_ASSIGNEE: %w", err)
	}
	return investigate.WriteBack{Status: status, Assignee: assignee}, nil
}

// lists reads the context file, if one is configured.
func (c Config) lists() (*investigate.Lists, error) {
	switch {
	case c.context != nil && c.ContextFile != "":
		return nil, fmt.Errorf("%s: context: the lists come either from this section or from PANTHER_TRIAGE_CONTEXT_FILE (%s), not both", c.context.where, c.ContextFile)
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

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func upper(ss []string) []string {
	for i := range ss {
		ss[i] = strings.ToUpper(ss[i])
	}
	return ss
}
