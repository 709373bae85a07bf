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
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
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

// errUsage is returned, after the usage is printed, for a command line that
// names no known command.
var errUsage = errors.New("usage")

// run is the whole program, callable from tests: args without the program
// name, the environment as getenv.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "investigate":
		return investigateCmd(ctx, rest, getenv, stdout, stderr)
	case "replay":
		return replay(ctx, rest, getenv, stdin, stdout, stderr)
	case "check":
		return check(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		printHelp(stdout)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n", cmd)
	printHelp(stderr)
	return errUsage
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `panther-triage investigates Panther alerts and comments the result on each.

Commands:
  serve                    run the webhook server and the investigation workers
  serve --dev              the same against a simulated Panther, SQLite in a temp dir; prints a curl line to try it
  check                    check the Panther URL, the token and its permissions
  investigate ALERT_ID     investigate one alert now and print the report (--dry-run, --format text|json)
  replay FILE|-            post a saved webhook payload to a running server (--url, default http://localhost:8080/webhook)
  help                     this text

Settings (flag, environment variable, default):
`)
	for _, s := range settings() {
		def := s.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(w, "  --%-18s $%-33s %s\n      %s\n", s.flag, s.env, def, s.usage)
	}
}
