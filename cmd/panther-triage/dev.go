package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// devSecret is the webhook secret of serve --dev unless one is configured.
const devSecret = "dev-secret"

// devPanther is the simulated Panther that serve --dev runs against, with
// its sample alerts and a temp dir for the database and payload files.
type devPanther struct {
	srv   *panthersim.Server
	seeds []panthersim.SeedAlert
	dir   string
	// viewer and password are the page's login serve --dev makes, when no
	// viewers file is configured.
	viewer, password string
}

// startDev starts the simulated Panther, points cfg at it, puts the
// database in a temp dir unless one is configured, and prints every comment
// the simulated Panther receives.
func startDev(cfg *Config, getenv func(string) string, stdout io.Writer) (*devPanther, error) {
	dir, err := os.MkdirTemp("", "panther-triage-dev-")
	if err != nil {
		return nil, fmt.Errorf("dev: temp dir: %w", err)
	}
	seeds := panthersim.DefaultSeeds()
	srv := panthersim.New(
		panthersim.WithSeeds(seeds...),
		panthersim.WithCommentHook(func(c panther.Comment) {
			fmt.Fprintf(stdout, "\n── simulated Panther: comment %s posted on alert %s ──\n%s\n", c.ID, c.AlertID, strings.TrimRight(c.Body, "\n"))
		}),
	)
	srv.Start()
	cfg.PantherURL, cfg.PantherRESTURL, cfg.PantherToken = srv.GraphQLURL(), srv.RESTURL(), srv.Token
	if getenv("PANTHER_TRIAGE_DB") == "" && cfg.DB == "panther-triage.db" {
		cfg.DB = filepath.Join(dir, "panther-triage.db")
	}
	if cfg.WebhookSecret == "" && !cfg.InsecureNoAuth {
		cfg.WebhookSecret = devSecret
	}
	d := &devPanther{srv: srv, seeds: seeds, dir: dir}
	if err := d.writePayloads(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// writePayloads saves each sample alert's webhook payload for replay.
func (d *devPanther) writePayloads() error {
	for _, s := range d.seeds {
		if err := os.WriteFile(d.payloadPath(s), s.WebhookPayload(), 0o600); err != nil {
			return fmt.Errorf("dev: write payload: %w", err)
		}
	}
	return nil
}

func (d *devPanther) payloadPath(s panthersim.SeedAlert) string {
	return filepath.Join(d.dir, s.ID+".json")
}

// PrintTry prints what to paste to see the loop work.
func (d *devPanther) PrintTry(w io.Writer, addr, secret string) {
	url := webhookURL(addr)
	first := d.seeds[0]
	for _, s := range d.seeds {
		if s.ID == "4c1e8f2a9d7b3e6051c8a2f4d9e7b130" { // the root login from a Tor exit node
			first = s
		}
	}
	fmt.Fprintf(w, "\nDev mode: a simulated Panther runs at %s with %d sample alerts; the database is in %s.\n", d.srv.URL(), len(d.seeds), d.dir)
	fmt.Fprintf(w, "Send Panther's webhook for one of them (%s):\n\n  curl -sS -X POST %s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' --data-binary @%s\n\n",
		first.Title, url, secret, d.payloadPath(first))
	fmt.Fprintf(w, "The others, one command each:\n\n")
	for _, s := range d.seeds {
		fmt.Fprintf(w, "  go run ./cmd/panther-triage replay --url %s --webhook-secret %s %s\n", url, secret, d.payloadPath(s))
	}
	base := strings.TrimSuffix(url, "/webhook")
	if d.viewer == "" {
		fmt.Fprintf(w, "\nThen read the results:\n\n  curl -sS -u any:%s %s\n\n", secret, base+"/api/v1/investigations")
		return
	}
	fmt.Fprintf(w, "\nThen read the results: open %s/ and sign in as %s with password %s, or\n\n  curl -sS -u %s:%s %s\n\n",
		base, d.viewer, d.password, d.viewer, d.password, base+"/api/v1/investigations")
}

// PrintAlerts lists the simulated Panther's alerts, for investigate --dev.
func (d *devPanther) PrintAlerts(w io.Writer) {
	fmt.Fprintf(w, "The simulated Panther's alerts; investigate one with: panther-triage investigate --dev ALERT_ID\n\n")
	for _, s := range d.seeds {
		fmt.Fprintf(w, "  %s  %s\n", s.ID, s.Title)
	}
}

// Close stops the simulated Panther and removes the temp dir.
func (d *devPanther) Close() {
	d.srv.Close()
	_ = os.RemoveAll(d.dir)
}

// lockedWriter serialises writes from concurrent goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
