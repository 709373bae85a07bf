package main

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/alecthomas/kong"
)

// commandLine is the whole command line: the settings, which every command
// accepts anywhere (before or after its arguments), and the commands with
// their own flags.
type commandLine struct {
	Config
	Help bool `name:"help" short:"h" help:"show the commands, or a command's settings"`

	Serve struct {
		Dev bool `name:"dev" help:"run against a simulated Panther seeded with sample alerts, SQLite in a temp dir"`
	} `cmd:"" help:"run the webhook server and the investigation workers"`
	Investigate struct {
		Dev     bool   `name:"dev" help:"run against the simulated Panther and its sample alerts (prints their IDs)"`
		Format  string `name:"format" default:"text" enum:"text,json" help:"output: text (the comment) or json (the record)"`
		AlertID string `arg:"" optional:"" name:"ALERT_ID"`
	} `cmd:"" help:"investigate one alert now and print the report"`
	Replay struct {
		URL  string `name:"url" help:"webhook URL (default: http://127.0.0.1<port of --addr>/webhook)"`
		File string `arg:"" optional:"" name:"FILE"`
	} `cmd:"" help:"post a saved webhook payload (a file, or - for stdin) to a running server"`
	Check   struct{} `cmd:"" help:"check the Panther URL, the token and its permissions"`
	Version struct{} `cmd:"" help:"print the version"`
	HelpCmd struct{} `cmd:"" name:"help" help:"this text"`
}

// commands are the commands, for help and for a mistyped command name.
func commands() []string {
	return []string{"serve", "investigate", "replay", "check", "version", "help"}
}

// parsed is a parsed command line.
type parsed struct {
	cmd      string
	cfg      Config
	line     commandLine
	warnings []string
}

// parseCommandLine parses args (without the program name) with the
// environment and the configuration file. It reads the configuration file
// only for the commands that use settings.
func parseCommandLine(args []string, getenv func(string) string, stdout io.Writer) (parsed, error) {
	var line commandLine
	src := &sources{getenv: getenv, origin: map[string]string{}, flagErrs: map[string][]error{}}
	parser, err := kong.New(&line,
		kong.Name("panther-triage"),
		kong.NoDefaultHelp(),
		kong.Writers(stdout, stdout),
		kong.Exit(func(int) {}), // help is ours (NoDefaultHelp): kong never exits
		kong.Resolvers(src),
		kong.TypeMapper(reflect.TypeFor[int](), numberMapper{}),
		kong.TypeMapper(reflect.TypeFor[time.Duration](), numberMapper{}),
		defaultVars(),
	)
	if err != nil {
		return parsed{}, fmt.Errorf("command line: %w", err) // a declaration mistake
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return parsed{}, errors.Join(append([]error{err}, src.errs...)...)
	}
	cmd := strings.Fields(kctx.Command())[0]
	if cmd == "help" {
		cmd = ""
		line.Help = true
	}
	errs := src.errs
	for _, s := range settings() {
		if s.uses(cmd) {
			errs = append(errs, src.flagErrs[s.flag]...)
		}
	}
	if len(errs) > 0 && !line.Help {
		return parsed{}, errors.Join(errs...)
	}
	p := parsed{cmd: cmd, cfg: line.Config, line: line, warnings: src.warnings}
	p.cfg.origin = src.origin
	p.cfg.context = src.context
	p.cfg.normalize()
	return p, nil
}

