package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"
)

// alertmanagerConfig routes every alert to a receiver that sends nothing:
// what is measured is Alertmanager taking alerts in, as the intake does.
const alertmanagerConfig = `route:
  receiver: discard
receivers:
  - name: discard
`

// startAlertmanager runs Prometheus Alertmanager's binary on a free
// loopback port, with its storage in dir and clustering off, and waits for
// /-/ready.
func startAlertmanager(ctx context.Context, bin, dir string) (*process, error) {
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(alertmanagerConfig), 0o600); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	_ = l.Close()
	logFile, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "alertmanager-data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start alertmanager: %w", err)
	}
	p := &process{name: "alertmanager", cmd: cmd, log: logFile, done: make(chan error, 1), base: "http://" + addr}
	go func() { p.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			logFile.Close()
			return nil, fmt.Errorf("alertmanager exited: %v (log: %s)", err, logFile.Name())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("alertmanager not ready within 60s (log: %s)", logFile.Name())
		}
	}
}

// alertmanagerLoader posts one unique alert per request to Alertmanager's
// API, carrying what a Panther delivery carries (alert ID, detection,
// severity, title), and counts a 200 as accepted.
func alertmanagerLoader(base string, concurrency int) *loader {
	l := newLoader(base, concurrency, nil, http.StatusOK)
	l.url = base + "/api/v2/alerts"
	run := fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)
	var next atomic.Int64
	l.makeBody = func(buf []byte) []byte {
		n := next.Add(1)
		return fmt.Appendf(buf[:0], `[{"labels":{"alertname":"Bench.Detection.%02d","alert_id":"%s%024x","severity":"INFO"},`+
			`"annotations":{"title":"Bench alert %d from 203.0.113.%d"},"startsAt":"%s"}]`,
			n%20, run, n, n, n%250, time.Now().UTC().Format(time.RFC3339Nano))
	}
	return l
}
