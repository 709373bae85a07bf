package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/metrics"
)

// investigateCmd runs one investigation now, outside the queue, and prints
// the report.
func investigateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var format string
	cfg, rest, err := parseConfig("investigate", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "text", "output: text (the comment) or json (the record)")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("usage: panther-triage investigate [flags] ALERT_ID")
	}
	if format != "text" && format != "json" {
		return fmt.Errorf("--format: %q is not text or json", format)
	}
	cfg.InsecureNoAuth = true // no server: the webhook secret is not needed
	if err := cfg.Validate(true); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	// The database holds the data lake cache and budget shared with serve.
	_, st, inv, err := newInvestigator(ctx, cfg, metrics.New(log), log)
	if err != nil {
		return err
	}
	defer st.Close()
	// A manual run gets its own run ID, so its marker is its own.
	runID := time.Now().UnixMilli()
	out, err := inv.Run(ctx, rest[0], runID, true)
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(outcomeRecord(rest[0], runID, out))
	}
	if out.State == investigate.StateSkipped {
		fmt.Fprintf(stdout, "skipped: %s\n", out.Reason)
		return nil
	}
	fmt.Fprint(stdout, out.Comment)
	switch {
	case cfg.DryRun:
		fmt.Fprintln(stderr, "dry run: nothing was posted to Panther")
	case out.Posted:
		fmt.Fprintf(stderr, "posted as comment %s\n", out.CommentID)
	}
	return nil
}

// outcomeRecord is the record a manual run would have stored.
func outcomeRecord(alertID string, runID int64, out investigate.Outcome) investigate.Record {
	rec := investigate.Record{AlertID: alertID, JobID: runID, Attempts: 1}
	out.Apply(&rec)
	return rec
}

// replay posts a saved webhook payload to a running server with the
// configured secret, as Panther would.
func replay(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var target string
	cfg, rest, err := parseConfig("replay", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&target, "url", "", "webhook URL (default: http://127.0.0.1<port of --addr>/webhook)")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("usage: panther-triage replay [flags] FILE|-")
	}
	var body []byte
	if rest[0] == "-" {
		body, err = io.ReadAll(io.LimitReader(stdin, 2<<20))
	} else {
		body, err = os.ReadFile(rest[0])
	}
	if err != nil {
		return fmt.Errorf("replay: read payload: %w", err)
	}
	if target == "" {
		target = webhookURL(cfg.Addr)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cfg.WebhookSecret != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.WebhookSecret)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("replay: post to %s: %w", target, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "%d %s\n", resp.StatusCode, strings.TrimSpace(string(answer)))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("replay: the server answered %s", resp.Status)
	}
	return nil
}

// webhookURL is the local webhook URL for a listen address such as ":8080".
func webhookURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/webhook"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/webhook"
}