// normalize trims list items and spells statuses and formats as Panther
// does.
func (c *Config) normalize() {
	trim := func(ss []string) []string {
		var out []string
		for _, s := range ss {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	c.Severities, c.Types = trim(c.Severities), upper(trim(c.Types))
	c.Statuses, c.Sections = upper(trim(c.Statuses)), trim(c.Sections)
	c.IncludeTags, c.ExcludeTags = trim(c.IncludeTags), trim(c.ExcludeTags)
	c.CommentFormat = strings.ToUpper(strings.TrimSpace(c.CommentFormat))
}

// sources is the kong resolver of the environment and the configuration
// file: for each setting that no flag set, the environment variable if set,
// else the file's key if written. It checks each value's type itself, so
// that a problem names where the value was written.
type sources struct {
	getenv  func(string) string
	loaded  bool
	file    map[string]fileValue
	context *fileValue
	origin  map[string]string
	errs    []error
	// flagErrs are the problems of values, by flag: only those of the
	// settings the command uses count.
	flagErrs map[string][]error
	warnings []string
}

func (s *sources) Validate(*kong.Application) error { return nil }

func (s *sources) Resolve(kctx *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
	env := flag.Tag.Get("envvar")
	if env == "" {
		return nil, nil // a command's own flag
	}
	if !s.loaded {
		s.loaded = true
		s.load(kctx)
	}
	if v := s.getenv(env); v != "" {
		if problem := typeProblem(flag.Target.Type(), v); problem != "" {
			s.flagErrs[flag.Name] = append(s.flagErrs[flag.Name], fmt.Errorf("%s: %s", env, problem))
			return nil, nil
		}
		s.origin[flag.Name] = env
		return v, nil
	}
	if fv, ok := s.file[flag.Name]; ok {
		if problem := typeProblem(flag.Target.Type(), fv.value); problem != "" {
			s.flagErrs[flag.Name] = append(s.flagErrs[flag.Name], fmt.Errorf("%s: %s: %s", fv.where, flag.Name, problem))
			return nil, nil
		}
		s.origin[flag.Name] = fv.where + ": " + flag.Name
		return fv.value, nil
	}
	return nil, nil
}

// load reads the configuration file named by --config, else by
// PANTHER_TRIAGE_CONFIG.
func (s *sources) load(kctx *kong.Context) {
	path := ""
	for _, f := range kctx.Flags() {
		if f.Name == "config" {
			path, _ = kctx.FlagValue(f).(string)
		}
	}
	if path == "" {
		path = s.getenv("PANTHER_TRIAGE_CONFIG")
	}
	if path = strings.TrimSpace(path); path == "" {
		return
	}
	f, err := readConfigFile(path)
	if err != nil {
		s.errs = append(s.errs, err)
	}
	s.file, s.context, s.warnings = f.values, f.context, f.warnings
}

// typeProblem says why text is not a value of type t, or "".
func typeProblem(t reflect.Type, text string) string {
	text = strings.TrimSpace(text)
	switch {
	case t == reflect.TypeFor[time.Duration]():
		if _, err := time.ParseDuration(text); err != nil {
			return fmt.Sprintf("%q is not a duration such as 30s or 2m", text)
		}
	case t.Kind() == reflect.Int:
		if _, err := strconv.Atoi(text); err != nil {
			return fmt.Sprintf("%q is not a whole number", text)
		}
	case t.Kind() == reflect.Bool:
		if _, err := strconv.ParseBool(text); err != nil {
			return fmt.Sprintf("%q is not true or false", text)
		}
	}
	return ""
}

// numberMapper reads whole numbers and durations with the messages the
// environment and the file give for them.
type numberMapper struct{}

func (numberMapper) Decode(ctx *kong.DecodeContext, target reflect.Value) error {
	var text string
	if err := ctx.Scan.PopValueInto("value", &text); err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if problem := typeProblem(target.Type(), text); problem != "" {
		return errors.New(problem)
	}
	if target.Type() == reflect.TypeFor[time.Duration]() {
		d, _ := time.ParseDuration(text)
		target.SetInt(int64(d))
		return nil
	}
	n, _ := strconv.Atoi(text)
	target.SetInt(int64(n))
	return nil
}

// envWarnings names the variables of environ that look like settings but
// are none (a typo such as PANTHER_TRIAGE_SEVERITES), with the nearest
// setting's variable.
func envWarnings(environ []string) []string {
	var known []string
	for _, s := range settings() {
		known = append(known, s.env)
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "PANTHER_TRIAGE_") || slices.Contains(known, name) || name == "PANTHER_TRIAGE_TEST_POSTGRES" {
			continue
		}
		best, dist := "", 0
		for _, k := range known {
			if d := levenshtein.ComputeDistance(name, k); best == "" || d < dist {
				best, dist = k, d
			}
		}
		hint := ""
		if dist <= 3 {
			hint = fmt.Sprintf(" (did you mean %s?)", best)
		}
		out = append(out, fmt.Sprintf("environment variable %s is not a setting%s", name, hint))
	}
	return out
}
