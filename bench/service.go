package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// apiCalls reads the service's Panther API calls by operation from
// GET /metrics (panther_triage_panther_api_calls_total, summed over
// statuses).
func apiCalls(ctx context.Context, base string) (map[string]float64, error) {
	out := map[string]float64{}
	err := scrape(ctx, base, func(name string, labels map[string]string, v float64) {
		if name == "panther_triage_panther_api_calls_total" {
			out[labels["operation"]] += v
		}
	})
	return out, err
}

// scannedBytes reads the bytes the data lake reported scanning for the
// service (panther_triage_datalake_scanned_bytes_total).
func scannedBytes(ctx context.Context, base string) (float64, error) {
	var out float64
	err := scrape(ctx, base, func(name string, _ map[string]string, v float64) {
		if name == "panther_triage_datalake_scanned_bytes_total" {
			out += v
		}
	})
	return out, err
}

// scrape calls f with every sample of the service's Prometheus text.
func scrape(ctx context.Context, base string, f func(name string, labels map[string]string, v float64)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		name, labels := line[:sp], map[string]string{}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			for _, kv := range strings.Split(strings.TrimSuffix(name[i+1:], "}"), ",") {
				if k, val, ok := strings.Cut(kv, "="); ok {
					labels[k] = strings.Trim(val, `"`)
				}
			}
			name = name[:i]
		}
		f(name, labels, v)
	}
	return sc.Err()
}

// record reads an alert's investigation record through the read API.
func record(ctx context.Context, base, alertID string) (triage.Record, error) {
	var rec triage.Record
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/investigations/"+alertID, nil)
	if err != nil {
		return rec, err
	}
	req.Header.Set("Authorization", "Bearer "+benchSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rec, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return rec, fmt.Errorf("GET investigation %s: %s", alertID, resp.Status)
	}
	return rec, json.NewDecoder(resp.Body).Decode(&rec)
}

// waitFinished polls an alert's record until it is done, skipped or
// failed, or timeout passes.
func waitFinished(ctx context.Context, base, alertID string, timeout time.Duration) (triage.Record, error) {
	deadline := time.Now().Add(timeout)
	for {
		rec, err := record(ctx, base, alertID)
		if err == nil {
			switch rec.State {
			case triage.StateDone, triage.StateSkipped, triage.StateFailed:
				return rec, nil
			}
		}
		if time.Now().After(deadline) {
			return rec, fmt.Errorf("alert %s not finished after %s (state %q, %v)", alertID, timeout, rec.State, err)
		}
		select {
		case <-ctx.Done():
			return rec, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
