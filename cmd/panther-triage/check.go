package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/filter"
	"github.com/panther-triage/panther-triage/panther"
)

// needs are what the enabled features need from Panther's token.
type needs struct {
	comment   bool // posting comments (not a dry run)
	writeBack bool // changing status or assignee after the comment
	dataLake  bool // the data lake step searches
	policies  bool // policy alerts pass the filters
}

// needsOf derives the needs from the settings.
func needsOf(cfg Config) needs {
	return needs{
		comment:   !cfg.DryRun,
		writeBack: cfg.SetStatus != "" || cfg.SetAssignee != "",
		dataLake:  cfg.LakeMaxQueries > 0,
		policies:  len(cfg.Types) == 0 || slices.Contains(cfg.Types, "POLICY"),
	}
}

// permission is one Panther permission this service uses.
type permission struct {
	name, label string
	// why says what the service does with it.
	why string
	// required says whether an enabled feature needs it.
	required func(n needs) bool
	// probe, when set, tests the permission with a harmless read where the
	// token's permissions cannot be listed; noProbe says why there is none.
	probe   func(ctx context.Context, pc *panther.Client) error
	noProbe string
}

func permissions() []permission {
	return []permission{
		{name: "AlertRead", label: panther.PermReadAlerts, why: "reads alerts, events and comments",
			required: func(needs) bool { return true },
			probe: func(ctx context.Context, pc *panther.Client) error {
				now := time.Now()
				_, err := pc.AlertsBetween(ctx, now.Add(-time.Hour), now, 1)
				return err
			}},
		{name: "AlertModify", label: panther.PermManageAlerts, why: "posts the comment, changes status or assignee",
			required: func(n needs) bool { return n.comment || n.writeBack },
			noProbe:  "no write is harmless enough to try"},
		{name: "RuleRead", label: panther.PermViewRules, why: "reads rules, simple rules and scheduled rules",
			required: func(needs) bool { return true },
			probe: func(ctx context.Context, pc *panther.Client) error {
				return pc.ProbeCollection(ctx, panther.CollectionRules)
			}},
		{name: "PolicyRead", label: panther.PermViewPolicies, why: "reads the policies of policy alerts",
			required: func(n needs) bool { return n.policies },
			probe: func(ctx context.Context, pc *panther.Client) error {
				return pc.ProbeCollection(ctx, panther.CollectionPolicies)
			}},
		{name: "DataAnalyticsRead", label: panther.PermQueryDataLake, why: "searches the data lake for indicators",
			required: func(n needs) bool { return n.dataLake },
			probe:    func(ctx context.Context, pc *panther.Client) error { return pc.ProbeDataLake(ctx) }},
		{name: "LogSourceRead", label: panther.PermViewLogSources, why: "log source context",
			required: func(needs) bool { return false }, noProbe: "nothing fails without it"},
		{name: "UserRead", label: panther.PermReadUserInfo, why: "names assignees and analysts",
			required: func(needs) bool { return false }, noProbe: "nothing fails without it"},
	}
}

// check is Panther's "Test & Save" for this service: it reaches the API
// with the token and reports each permission the service uses.
// cfg is validated for check.
func check(ctx context.Context, cfg Config, stdout io.Writer) error {
	if _, err := filter.New(cfg.filterConfig()); err == nil {
		fmt.Fprintln(stdout, "filters         ok")
	}
	for _, w := range urlWarnings(cfg.PantherURL) {
		fmt.Fprintf(stdout, "panther URL     WARNING: %s\n", w)
	}
	pc := newPantherClient(cfg, panther.WithRetries(0))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	version, err := pc.Version(ctx)
	if err != nil {
		cause, hint := apiCause(err, cfg.PantherURL)
		fmt.Fprintf(stdout, "panther API     FAILED: %v\n", err)
		if hint != "" {
			fmt.Fprintf(stdout, "                %s\n", hint)
		}
		return fmt.Errorf("check failed: %s", cause)
	}
	fmt.Fprintf(stdout, "panther API     ok (Panther %s at %s)\n", version, cfg.PantherURL)

	n := needsOf(cfg)
	granted, listErr := pc.TokenPermissions(ctx)
	how := "listed by GET /api-tokens/self"
	if listErr != nil {
		why := listErr.Error()
		if errors.Is(listErr, panther.ErrForbidden) {
			why = "it needs " + panther.PermReadTokenInfo + " (HTTP 403)"
		}
		how = "probed with harmless reads: the token cannot list its permissions, " + why
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
			state = "not checked: " + p.noProbe
		default:
			switch perr := p.probe(ctx, pc); {
			case perr == nil:
				state = "ok"
			case errors.Is(perr, panther.ErrUnauthorized):
				state = "missing"
			default:
				state = "not checked: the probe failed: " + perr.Error()
			}
		}
		need := "optional"
		if p.required(n) {
			need = "required"
		}
		if state == "missing" && need == "required" {
			failed++
		}
		fmt.Fprintf(stdout, "%-15s %s (%s, %s: %s)\n", p.label, state, need, p.name, p.why)
	}
	fmt.Fprintf(stdout, "permissions     %s\n", how)
	if listErr == nil {
		var extra []string
		for _, g := range granted {
			if !slices.ContainsFunc(permissions(), func(p permission) bool { return p.name == g }) && g != "OrganizationAPITokenRead" {
				extra = append(extra, g)
			}
		}
		if len(extra) > 0 {
			fmt.Fprintf(stdout, "least privilege the token also has %v, which this service does not use\n", extra)
		}
	}
	if failed > 0 {
		return fmt.Errorf("check failed: permission: %d required permission(s) missing", failed)
	}
	return nil
}

