package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/panther-triage/panther-triage/agreement"
	"github.com/panther-triage/panther-triage/filter"
	"github.com/panther-triage/panther-triage/handler"
	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/store"
)

// Config is every setting of the service. Each field is the one
// declaration of its setting, read by kong (github.com/alecthomas/kong):
//
//	name     the flag, and the key in the configuration file
//	envvar   the environment variable
//	group    the configuration file's section it may be written in
//	default  the default, "${name}" for a library's constant (libraryDefaults)
//	help     one line for --help and the README
//	used     the commands that read it; the others neither validate nor show it
//	zero     what 0 means ("0: no bound"); without it, 0 is refused
//	need     the commands it is required for (not with --dev)
//	secret   never shown or logged
//
// A flag wins over the environment, which wins over the file, which wins
// over the default.
type Config struct {
	ConfigFile string `name:"config" envvar:"PANTHER_TRIAGE_CONFIG" used:"serve,investigate,check,replay" help:"YAML file with any of these settings, keyed by flag name, at the top level or in its section"`

	PantherURL     string        `name:"panther-url" envvar:"PANTHER_API_URL" group:"panther" used:"serve,investigate,check" need:"serve,investigate,check" help:"Panther GraphQL endpoint, https://api.<your-panther-domain>/public/graphql"`
	PantherRESTURL string        `name:"panther-rest-url" envvar:"PANTHER_REST_URL" group:"panther" used:"serve,investigate,check" help:"Panther REST base (empty: the GraphQL URL without /public/graphql)"`
	PantherToken   string        `name:"panther-token" envvar:"PANTHER_API_TOKEN" group:"panther" used:"serve,investigate,check" need:"serve,investigate,check" secret:"" help:"Panther API token, sent as X-API-Key"`
	ConsoleURL     string        `name:"console-url" envvar:"PANTHER_TRIAGE_CONSOLE_URL" group:"panther" used:"serve,investigate" help:"Panther console base URL for links (empty: the API URL's host without \"api.\")"`
	PantherRate    float64       `name:"panther-rate" envvar:"PANTHER_TRIAGE_PANTHER_RATE" group:"panther" default:"${panther_rate}" used:"serve,investigate" zero:"no pacing" help:"most Panther API calls per second; lowered on a 429 and regained slowly"`
	ReadTimeout    time.Duration `name:"panther-read-timeout" envvar:"PANTHER_TRIAGE_PANTHER_READ_TIMEOUT" group:"panther" default:"${panther_read_timeout}" used:"serve,investigate,check" help:"deadline of one Panther read; a read that does not answer is tried again"`
	WriteTimeout   time.Duration `name:"panther-write-timeout" envvar:"PANTHER_TRIAGE_PANTHER_WRITE_TIMEOUT" group:"panther" default:"${panther_write_timeout}" used:"serve,investigate" help:"deadline of one Panther write (the comment, write-back)"`
	AuthRetry      time.Duration `name:"auth-retry-window" envvar:"PANTHER_TRIAGE_AUTH_RETRY_WINDOW" group:"panther" default:"${auth_retry_window}" used:"serve" help:"how long investigations keep retrying while Panther rejects the token (401): a new token takes minutes to work"`
	APIConcurrency int           `name:"api-concurrency" envvar:"PANTHER_TRIAGE_API_CONCURRENCY" group:"panther" default:"${api_concurrency}" used:"serve,investigate,check" help:"concurrent Panther API calls, shared by all workers"`

	Addr           string        `name:"addr" envvar:"PANTHER_TRIAGE_ADDR" group:"server" default:":8080" used:"serve,replay" help:"listen address"`
	WebhookSecret  string        `name:"webhook-secret" envvar:"PANTHER_TRIAGE_WEBHOOK_SECRET" group:"server" used:"serve,replay" secret:"" help:"secret Panther sends as 'Authorization: Bearer <secret>' (required unless --insecure-no-auth)"`
	InsecureNoAuth bool          `name:"insecure-no-auth" envvar:"PANTHER_TRIAGE_INSECURE_NO_AUTH" group:"server" used:"serve" help:"accept webhooks and API calls without the secret"`
	ShutdownWait   time.Duration `name:"shutdown-timeout" envvar:"PANTHER_TRIAGE_SHUTDOWN_TIMEOUT" group:"server" default:"30s" used:"serve" zero:"hand running investigations back at once" help:"on SIGTERM, how long running investigations may finish"`
	ViewersFile    string        `name:"viewers-file" envvar:"PANTHER_TRIAGE_VIEWERS_FILE" group:"server" used:"serve" help:"htpasswd file of bcrypt entries (htpasswd -B) whose people may read the page and the API (empty: none)"`
	ReadToken      string        `name:"read-token" envvar:"PANTHER_TRIAGE_READ_TOKEN" group:"server" used:"serve" secret:"" help:"bearer token that opens the read API (not the page) to automation (empty: none)"`
	TrustedProxies []string      `name:"trusted-proxies" envvar:"PANTHER_TRIAGE_TRUSTED_PROXIES" group:"server" used:"serve" help:"CIDRs or addresses of an authenticating proxy (oauth2-proxy and the like) whose identity header is believed (empty: none)"`
	IdentityHeader string        `name:"identity-header" envvar:"PANTHER_TRIAGE_IDENTITY_HEADER" group:"server" default:"${identity_header}" used:"serve" help:"header in which a trusted proxy names the person"`
	LogLevel       string        `name:"log-level" envvar:"PANTHER_TRIAGE_LOG_LEVEL" group:"server" default:"info" used:"serve,investigate" help:"debug, info, warn or error"`

	Severities     []string `name:"severities" envvar:"PANTHER_TRIAGE_SEVERITIES" group:"filter" default:"${severities}" used:"serve,check" help:"alert severities to investigate"`
	Statuses       []string `name:"statuses" envvar:"PANTHER_TRIAGE_STATUSES" group:"filter" default:"OPEN,TRIAGED" used:"serve,investigate" help:"alert statuses to investigate, read from the API when the investigation runs"`
	Types          []string `name:"types" envvar:"PANTHER_TRIAGE_TYPES" group:"filter" used:"serve,check" help:"alert types to investigate (empty: all but detection and system errors)"`
	DetectionRegex string   `name:"detection-regex" envvar:"PANTHER_TRIAGE_DETECTION_REGEX" group:"filter" used:"serve,check" help:"Python-syntax regex the detection ID must match, e.g. ^(?!AWS).*"`
	IncludeTags    []string `name:"tags-include" envvar:"PANTHER_TRIAGE_TAGS_INCLUDE" group:"filter" used:"serve,check" help:"investigate only alerts with one of these tags (case-insensitive)"`
	ExcludeTags    []string `name:"tags-exclude" envvar:"PANTHER_TRIAGE_TAGS_EXCLUDE" group:"filter" used:"serve,check" help:"skip alerts with any of these tags (case-insensitive)"`

	DedupMinutes   int           `name:"dedup-minutes" envvar:"PANTHER_TRIAGE_DEDUP_MINUTES" group:"controls" default:"${dedup_minutes}" used:"serve" help:"one investigation per alert per this many minutes"`
	Settle         time.Duration `name:"settle" envvar:"PANTHER_TRIAGE_SETTLE" group:"controls" default:"0s" used:"serve" zero:"no delay" help:"wait this long after a delivery before investigating"`
	MaxPerDetHour  int           `name:"max-per-detection-hour" envvar:"PANTHER_TRIAGE_MAX_PER_DETECTION_HOUR" group:"controls" default:"${max_per_detection_hour}" used:"serve" zero:"no bound" help:"investigations per detection per hour; beyond, alerts get a short comment saying why not"`
	MaxPerHour     int           `name:"max-per-hour" envvar:"PANTHER_TRIAGE_MAX_PER_HOUR" group:"controls" default:"${max_per_hour}" used:"serve" zero:"no bound" help:"investigations per hour in all"`
	ReconcileEvery time.Duration `name:"reconcile-every" envvar:"PANTHER_TRIAGE_RECONCILE_EVERY" group:"controls" default:"0s" used:"serve" zero:"off" help:"list recent alerts this often and investigate those whose webhook never arrived"`
	AgreementEvery time.Duration `name:"agreement-every" envvar:"PANTHER_TRIAGE_AGREEMENT_EVERY" group:"controls" default:"${agreement_every}" used:"serve" zero:"off" help:"how often to read how analysts ended investigated alerts, for the agreement metric"`

	DB           string        `name:"db" envvar:"PANTHER_TRIAGE_DB" group:"queue" default:"panther-triage.db" used:"serve,investigate" help:"SQLite file path, or a postgres:// URL for several replicas"`
	Workers      int           `name:"workers" envvar:"PANTHER_TRIAGE_WORKERS" group:"queue" default:"${workers}" used:"serve" help:"investigations run at once by this process"`
	JobTimeout   time.Duration `name:"job-timeout" envvar:"PANTHER_TRIAGE_JOB_TIMEOUT" group:"queue" default:"0s" used:"serve" zero:"derived from the Panther deadlines and the step timeouts, logged at start" help:"bound on one investigation attempt"`
	RescueAfter  time.Duration `name:"rescue-after" envvar:"PANTHER_TRIAGE_RESCUE_AFTER" group:"queue" default:"0s" used:"serve" zero:"the attempt's bound plus 30s" help:"how long a job may run before it counts as lost with its process and is retried; longer than --job-timeout"`
	MaxAttempts  int           `name:"max-attempts" envvar:"PANTHER_TRIAGE_MAX_ATTEMPTS" group:"queue" default:"${max_attempts}" used:"serve" help:"tries of an investigation that keeps failing transiently (5xx, timeouts) before it is recorded as failed; with the default backoff, about 20 minutes of Panther outage"`
	RetryBackoff time.Duration `name:"retry-backoff" envvar:"PANTHER_TRIAGE_RETRY_BACKOFF" group:"queue" default:"${retry_backoff}" used:"serve" help:"delay before the first retry of a failed investigation; doubles each attempt, with jitter"`
	RetryMax     time.Duration `name:"retry-backoff-max" envvar:"PANTHER_TRIAGE_RETRY_BACKOFF_MAX" group:"queue" default:"${retry_backoff_max}" used:"serve" help:"longest delay between retries"`

	StepTimeout    time.Duration `name:"step-timeout" envvar:"PANTHER_TRIAGE_STEP_TIMEOUT" group:"investigation" default:"${step_timeout}" used:"serve,investigate" help:"bound on each investigation step"`
	MaxEvents      int           `name:"max-events" envvar:"PANTHER_TRIAGE_MAX_EVENTS" group:"investigation" default:"${max_events}" used:"serve,investigate" help:"events read per alert"`
	LakeMaxQueries int           `name:"datalake-max-queries" envvar:"PANTHER_TRIAGE_DATALAKE_MAX_QUERIES" group:"investigation" default:"${datalake_max_queries}" used:"serve,investigate" zero:"no indicator searches" help:"data lake indicator searches per investigation"`
	LakeMaxPerHour int           `name:"datalake-max-per-hour" envvar:"PANTHER_TRIAGE_DATALAKE_MAX_PER_HOUR" group:"investigation" default:"${datalake_max_per_hour}" used:"serve,investigate" help:"data lake searches per hour, all replicas together"`
	LakeTimeout    time.Duration `name:"datalake-timeout" envvar:"PANTHER_TRIAGE_DATALAKE_TIMEOUT" group:"investigation" default:"${datalake_timeout}" used:"serve,investigate" help:"a data lake search running longer is cancelled"`
	OrgDomains     []string      `name:"org-domains" envvar:"PANTHER_TRIAGE_ORG_DOMAINS" group:"investigation" used:"serve,investigate" help:"the organisation's email domains; a grant or share to anyone else is to an outsider (empty: the actors' dominant domain)"`
	PrecedentReads int           `name:"precedent-max-reads" envvar:"PANTHER_TRIAGE_PRECEDENT_MAX_READS" group:"investigation" default:"${precedent_max_reads}" used:"serve,investigate" help:"earlier and nearby alerts whose events and comments one investigation reads"`
	PrecedentHour  int           `name:"precedent-max-per-hour" envvar:"PANTHER_TRIAGE_PRECEDENT_MAX_PER_HOUR" group:"investigation" default:"${precedent_max_per_hour}" used:"serve,investigate" help:"reads of other alerts per hour, all replicas together"`
	PrecedentEvts  int           `name:"precedent-events" envvar:"PANTHER_TRIAGE_PRECEDENT_EVENTS" group:"investigation" default:"${precedent_events}" used:"serve,investigate" help:"events read of each other alert"`
	PrecedentMin   int           `name:"precedent-min-closed" envvar:"PANTHER_TRIAGE_PRECEDENT_MIN_CLOSED" group:"investigation" default:"${precedent_min_closed}" used:"serve,investigate" help:"false positives of the same actor from the same place that make strong benign evidence"`
	BaselineWindow time.Duration `name:"baseline-window" envvar:"PANTHER_TRIAGE_BASELINE_WINDOW" group:"investigation" default:"${baseline_window}" used:"serve,investigate" help:"how far back the top actor's usual places are read"`
	BaselineHour   int           `name:"baseline-max-per-hour" envvar:"PANTHER_TRIAGE_BASELINE_MAX_PER_HOUR" group:"investigation" default:"${baseline_max_per_hour}" used:"serve,investigate" help:"baseline searches per hour, all replicas together"`
	ContextFile    string        `name:"context-file" envvar:"PANTHER_TRIAGE_CONTEXT_FILE" group:"investigation" used:"serve,investigate" help:"YAML file of known networks, service accounts, VIP users and known-bad indicators (or the configuration file's context section)"`
	AbuseIPDBKey   string        `name:"abuseipdb-key" envvar:"PANTHER_TRIAGE_ABUSEIPDB_KEY" group:"investigation" used:"serve,investigate" secret:"" help:"AbuseIPDB API key: look up public IPs, 1,000 a day (empty: off)"`
	GreyNoiseKey   string        `name:"greynoise-key" envvar:"PANTHER_TRIAGE_GREYNOISE_KEY" group:"investigation" used:"serve,investigate" secret:"" help:"GreyNoise Community API key: look up public IPv4 addresses, 50 a day (empty: off)"`
	VirusTotalKey  string        `name:"virustotal-key" envvar:"PANTHER_TRIAGE_VIRUSTOTAL_KEY" group:"investigation" used:"serve,investigate" secret:"" help:"VirusTotal API key: look up public IPs, domains and hashes, 4 a minute and 500 a day (empty: off)"`
	LLMURL         string        `name:"llm-url" envvar:"PANTHER_TRIAGE_LLM_URL" group:"investigation" used:"serve,investigate" help:"OpenAI-compatible endpoint (e.g. http://localhost:11434/v1) that writes the summary and next steps (empty: off)"`
	LLMModel       string        `name:"llm-model" envvar:"PANTHER_TRIAGE_LLM_MODEL" group:"investigation" used:"serve,investigate" help:"model name for --llm-url"`
	LLMAPIKey      string        `name:"llm-api-key" envvar:"PANTHER_TRIAGE_LLM_API_KEY" group:"investigation" used:"serve,investigate" secret:"" help:"API key for --llm-url, if it needs one"`

	Sections      []string `name:"comment-sections" envvar:"PANTHER_TRIAGE_COMMENT_SECTIONS" group:"comment" default:"${comment_sections}" used:"serve,investigate" help:"sections the comment carries"`
	PublicURL     string   `name:"public-url" envvar:"PANTHER_TRIAGE_PUBLIC_URL" group:"comment" used:"serve,investigate" help:"this service's external base URL, e.g. https://triage.example.com; each comment links to <url>/investigations/<alertId> (empty: no link)"`
	CommentFormat string   `name:"comment-format" envvar:"PANTHER_TRIAGE_COMMENT_FORMAT" group:"comment" default:"${comment_format}" used:"serve,investigate" help:"PLAIN_TEXT or HTML"`
	DryRun        bool     `name:"dry-run" envvar:"PANTHER_TRIAGE_DRY_RUN" group:"comment" used:"serve,investigate,check" help:"investigate but write nothing to Panther"`
	SetStatus     string   `name:"set-status" envvar:"PANTHER_TRIAGE_SET_STATUS" group:"comment" used:"serve,investigate" help:"write-back: alert status by verdict, e.g. benign=RESOLVED (empty: off)"`
	SetAssignee   string   `name:"set-assignee" envvar:"PANTHER_TRIAGE_SET_ASSIGNEE" group:"comment" used:"serve,investigate" help:"write-back: assignee (a Panther user ID) by verdict, e.g. malicious=<user ID> (empty: off)"`

	// Dev runs against the simulated Panther (serve --dev, investigate
	// --dev): not a setting.
	Dev bool `kong:"-"`

	// origin says, for each setting not taken from the default or a flag,
	// where it came from: "path:line: key" or the environment variable.
	origin map[string]string
	// context is the configuration file's context section, if any.
	context *fileValue
}

