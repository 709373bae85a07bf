package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/metrics"
	"github.com/panther-triage/panther-triage/triage"
)

// investigateCmd runs one investigation now, outside the queue, and prints
// the report. With cfg.Dev it runs against the simulated Panther, and
// without an alert ID lists the simulated Panther's alerts.
func investigateCmd(ctx context.Context, cfg Config, alertID, format string, getenv func(string) string, stdout, stderr io.Writer) error {
	if cfg.Dev {
		dev, err := startDev(&cfg, getenv, io.Discard)
		if err != nil {
			return err
		}
		defer dev.Close()
		fmt.Fprintf(stderr, "simulated Panther at %s, token %s\n", dev.srv.GraphQLURL(), dev.srv.Token)
		if alertID == "" {
			dev.PrintAlerts(stdout)
			return nil
		}
	}
	if alertID == "" {
		return errors.New("usage: panther-triage investigate [--dev] [--format text|json] ALERT_ID [SETTINGS]")
	}
	if err := cfg.Validate("investigate"); err != nil {
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
	out, err := inv.Run(ctx, alertID, runID, true)
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(outcomeRecord(alertID, runID, out))
	}
	if out.State == triage.StateSkipped {
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
func outcomeRecord(alertID string, runID int64, out investigate.Result) triage.Record {
	rec := triage.Record{AlertID: alertID, JobID: runID, Attempts: 1}
	out.Apply(&rec)
	return rec
}

// replay posts a saved webhook payload (file, or - for stdin) to a running
// server with the configured secret, as Panther would.
func replay(ctx context.Context, cfg Config, target, file string, stdin io.Reader, stdout io.Writer) error {
	if file == "" {
		return errors.New("usage: panther-triage replay [--url URL] FILE|- [SETTINGS]")
	}
	if err := cfg.Validate("replay"); err != nil {
		return err
	}
	var err error
	var body []byte
	if file == "-" {
		body, err = io.ReadAll(io.LimitReader(stdin, 2<<20))
	} else {
		body, err = os.ReadFile(file)
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
