// Command bench measures panther-triage as users run it: the real binary,
// built into a temp dir and started as a subprocess against a simulated
// Panther (panther/panthersim) served by this program. It prints its
// figures as Markdown tables; it never fails because a machine is slow.
//
//	go run ./bench intake        # POST /webhook throughput and latency against a no-op server, SQLite and PostgreSQL
//	go run ./bench investigate   # delivery-to-comment latency per sample alert beside its critical path, and API cost
//	go run ./bench storm         # 1,000 alerts of 20 detections: data lake queries, peak RSS
//	go run ./bench bigalert      # one alert with 10,000 events: peak RSS
//	go run ./bench drain         # a backlog against a rate-limited Panther: pace ratio, share of 429s, calls per alert
//	go run ./bench all           # all of the above, in that order
//
// Each command takes -h for its flags. BENCHMARKS.md has the results and the
// machine they were measured on.
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
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// commands are the benchmarks, in the order "all" runs them.
var commands = []struct {
	name, usage string
	run         func(ctx context.Context, args []string, out io.Writer) error
}{
	{"intake", "POST /webhook at concurrency 32 against a no-op chi server, alternating, on SQLite and PostgreSQL", intake},
	{"investigate", "delivery-to-comment latency per sample alert with 50 ms per Panther call, beside the critical path; API calls and data lake cost", investigateBench},
	{"storm", "1,000 alerts of 20 detections sharing indicators: data lake queries against distinct (indicator, window) pairs, peak RSS", storm},
	{"bigalert", "one alert with 10,000 events: peak RSS", bigAlert},
	{"drain", "a backlog of 60 alerts against a Panther limited to 20 calls/s: pace ratio, share of 429s, calls per alert", drain},
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		return nil
	}
	if args[0] == "all" {
		if len(args) > 1 {
			return fmt.Errorf("all takes no flags; run the commands one by one to set them")
		}
		printMachine(out)
		for _, c := range commands {
			if err := c.run(ctx, nil, out); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
		}
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			printMachine(out)
			return c.run(ctx, args[1:], out)
		}
	}
	usage(os.Stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: go run ./bench COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.usage)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "all", "every command above with its default flags")
}