// apiCause names why the API could not be reached or used, for check's
// verdict line, with a hint for the operator.
func apiCause(err error, apiURL string) (cause, hint string) {
	var (
		dns  *net.DNSError
		cert *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		hn   x509.HostnameError
		rec  tls.RecordHeaderError
		op   *net.OpError
	)
	host := apiURL
	if u, perr := url.Parse(apiURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	switch {
	case errors.As(err, &dns):
		return "DNS: " + host + " does not resolve", "check the host name of PANTHER_API_URL"
	case errors.As(err, &cert), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &rec):
		return "TLS: the connection to " + host + " is not trusted", "check the URL's scheme and host, and any proxy that intercepts TLS"
	case errors.Is(err, panther.ErrTokenRejected):
		return "token rejected (HTTP 401)", "a new API token can take a few minutes to work; try again shortly, then check the token"
	case errors.Is(err, panther.ErrForbidden):
		return "permission (HTTP 403): the token may not read Panther's settings", "give the token " + panther.PermReadAlerts + " at least"
	case errors.Is(err, panther.ErrWrongURL):
		return "wrong path (HTTP 404 or not GraphQL): " + apiURL + " is not Panther's GraphQL API",
			"use the API URL shown under Settings > API Tokens, ending in /public/graphql"
	case errors.Is(err, context.DeadlineExceeded):
		return "connection: " + host + " did not answer in time", "check the network path (firewall, proxy, allowed CIDR blocks)"
	case errors.As(err, &op):
		return "connection: cannot reach " + host, "check the host, the port and the network path"
	}
	return "Panther's API failed: " + err.Error(), ""
}

// urlWarnings says what looks wrong with an API URL: a console URL, or one
// without the GraphQL path.
func urlWarnings(apiURL string) []string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return []string{fmt.Sprintf("%q is not a URL", apiURL)}
	}
	var out []string
	if !strings.HasPrefix(u.Hostname(), "api.") && strings.Contains(u.Hostname(), "runpanther") {
		out = append(out, fmt.Sprintf("%s looks like the Panther console, not its API: the API URL is shown under Settings > API Tokens (https://api.<your-panther-domain>/public/graphql)", u.Host))
	}
	if !strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/graphql") {
		out = append(out, fmt.Sprintf("the path %q is not a GraphQL endpoint: Panther's ends in /public/graphql", u.Path))
	}
	return out
}

// probeAtStart checks the API URL once when the service starts and logs a
// warning when it looks wrong or does not answer as Panther's API does. It
// never stops the service: Panther may be unreachable only for now.
func probeAtStart(ctx context.Context, pc *panther.Client, apiURL string, log zerolog.Logger) {
	for _, w := range urlWarnings(apiURL) {
		log.Warn().Str("panther_url", apiURL).Msg("PANTHER_API_URL: " + w + "; run `panther-triage check`")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := pc.Version(ctx); err != nil {
		cause, hint := apiCause(err, apiURL)
		log.Warn().Err(err).Str("panther_url", apiURL).Str("hint", hint).
			Msg("Panther's API did not answer as expected (" + cause + "); investigations will fail until it does: run `panther-triage check`")
	}
}