// libraryDefaults are the defaults that are a library's constants, by the
// name a default tag gives them ("${workers}").
func libraryDefaults() map[string]any {
	return map[string]any{
		"api_concurrency":        panther.DefaultConcurrency,
		"severities":             filter.Severities,
		"dedup_minutes":          int(store.DefaultDedupWindow / time.Minute),
		"max_per_detection_hour": store.DefaultMaxPerDetectionHour,
		"max_per_hour":           store.DefaultMaxPerHour,
		"agreement_every":        agreement.DefaultEvery,
		"workers":                store.DefaultWorkers,
		"max_attempts":           store.DefaultMaxAttempts,
		"retry_backoff":          store.DefaultRetryBackoff,
		"retry_backoff_max":      store.DefaultRetryBackoffMax,
		"step_timeout":           investigate.DefaultStepTimeout,
		"max_events":             investigate.DefaultMaxEvents,
		"datalake_max_queries":   investigate.DefaultLakeMaxQueries,
		"datalake_max_per_hour":  investigate.DefaultLakeMaxPerHour,
		"datalake_timeout":       investigate.DefaultLakeTimeout,
		"comment_sections":       investigate.DefaultSections,
		"comment_format":         panther.FormatPlainText,
		"identity_header":        handler.DefaultIdentityHeader,
		"panther_rate":           panther.DefaultRate,
		"panther_read_timeout":   panther.DefaultReadDeadline,
		"panther_write_timeout":  panther.DefaultWriteDeadline,
		"auth_retry_window":      investigate.DefaultAuthRetryWindow,
		"precedent_max_reads":    investigate.DefaultPrecedentReads,
		"precedent_max_per_hour": investigate.DefaultPrecedentReadsPerHour,
		"precedent_events":       investigate.DefaultPrecedentEvents,
		"precedent_min_closed":   investigate.DefaultPrecedentMinClosed,
		"baseline_window":        investigate.DefaultBaselineWindow,
		"baseline_max_per_hour":  investigate.DefaultBaselinePerHour,
	}
}

