package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// documentedDetection is the detection of the alert in Panther's webhook
// documentation, one of panthersim's seeds.
const documentedDetection = "AllLogs.IPMonitoring"

// payloads makes unique webhook bodies: Panther's documented example with a
// fresh alertId, one of detections detection IDs and a distinct title, so
// that neither the dedup window nor the storm collapse folds them.
type payloads struct {
	parts      [][]byte // the template split around its three holes
	run        string   // distinguishes this run's alert IDs from any other's
	detections int
	next       atomic.Int64
}

// newPayloads returns a generator whose alerts spread over the given number
// of detections.
func newPayloads(detections int) *payloads {
	var doc panthersim.SeedAlert
	for _, s := range panthersim.DefaultSeeds() {
		if s.Origin.ID == documentedDetection {
			doc = s
		}
	}
	if doc.ID == "" {
		panic("panthersim's seeds lack the documented alert of " + documentedDetection)
	}
	var m map[string]any
	if err := json.Unmarshal(doc.WebhookPayload(), &m); err != nil {
		panic(err)
	}
	m["alertId"], m["id"], m["title"] = "@ALERT@", "@DETECTION@", "@TITLE@"
	tmpl, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var parts [][]byte
	rest := tmpl
	for _, hole := range []string{`"@ALERT@"`, `"@DETECTION@"`, `"@TITLE@"`} {
		i := bytes.Index(rest, []byte(hole))
		if i < 0 {
			panic("payload template lost " + hole)
		}
		parts = append(parts, rest[:i])
		rest = rest[i+len(hole):]
	}
	parts = append(parts, rest)
	// The holes are in the template's key order (alertId < id < title).
	return &payloads{parts: parts, run: fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff), detections: detections}
}

// body returns a new unique payload.
func (p *payloads) body(buf []byte) []byte {
	n := p.next.Add(1)
	buf = buf[:0]
	buf = append(buf, p.parts[0]...)
	buf = fmt.Appendf(buf, `"%s%024x"`, p.run, n)
	buf = append(buf, p.parts[1]...)
	buf = fmt.Appendf(buf, `"Bench.Detection.%02d"`, n%int64(p.detections))
	buf = append(buf, p.parts[2]...)
	buf = fmt.Appendf(buf, `"Bench alert %d from 203.0.113.%d"`, n, n%250)
	buf = append(buf, p.parts[3]...)
	return buf
}

// loadResult is what one timed run of the loader saw.
type loadResult struct {
	requests  int
	failed    int         // transport errors and unexpected statuses
	statuses  map[int]int // by HTTP status
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

func (r loadResult) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// quantile returns the q-quantile of the latencies (nearest rank).
func (r loadResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// loader posts webhook bodies to one server from concurrency goroutines,
// each with its own keep-alive connection.
type loader struct {
	client      *http.Client
	url         string
	concurrency int
	bodies      *payloads
	// want is the status a request must get to count as accepted.
	want int
	// makeBody, when set, makes each body instead of bodies (a peer that
	// takes another format); no Authorization header is sent then.
	makeBody func(buf []byte) []byte
}

func newLoader(base string, concurrency int, bodies *payloads, want int) *loader {
	tr := &http.Transport{
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &loader{
		client:      &http.Client{Transport: tr, Timeout: 30 * time.Second},
		url:         base + "/webhook",
		concurrency: concurrency,
		bodies:      bodies,
		want:        want,
	}
}

// run posts for d and reports what it saw.
func (l *loader) run(ctx context.Context, d time.Duration) loadResult {
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	res := loadResult{statuses: map[int]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for range l.concurrency {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<14)
			statuses := map[int]int{}
			failed := 0
			buf := make([]byte, 0, 2048)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if l.makeBody != nil {
					buf = l.makeBody(buf)
				} else {
					buf = l.bodies.body(buf)
				}
				t0 := time.Now()
				status, err := l.post(ctx, buf)
				lat = append(lat, time.Since(t0))
				statuses[status]++
				if err != nil || status != l.want {
					failed++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			for s, n := range statuses {
				res.statuses[s] += n
			}
			res.failed += failed
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.requests = len(res.latencies)
	slices.Sort(res.latencies)
	return res
}

// post sends one body and reads the whole answer.
func (l *loader) post(ctx context.Context, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if l.makeBody == nil {
		req.Header.Set("Authorization", "Bearer "+benchSecret)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// postOne posts one body with the benchmark's secret and returns the status
// and the answer.
func postOne(ctx context.Context, base string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhook", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+benchSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
