package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/panther-triage/panther-triage/filter"
	"github.com/panther-triage/panther-triage/panther"
)

// permission is one Panther permission this service uses.
type permission struct {
	name, label string
	// required says whether the service cannot work without it.
	required func(cfg Config) bool
	// probe, when set, tests the permission with a harmless read where the
	// token's permissions cannot be listed.
	probe func(ctx context.Context, pc *panther.Client) error
}

func always(Config) bool { return true }
func never(Config) bool  { return false }

func permissions() []permission {
	return []permission{
		{name: "AlertRead", label: "Read Alerts", required: always, probe: func(ctx context.Context, pc *panther.Client) error {
			now := time.Now()
			_, err := pc.AlertsBetween(ctx, now.Add(-time.Hour), now, 1)
			return err
		}},
		{name: "AlertModify", label: "Manage Alerts", required: func(c Config) bool { return !c.DryRun }},
		{name: "RuleRead", label: "View Rules", required: always, probe: func(ctx context.Context, pc *panther.Client) error {
			_, err := pc.Detection(ctx, "RULE", "panther-triage.permission-check")
			if errors.Is(err, panther.ErrNotFound) {
				return nil
			}
			return err
		}},
		{name: "DataAnalyticsRead", label: "Query Data Lake", required: never},
		{name: "LogSourceRead", label: "View Log Sources", required: never},
		{name: "UserRead", label: "Read User Info", required: never},
	}
}

// check is Panther's "Test & Save" for this service: it reaches the API
// with the token and reports each permission the service uses.
func check(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := parseConfig("check", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	cfg.InsecureNoAuth = true // the webhook secret is not the concern here
	if err := cfg.Validate(true); err != nil {
		return err
	}
	if _, err := filter.New(cfg.filterConfig()); err == nil {
		fmt.Fprintln(stdout, "filters         ok")
	}
	pc := newPantherClient(cfg)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	version, err := pc.Version(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "panther API     FAILED: %v\n", err)
		if errors.Is(err, panther.ErrUnauthorized) {
			fmt.Fprintln(stdout, "                a new API token can take a few minutes to work; try again shortly, then check the token")
		}
		return errors.New("check failed: Panther's API did not accept the token")
	}
	fmt.Fprintf(stdout, "panther API     ok (Panther %s at %s)\n", version, cfg.PantherURL)

	granted, listErr := pc.TokenPermissions(ctx)
	how := "listed by GET /api-tokens/self"
	if listErr != nil {
		how = "probed with a harmless read (the token cannot list its permissions)"
	}
	failed := 0
	for _, p := range permissions() {
		var state string
		switch {
		case listErr == nil && slices.Contains(granted, p.name):
			state = "ok"
		case listErr == nil:
			state = "missing"
		case p.probe == nil:
			state = "not checked"
		case p.probe(ctx, pc) == nil:
			state = "ok"
		default:
			state = "missing"
		}
		need := "optional"
		if p.required(cfg) {
			need = "required"
		}
		if state == "missing" && need == "required" {
			failed++
		}
		fmt.Fprintf(stdout, "%-15s %s (%s, %s)\n", p.label, state, need, p.name)
	}
	fmt.Fprintf(stdout, "permissions     %s\n", how)
	if listErr == nil {
		var extra []string
		for _, g := range granted {
			if !slices.ContainsFunc(permissions(), func(p permission) bool { return p.name == g }) && g != "PolicyRead" {
				extra = append(extra, g)
			}
		}
		if len(extra) > 0 {
			fmt.Fprintf(stdout, "least privilege the token also has %v, which this service does not use\n", extra)
		}
	}
	if failed > 0 {
		return fmt.Errorf("check failed: %d required permission(s) missing", failed)
	}
	return nil
}