// defaultVars are libraryDefaults as the text kong parses.
func defaultVars() kong.Vars {
	vars := kong.Vars{}
	for k, v := range libraryDefaults() {
		switch v := v.(type) {
		case []string:
			vars[k] = strings.Join(v, ",")
		case time.Duration:
			vars[k] = shortDuration(v)
		default:
			vars[k] = fmt.Sprint(v)
		}
	}
	return vars
}

// setting is what a Config field declares, read from its tags.
type setting struct {
	field                  reflect.StructField
	flag, env, group, help string
	def                    string // as written in the tag
	used, need             []string
	zero                   string // what 0 means; "" when 0 is refused
	secret                 bool
}

// uses reports whether command cmd reads the setting.
func (s setting) uses(cmd string) bool {
	return slices.Contains(s.used, cmd)
}

// typeName is the setting's type as help shows it.
func (s setting) typeName() string {
	switch t := s.field.Type; {
	case t == reflect.TypeFor[time.Duration]():
		return "duration"
	case t.Kind() == reflect.Slice:
		return "list"
	case t.Kind() == reflect.Int, t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Bool:
		return "bool"
	}
	return "text"
}

// numeric settings follow the zero rule.
func (s setting) numeric() bool {
	k := s.field.Type.Kind()
	return k == reflect.Int || k == reflect.Float64 || s.field.Type == reflect.TypeFor[time.Duration]()
}

