// Command panther-triage is the service Panther calls as a Custom Webhook:
// it stores each alert delivery durably, investigates the alert through
// Panther's API and posts the result as a comment on the alert, once.
//
// main only wires: configuration, logger, Panther client, steps,
// investigator, queue and worker, handler, HTTP server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/agnivade/levenshtein"
)

func main() {
	// The first signal shuts down gracefully; a second one aborts the
	// shutdown at once.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, stop := context.WithCancel(context.Background())
	abort := make(chan struct{})
	go func() {
		<-signals
		stop()
		<-signals
		close(abort)
	}()
	for _, w := range envWarnings(os.Environ()) {
		fmt.Fprintln(os.Stderr, "panther-triage: warning:", w)
	}
	collectGarbage(os.Getenv)
	err := run(withAbort(ctx, abort), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "panther-triage:", err)
		os.Exit(1)
	}
}

// collectGarbage sets the garbage collector's defaults, unless GOGC or
// GOMEMLIMIT set them: collect when the heap has grown to five times what
// is live rather than twice, and harder as the heap nears gcMemoryLimit.
// The service keeps little live (tens of MiB at peak in the storm and
// big-alert benchmarks) and allocates for every delivery, and at Go's
// default the collector took about a tenth of the intake's CPU.
func collectGarbage(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}

const (
	gcPercent = 400
	// gcMemoryLimit is a soft limit on the Go heap, below the 512 MiB the
	// Kubernetes manifests give a replica.
	gcMemoryLimit = 384 << 20
)

// abortKey carries the channel closed by a second signal.
type abortKey struct{}

// withAbort returns ctx carrying abort, closed when a second signal asks to
// stop without waiting for running work.
func withAbort(ctx context.Context, abort <-chan struct{}) context.Context {
	return context.WithValue(ctx, abortKey{}, abort)
}

// abortOf is the abort channel of ctx; nil (never closed) when none.
func abortOf(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(abortKey{}).(<-chan struct{})
	return ch
}

// errUsage is returned, after the usage is printed, for a command line that
// names no known command.
var errUsage = errors.New("usage")

// run is the whole program, callable from tests: args without the program
// name, the environment as getenv.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr, "")
		return errUsage
	}
	if slices.Contains([]string{"help", "-h", "-help", "--help"}, args[0]) {
		cmd := ""
		if len(args) > 1 && slices.Contains(commands(), args[1]) {
			cmd = args[1]
		}
		printHelp(stdout, cmd)
		return nil
	}
	if cmd := args[0]; !strings.HasPrefix(cmd, "-") && !slices.Contains(commands(), cmd) {
		fmt.Fprintf(stderr, "unknown command %q%s; the commands are %s (help for more)\n", cmd, nearest(cmd, commands()), strings.Join(commands(), ", "))
		return errUsage
	}
	p, err := parseCommandLine(args, getenv, stdout)
	if err != nil {
		return err
	}
	if p.line.Help {
		printHelp(stdout, p.cmd)
		return flag.ErrHelp
	}
	for _, w := range p.warnings {
		fmt.Fprintln(stderr, "panther-triage: warning:", w)
	}
	cfg := p.cfg
	switch p.cmd {
	case "serve":
		cfg.Dev = p.line.Serve.Dev
		return serve(ctx, cfg, getenv, stdout, stderr)
	case "investigate":
		cfg.Dev = p.line.Investigate.Dev
		return investigateCmd(ctx, cfg, p.line.Investigate.AlertID, p.line.Investigate.Format, getenv, stdout, stderr)
	case "replay":
		return replay(ctx, cfg, p.line.Replay.URL, p.line.Replay.File, stdin, stdout)
	case "check":
		if err := cfg.Validate("check"); err != nil {
			return err
		}
		return check(ctx, cfg, stdout)
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	}
	printHelp(stdout, "")
	return nil
}

// version is the module version and the VCS revision the binary was built
// from, as the Go toolchain recorded them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "panther-triage (no build information)"
	}
	v := "panther-triage " + info.Main.Version
	var rev, at, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (revision %s%s, %s)", rev, modified, at)
	} else {
		v += " (no VCS revision recorded)"
	}
	return v + ", " + info.GoVersion
}

// nearest suggests the name in names closest to s.
func nearest(s string, names []string) string {
	for _, n := range names {
		if strings.HasPrefix(n, s) || strings.HasPrefix(s, n) || levenshtein.ComputeDistance(s, n) <= 2 {
			return fmt.Sprintf(" (did you mean %s?)", n)
		}
	}
	return ""
}

func printHelp(w io.Writer, cmd string) {
	if cmd == "" {
		fmt.Fprint(w, `panther-triage investigates Panther alerts and comments the result on each.

Usage: panther-triage COMMAND [ARGUMENT] [SETTINGS]  (settings go before or after the argument)

Commands:
  serve                    run the webhook server and the investigation workers
  serve --dev              the same against a simulated Panther, SQLite in a temp dir; prints a curl line to try it
  check                    check the Panther URL, the token and its permissions
  investigate ALERT_ID     investigate one alert now and print the report (--dry-run, --format text|json)
  investigate --dev [ID]   the same against the simulated Panther; without an ID, lists its sample alerts
  replay FILE|-            post a saved webhook payload to a running server (--url, default http://localhost:8080/webhook)
  version                  print the version and the VCS revision
  help                     this text; COMMAND --help shows the settings COMMAND uses

`)
	} else {
		fmt.Fprintf(w, "Usage: panther-triage %s", cmd)
		switch cmd {
		case "serve":
			fmt.Fprint(w, " [--dev]")
		case "investigate":
			fmt.Fprint(w, " [--dev] [--format text|json] ALERT_ID")
		case "replay":
			fmt.Fprint(w, " [--url URL] FILE|-")
		}
		fmt.Fprint(w, " [SETTINGS]\n\n")
	}
	fmt.Fprint(w, `Settings: flag, type, environment variable, default. The configuration file
(--config) takes the flag's name as key, at the top level or in the section
in brackets. A flag wins over the environment, which wins over the file.
A number or duration of 0 is refused unless its line says what 0 means.
`)
	group := "-"
	for _, s := range settings() {
		if cmd != "" && !s.uses(cmd) {
			continue
		}
		if s.group != group {
			group = s.group
			if group != "" {
				fmt.Fprintf(w, "\n[%s]\n", group)
			}
		}
		def := s.defaultText()
		switch {
		case def == "" && s.typeName() == "bool":
			def = "false"
		case def == "":
			def = "none"
		}
		if s.zero != "" {
			def += "; 0: " + s.zero
		}
		fmt.Fprintf(w, "  --%s %s  $%s  (default %s)\n      %s\n", s.flag, s.typeName(), s.env, def, s.help)
	}
}