// defaultText is the default as help shows it, library constants filled in.
func (s setting) defaultText() string {
	d := s.def
	if name, ok := strings.CutPrefix(d, "${"); ok {
		d = defaultVars()[strings.TrimSuffix(name, "}")]
	}
	return d
}

// settings lists every setting in declaration order, which is the order
// help shows them in.
func settings() []setting {
	t := reflect.TypeFor[Config]()
	var out []setting
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("kong") == "-" {
			continue
		}
		split := func(key string) []string {
			if v := f.Tag.Get(key); v != "" {
				return strings.Split(v, ",")
			}
			return nil
		}
		_, secret := f.Tag.Lookup("secret")
		out = append(out, setting{
			field: f, flag: f.Tag.Get("name"), env: f.Tag.Get("envvar"), group: f.Tag.Get("group"),
			help: f.Tag.Get("help"), def: f.Tag.Get("default"), used: split("used"), need: split("need"),
			zero: f.Tag.Get("zero"), secret: secret,
		})
	}
	return out
}

// settingByFlag finds a setting by its flag name.
func settingByFlag(flag string) (setting, bool) {
	for _, s := range settings() {
		if s.flag == flag {
			return s, true
		}
	}
	return setting{}, false
}

// sections are the configuration file's sections, in help order.
func sections() []string {
	var out []string
	for _, s := range settings() {
		if s.group != "" && !slices.Contains(out, s.group) {
			out = append(out, s.group)
		}
	}
	return out
}

// shortDuration writes d without zero units: 1h, 1m30s, 2s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
