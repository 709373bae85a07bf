package handler

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/triage"
)

// pageRecords are the store's records in the page tests, newest first: one
// of each verdict and state the list filters by.
func pageRecords() []triage.Record {
	at := func(ago time.Duration) time.Time { return testNow().Add(-ago) }
	return []triage.Record{
		{
			AlertID: "a1000000000000000000000000000001", JobID: 7, State: triage.StateQueued,
			DetectionID: "Okta.BruteForce", Severity: "MEDIUM", Title: "Okta brute force on jdoe",
			Findings: []triage.Finding{}, CreatedAt: at(30 * time.Second), UpdatedAt: at(30 * time.Second),
		},
		{
			AlertID: "a2000000000000000000000000000002", JobID: 6, State: triage.StateDone,
			DetectionID: "AWS.Console.RootLogin", Severity: "CRITICAL", Title: "AWS root login from 185.220.101.34",
			Verdict: triage.VerdictMalicious, Confidence: 0.85,
			Summary: "Root console login from a Tor exit node.",
			Findings: []triage.Finding{{
				Step: "enrichment", Kind: "tor_exit", Title: "185.220.101.34 is a Tor exit node",
				Detail: "listed by the Tor project", Weight: triage.WeightMalicious,
				Evidence: []triage.Evidence{
					{Kind: "event", Ref: "row-7f3a"},
					{Kind: "alert", Ref: "a0999999999999999999999999999999"},
					{Kind: "query", Ref: "query-42"},
				},
			}},
			Comment:   "panther-triage: MALICIOUS (confidence 0.85)\n\npanther-triage run 6 · a2000000000000000000000000000002",
			CommentID: "comment-9", Attempts: 2, Timings: map[string]string{"indicators": "3ms", "events": "120ms"},
			CreatedAt: at(5 * time.Minute), UpdatedAt: at(4 * time.Minute),
		},
		{
			AlertID: "a3000000000000000000000000000003", JobID: 5, State: triage.StateDone,
			DetectionID: "GitHub.Repo.Public", Severity: "LOW", Title: "Repository made public",
			Verdict: triage.VerdictBenign, Confidence: 0.6,
			CreatedAt: at(3 * time.Hour), UpdatedAt: at(3 * time.Hour),
		},
		{
			AlertID: "a4000000000000000000000000000004", JobID: 4, State: triage.StateFailed,
			DetectionID: "GCP.IAM.OwnerGranted", Severity: "HIGH", Title: "GCP owner granted to outsider",
			Error: "panther: get alert: 403 forbidden", Attempts: 1,
			CreatedAt: at(72 * time.Hour), UpdatedAt: at(72 * time.Hour),
		},
	}
}

// pageSetup is setup with the store holding records: the fake store
// filters them, then answers the newest limit of them, as the store does;
// Investigation looks one up by alert ID.
func pageSetup(t *testing.T, records []triage.Record, opts ...func(*Config)) *bundle {
	t.Helper()
	b := setup(t, opts...)
	b.store.ListFunc = func(_ context.Context, q triage.ListQuery) (triage.SummaryPage, error) {
		var page triage.SummaryPage
		for _, r := range records {
			if (q.State == "" || r.State == q.State) && (q.Verdict == "" || r.Verdict == q.Verdict) {
				if len(page.Summaries) == q.Limit {
					page.Next = "after-" + page.Summaries[q.Limit-1].AlertID
					break
				}
				page.Summaries = append(page.Summaries, summarize(r))
			}
		}
		return page, nil
	}
	b.store.InvestigationsFunc = func(_ context.Context, limit int) ([]triage.Record, error) {
		return records[:min(limit, len(records))], nil
	}
	b.store.InvestigationFunc = func(_ context.Context, id string) (triage.Record, error) {
		for _, r := range records {
			if r.AlertID == id {
				return r, nil
			}
		}
		return triage.Record{}, triage.ErrNoRecord
	}
	return b
}

// getPage requests path with the secret as a browser sends it (Basic, any
// user) and checks that the answer is an HTML page with status want.
func getPage(t *testing.T, b *bundle, path string, want int) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.SetBasicAuth("analyst", testSecret)
	rec := b.serve(req)
	if rec.Code != want {
		t.Fatalf("GET %s: status = %d, want %d; body %s", path, rec.Code, want, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type = %q", path, ct)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("GET %s: Content-Security-Policy = %q", path, csp)
	}
	body := rec.Body.String()
	if !strings.HasPrefix(body, "<!doctype html>") {
		t.Errorf("GET %s: body is not an HTML page:\n%s", path, body)
	}
	return body
}

// shownAlerts returns which of the records' alert IDs body shows.
func shownAlerts(body string, records []triage.Record) []string {
	var out []string
	for _, r := range records {
		if strings.Contains(body, r.AlertID) {
			out = append(out, r.AlertID)
		}
	}
	return out
}

func TestPageList(t *testing.T) {
	records := pageRecords()
	b := pageSetup(t, records)
	var got triage.ListQuery
	list := b.store.ListFunc
	b.store.ListFunc = func(ctx context.Context, q triage.ListQuery) (triage.SummaryPage, error) {
		got = q
		return list(ctx, q)
	}
	body := getPage(t, b, "/", http.StatusOK)

	if got != (triage.ListQuery{Limit: defaultListLimit}) {
		t.Errorf("store asked %+v, want the default page", got)
	}
	if got := shownAlerts(body, records); len(got) != len(records) {
		t.Errorf("the list shows %v, want every record", got)
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="10">`,
		`<link rel="stylesheet" href="/static/style.css">`,
		`<span class="badge tone-bad">malicious</span>`,
		`<span class="badge tone-good">benign</span>`,
		`<td class="num">0.85</td>`,
		`<td class="mono">AWS.Console.RootLogin</td>`,
		`<span class="sev tone-bad">CRITICAL</span>`,
		`<span class="state tone-bad">failed</span>`,
		`<span class="state tone-info">queued</span>`,
		`<a class="title" href="/investigations/a2000000000000000000000000000002">AWS root login from 185.220.101.34</a>`,
		`>30s</span>`, `>5m</span>`, `>3h</span>`, `>3d</span>`, // ages against testNow
		`<option value="malicious">malicious</option>`,
		`<a class="chip tone-bad" href="/?verdict=malicious">malicious <b>1</b></a>`,
		`4 investigations, newest first`,
		`<div class="reason reason-failed">Failed: panther: get alert: 403 forbidden</div>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %s", want)
		}
	}
	// Positions: newest first, as the store answers.
	if i, j := strings.Index(body, records[0].AlertID), strings.Index(body, records[3].AlertID); i > j {
		t.Error("the list is not in the store's order (newest first)")
	}
	// No Panther base URL configured: alert IDs are text, not links.
	if strings.Contains(body, "/alerts/") {
		t.Error("the list links to Panther without a PantherURL")
	}
}

func TestPageListFilters(t *testing.T) {
	records := pageRecords()
	ids := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, records[i].AlertID)
		}
		return out
	}
	for _, tc := range []struct {
		query    string
		want     []string
		selected []string // options the form shows as selected
	}{
		{"?verdict=malicious", ids(1), []string{`<option value="malicious" selected>`}},
		{"?verdict=benign", ids(2), []string{`<option value="benign" selected>`}},
		{"?verdict=suspicious", nil, []string{`<option value="suspicious" selected>`}},
		{"?state=done", ids(1, 2), []string{`<option value="done" selected>`}},
		{"?state=queued", ids(0), []string{`<option value="queued" selected>`}},
		{"?state=failed", ids(3), nil},
		{"?verdict=benign&state=done", ids(2), []string{`<option value="benign" selected>`, `<option value="done" selected>`}},
		{"?verdict=benign&state=failed", nil, nil},
		{"?verdict=&state=", ids(0, 1, 2, 3), nil},
		{"?limit=2", ids(0, 1), []string{`<input type="hidden" name="limit" value="2">`}},
		{"?limit=1&state=done", ids(1), []string{`href="/?limit=1&amp;state=done&amp;verdict=benign"`, `<a class="older" href="/?cursor=after-a2000000000000000000000000000002&amp;limit=1&amp;state=done">Older →</a>`}},
		{"?cursor=after-a2000000000000000000000000000002&limit=1&state=done", ids(1), nil}, // the fake ignores the cursor
	} {
		t.Run(tc.query, func(t *testing.T) {
			b := pageSetup(t, records)
			body := getPage(t, b, "/"+tc.query, http.StatusOK)
			if got := shownAlerts(body, records); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("shows %v, want %v", got, tc.want)
			}
			for _, s := range tc.selected {
				if !strings.Contains(body, s) {
					t.Errorf("the form lacks %s", s)
				}
			}
			if len(tc.want) == 0 && !strings.Contains(body, "matches these filters") {
				t.Error("an empty result does not say that nothing matches")
			}
			if strings.Contains(tc.query, "verdict=b") && !strings.Contains(body, `<a class="clear" href="/">Clear</a>`) {
				t.Error("a filtered list has no link to clear the filters")
			}
		})
	}

	t.Run("the verdict counts keep the state filter", func(t *testing.T) {
		b := pageSetup(t, records)
		body := getPage(t, b, "/?state=done", http.StatusOK)
		for _, want := range []string{
			`<a class="chip tone-bad" href="/?state=done&amp;verdict=malicious">malicious <b>1</b></a>`,
			`<a class="chip tone-good" href="/?state=done&amp;verdict=benign">benign <b>1</b></a>`,
			`<a class="chip tone-muted" href="/?state=done&amp;verdict=inconclusive">inconclusive <b>0</b></a>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the counts lack %s", want)
			}
		}
	})

	for _, q := range []string{"?verdict=evil", "?state=lost", "?verdict=Benign", "?limit=0", "?limit=501", "?limit=x"} {
		t.Run("invalid "+q, func(t *testing.T) {
			b := pageSetup(t, records)
			b.store.ListFunc = func(context.Context, triage.ListQuery) (triage.SummaryPage, error) {
				t.Error("the store was read for an invalid request")
				return triage.SummaryPage{}, nil
			}
			body := getPage(t, b, "/"+q, http.StatusBadRequest)
			if !strings.Contains(body, "must be") {
				t.Errorf("the error page does not say what is allowed:\n%s", body)
			}
		})
	}
}

func TestPageListEmpty(t *testing.T) {
	b := setup(t) // the store holds no records
	body := getPage(t, b, "/", http.StatusOK)
	if !strings.Contains(body, "No investigations yet.") {
		t.Errorf("the empty list does not say so:\n%s", body)
	}
	if strings.Contains(body, "<table") {
		t.Error("the empty list shows a table")
	}
}

func TestPageDetail(t *testing.T) {
	records := pageRecords()
	b := pageSetup(t, records)

	t.Run("done", func(t *testing.T) {
		body := getPage(t, b, "/investigations/a2000000000000000000000000000002", http.StatusOK)
		for _, want := range []string{
			`<title>Alert a2000000000000000000000000000002 · panther-triage</title>`,
			`<span class="badge big tone-bad">malicious</span>`,
			`confidence 0.85`,
			`<h1>AWS root login from 185.220.101.34</h1>`,
			`<dd class="mono id-full">a2000000000000000000000000000002</dd>`,
			`<dd class="mono">AWS.Console.RootLogin <span class="sev tone-bad">CRITICAL</span></dd>`,
			`job <span class="mono">6</span> · 2 attempts`,
			`posted as <span class="mono">comment-9</span>`,
			"<h2>What happened</h2>\n  <p>Root console login from a Tor exit node.</p>",
			"<h2>Why</h2>\n  <ul class=\"reasons\">\n    <li><span class=\"badge tone-bad\">malicious</span> 185.220.101.34 is a Tor exit node",
			"<h2>Timeline</h2>",
			`<span class="tl-what">Investigation ended: malicious, comment posted</span>`,
			"<h2>Precedent</h2>\n  <p class=\"empty\">No earlier alerts of this detection were found.</p>",
			"<h2>Enrichment</h2>",
			`<div class="ftitle">185.220.101.34 is a Tor exit node</div>`,
			`<div class="fdetail">listed by the Tor project</div>`,
			`<span class="badge tone-bad">malicious</span>`,
			`<span class="ekind">event</span> <code class="id" title="row-7f3a">row-7f3a</code>`,
			`<span class="ekind">alert</span> <code class="id" title="a0999999999999999999999999999999">a0999999<span class="rest">999999999999999999999999</span></code>`,
			`<span class="ekind">query</span> <code class="id" title="query-42">query-42</code>`,
			"<pre class=\"comment\">panther-triage: MALICIOUS (confidence 0.85)\n\npanther-triage run 6 · a2000000000000000000000000000002</pre>",
			`<tr><th class="mono">events</th><td class="num">120ms</td></tr>`,
			`2026-01-02 02:59:05 UTC`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the report lacks %s", want)
			}
		}
		if i, j := strings.Index(body, ">events<"), strings.Index(body, ">indicators<"); i < 0 || i > j {
			t.Error("timings are not sorted by step")
		}
		if strings.Contains(body, `http-equiv="refresh"`) {
			t.Error("a finished report refreshes itself")
		}
	})
	t.Run("failed", func(t *testing.T) {
		body := getPage(t, b, "/investigations/a4000000000000000000000000000004", http.StatusOK)
		for _, want := range []string{
			"<h2>Failed</h2>\n  <pre>panther: get alert: 403 forbidden</pre>",
			`<span class="badge big tone-muted">no verdict</span>`,
			`<span class="state tone-bad">failed</span>`,
			`not posted`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the report lacks %s", want)
			}
		}
	})
	t.Run("queued refreshes until done", func(t *testing.T) {
		body := getPage(t, b, "/investigations/a1000000000000000000000000000001", http.StatusOK)
		if !strings.Contains(body, `<meta http-equiv="refresh" content="10">`) {
			t.Error("a queued report does not refresh itself")
		}
		if !strings.Contains(body, `<span class="badge big tone-muted">no verdict yet</span>`) {
			t.Error("a queued report does not say its verdict is still to come")
		}
	})
	t.Run("escaped alert ID", func(t *testing.T) {
		odd := []triage.Record{{AlertID: "Test.Alert/with slash", State: triage.StateQueued}}
		b := pageSetup(t, odd)
		list := getPage(t, b, "/", http.StatusOK)
		if !strings.Contains(list, `href="/investigations/Test.Alert%2Fwith%20slash"`) {
			t.Errorf("the list does not link the report with the ID escaped:\n%s", list)
		}
		body := getPage(t, b, "/investigations/Test.Alert%2Fwith%20slash", http.StatusOK)
		if !strings.Contains(body, "<dd class=\"mono id-full\">Test.Alert/with slash</dd>") {
			t.Errorf("the report is not the record's:\n%s", body)
		}
	})
	t.Run("unknown alert", func(t *testing.T) {
		body := getPage(t, b, "/investigations/ffffffffffffffffffffffffffffffff", http.StatusNotFound)
		for _, want := range []string{
			`<h1>404 · Not Found</h1>`,
			`There is no investigation for alert ffffffffffffffffffffffffffffffff.`,
			`<a href="/">← All investigations</a>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the 404 page lacks %s", want)
			}
		}
	})
}

func TestPageStoreError(t *testing.T) {
	for _, path := range []string{"/", "/investigations/a2000000000000000000000000000002"} {
		t.Run(path, func(t *testing.T) {
			b := setup(t)
			b.store.InvestigationsFunc = func(context.Context, int) ([]triage.Record, error) {
				return nil, errors.New(storeErrText)
			}
			b.store.InvestigationFunc = func(context.Context, string) (triage.Record, error) {
				return triage.Record{}, errors.New(storeErrText)
			}
			body := getPage(t, b, path, http.StatusInternalServerError)
			if !strings.Contains(body, "<p>internal error</p>") {
				t.Errorf("the error page does not say internal error:\n%s", body)
			}
			if strings.Contains(body, "sqlite") {
				t.Errorf("the store's error text reached the page:\n%s", body)
			}
			if n := strings.Count(b.logs.String(), storeErrText); n != 1 {
				t.Errorf("the store error was logged %d times, want once:\n%s", n, b.logs)
			}
		})
	}
}

func TestPageEscaping(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	const escaped = `&lt;script&gt;alert(1)&lt;/script&gt;`
	records := []triage.Record{{
		AlertID: "id" + evil, State: triage.StateDone, Verdict: triage.VerdictSuspicious,
		DetectionID: "det" + evil, Severity: "HIGH" + evil, Title: "title" + evil,
		Summary: "summary" + evil, Comment: "comment" + evil, Error: "error" + evil, CommentID: "cid" + evil,
		Findings: []triage.Finding{{
			Step: "step" + evil, Kind: "kind" + evil, Title: "finding" + evil, Detail: "detail" + evil,
			Weight: triage.Weight("weight" + evil),
			Evidence: []triage.Evidence{
				{Kind: "event", Ref: "row" + evil},
				{Kind: "alert", Ref: "alert" + evil},
				{Kind: "kind" + evil, Ref: "ref" + evil},
			},
		}},
		Timings: map[string]string{"timing" + evil: "1ms" + evil},
	}}
	for _, withPanther := range []bool{false, true} {
		opts := []func(*Config){}
		name := "without PantherURL"
		if withPanther {
			opts = append(opts, func(c *Config) { c.ConsoleURL = "https://example.runpanther.net" })
			name = "with PantherURL"
		}
		t.Run(name, func(t *testing.T) {
			b := pageSetup(t, records, opts...)
			for _, path := range []string{
				"/",
				"/?verdict=suspicious",
				"/investigations/" + strings.NewReplacer("<", "%3C", ">", "%3E", "/", "%2F").Replace(records[0].AlertID),
				"/investigations/x" + strings.NewReplacer("<", "%3C", ">", "%3E", "/", "%2F").Replace(evil), // 404 naming the ID
			} {
				want := http.StatusOK
				if strings.HasPrefix(path, "/investigations/x") {
					want = http.StatusNotFound
				}
				body := getPage(t, b, path, want)
				if strings.Contains(body, "<script") {
					t.Errorf("GET %s: unescaped <script> in the page:\n%s", path, body)
				}
				if !strings.Contains(body, escaped) {
					t.Errorf("GET %s: the value is not shown escaped:\n%s", path, body)
				}
			}
		})
	}
}

func TestPagePantherLinks(t *testing.T) {
	records := pageRecords()
	for _, tc := range []struct {
		name, base string
		wantLinks  bool
	}{
		{"unset", "", false},
		{"base", "https://example.runpanther.net", true},
		{"base with slash", "https://example.runpanther.net/", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := pageSetup(t, records, func(c *Config) { c.ConsoleURL = tc.base })
			list := getPage(t, b, "/", http.StatusOK)
			detail := getPage(t, b, "/investigations/a2000000000000000000000000000002", http.StatusOK)
			for _, c := range []struct{ page, body, link string }{
				{"list", list, `<a href="https://example.runpanther.net/alerts/a2000000000000000000000000000002" rel="noreferrer">Panther ↗</a>`},
				{"report", detail, `<a href="https://example.runpanther.net/alerts/a2000000000000000000000000000002" rel="noreferrer">a2000000000000000000000000000002 ↗</a>`},
				{"evidence", detail, `<a href="https://example.runpanther.net/alerts/a0999999999999999999999999999999" rel="noreferrer"><code class="id" title="a0999999999999999999999999999999">a0999999<span class="rest">999999999999999999999999</span></code> ↗</a>`},
			} {
				if got := strings.Contains(c.body, c.link); got != tc.wantLinks {
					t.Errorf("%s: link to Panther shown = %v, want %v", c.page, got, tc.wantLinks)
				}
			}
			if !tc.wantLinks && strings.Contains(list+detail, "/alerts/") {
				t.Error("links to Panther without a PantherURL")
			}
		})
	}
	t.Run("unsafe base", func(t *testing.T) {
		b := pageSetup(t, records, func(c *Config) { c.ConsoleURL = "javascript:alert(1)//" })
		body := getPage(t, b, "/", http.StatusOK)
		if strings.Contains(body, `href="javascript:`) {
			t.Error("a javascript: PantherURL became a link")
		}
	})
}

func TestPageAuth(t *testing.T) {
	for _, path := range []string{"/", "/?verdict=benign", "/investigations/a2000000000000000000000000000002", "/static/style.css"} {
		for _, tc := range []struct {
			name       string
			auth       string
			wantStatus int
		}{
			{"none", "", http.StatusUnauthorized},
			{"basic wrong password", basicAuth("analyst", "wrong"), http.StatusUnauthorized},
			{"basic secret as user name", basicAuth(testSecret, ""), http.StatusUnauthorized},
			{"basic with any user", basicAuth("any", testSecret), http.StatusOK},
			{"bearer", "Bearer " + testSecret, http.StatusOK},
		} {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				b := pageSetup(t, pageRecords())
				called := false
				b.store.InvestigationsFunc = func(context.Context, int) ([]triage.Record, error) {
					called = true
					return pageRecords(), nil
				}
				b.store.InvestigationFunc = func(context.Context, string) (triage.Record, error) {
					called = true
					return pageRecords()[1], nil
				}
				req := httptest.NewRequest(http.MethodGet, path+"", nil)
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				rec := b.serve(req)
				if rec.Code != tc.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
				}
				if tc.wantStatus != http.StatusUnauthorized {
					return
				}
				if called {
					t.Error("the store was read without the secret")
				}
				if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="panther-triage"` {
					t.Errorf("WWW-Authenticate = %q; a browser would not ask for the secret", got)
				}
			})
		}
	}
	t.Run("secret in query", func(t *testing.T) {
		b := pageSetup(t, pageRecords())
		rec := b.serve(httptest.NewRequest(http.MethodGet, "/?secret="+testSecret, nil))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", rec.Code)
		}
	})
}

func TestPageStatic(t *testing.T) {
	b := setup(t)
	req := httptest.NewRequest(http.MethodGet, "/static/style.css", nil)
	req.SetBasicAuth("any", testSecret)
	rec := b.serve(req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(rec.Body.String(), ".tone-bad") {
		t.Error("the style sheet lacks the badge colours")
	}
}

// update makes TestPageInBrowser rewrite the README's screenshots:
// go test ./handler -run TestPageInBrowser -update
var update = flag.Bool("update", false, "rewrite docs/page-list.png and docs/page-report.png from the browser test")

// browserRecords are pageRecords with what a full report holds, and a
// skipped alert, for the browser test and the README's screenshots.
func browserRecords() []triage.Record {
	records := pageRecords()
	at := func(ago time.Duration) time.Time { return testNow().Add(-ago) }
	rec := &records[1]
	// What the investigation writes for the comment and the page.
	rec.Story = []string{"root (123456789012) from 185.220.101.34 (DE): ConsoleLogin failed (Failed authentication), then succeeded without MFA. The last of 2 was at 2026-01-02 02:58:10 UTC and succeeded."}
	rec.NextSteps = []string{
		"Reset the root password and MFA device of account 123456789012, and sign out its sessions",
		"Review what root did after 02:58 UTC in CloudTrail",
		"Escalate to incident response; block 185.220.101.34 unless it is your own",
	}
	rec.Digest = &triage.Digest{Actions: []triage.Action{
		{Time: at(62 * time.Minute), Actor: "root", Action: "ConsoleLogin", Outcome: triage.OutcomeFailed, Reason: "Failed authentication", SourceIP: "185.220.101.34", Country: "DE", RowID: "8e3f1a6c2b7d4e9f8a1c3b5d7e9f9a02"},
		{Time: at(60 * time.Minute), Actor: "root", Action: "ConsoleLogin", Outcome: triage.OutcomeSucceeded, MFA: "no", SourceIP: "185.220.101.34", Country: "DE", RowID: "8e3f1a6c2b7d4e9f8a1c3b5d7e9f9a03"},
	}}
	rec.Precedent = &triage.Precedent{Alerts: []triage.PriorAlert{{
		ID: "b1000000000000000000000000000009", DetectionID: "AWS.CloudTrail.UnusedRegion", Severity: "LOW", Status: "CLOSED",
		Disposition: triage.DispositionFalsePositive, SameAccount: true,
		Reason: &triage.ClosingComment{Body: "AWS Config sweep, expected.", CreatedBy: "sam.analyst@acme.io"},
	}}}
	ev := func(kind, ref string) triage.Evidence { return triage.Evidence{Kind: kind, Ref: ref} }
	rec.Findings = append(rec.Findings,
		triage.Finding{Step: "events", Kind: "time_span", Weight: triage.WeightInfo,
			Title:    "2 events of AWS.CloudTrail from 2026-01-02 02:50 to 02:58 UTC",
			Evidence: []triage.Evidence{ev("event", "8e3f1a6c2b7d4e9f8a1c3b5d7e9f9a02"), ev("event", "8e3f1a6c2b7d4e9f8a1c3b5d7e9f9a03")}},
		triage.Finding{Step: "history", Kind: "first_alert", Weight: triage.WeightSuspicious,
			Title:    "First alert of AWS.Console.RootLogin in 7 days; the actor is new to the detection",
			Evidence: []triage.Evidence{ev("detection", "AWS.Console.RootLogin")}},
		triage.Finding{Step: "indicators", Kind: "indicator_count", Weight: triage.WeightInfo,
			Title:    "Indicators: 185.220.101.34 (public IP), root (user), 123456789012 (account)",
			Evidence: []triage.Evidence{ev("event", "8e3f1a6c2b7d4e9f8a1c3b5d7e9f9a02")}},
		triage.Finding{Step: "datalake", Kind: "indicator_search", Weight: triage.WeightInfo,
			Title:    "185.220.101.34 appears only in this alert's events",
			Evidence: []triage.Evidence{ev("query", "d0000000000000000000000000000002")}},
		triage.Finding{Step: "detection", Kind: "mitre", Weight: triage.WeightInfo,
			Title:    "MITRE ATT&CK: TA0001 Initial Access, T1078 Valid Accounts",
			Evidence: []triage.Evidence{ev("detection", "AWS.Console.RootLogin")}},
	)
	return append(records, triage.Record{
		AlertID: "a5000000000000000000000000000005", JobID: 3, State: triage.StateSkipped,
		DetectionID: "Okta.MFA.Reset", Severity: "MEDIUM", Title: "Okta MFA factor reset for jdoe",
		Reason:    "alert status is CLOSED; investigating only OPEN, TRIAGED",
		CreatedAt: at(80 * time.Hour), UpdatedAt: at(80 * time.Hour),
	})
}

// TestPageInBrowser loads the list and a report in headless chromium and
// checks the rendered DOM; with -update it also writes the screenshots the
// README shows. It skips when chromium is not installed, except under
// CI=true, where it fails.
func TestPageInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; CI needs it for the page's browser test (apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium); skipping the page's browser test")
	}
	b := pageSetup(t, browserRecords(), withAccess(t), func(c *Config) {
		c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix("127.0.0.0/8"))
	})
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	// Chromium takes no Basic credentials on its command line: a trusted
	// proxy in front of the test server names the viewer, as oauth2-proxy
	// would.
	proxy := httptest.NewServer(viewerProxy(t, srv.URL, "alice@example.com"))
	t.Cleanup(proxy.Close)

	t.Run("list", func(t *testing.T) {
		dom := dumpDOM(t, chromium, proxy.URL+"/")
		for _, want := range []string{
			"a2000000000000000000000000000002", `<span class="badge tone-bad">malicious</span>`,
			"a3000000000000000000000000000003", `<span class="badge tone-good">benign</span>`,
			`signed in as <b>alice@example.com</b>`,
			`Not investigated: alert status is CLOSED; investigating only OPEN, TRIAGED`,
			`<span class="state tone-muted">skipped</span>`,
			`Failed: panther: get alert: 403 forbidden`,
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("the DOM lacks %s:\n%s", want, dom)
			}
		}
		dom = dumpDOM(t, chromium, proxy.URL+"/?state=done")
		if strings.Contains(dom, "a1000000000000000000000000000001") {
			t.Error("the DOM shows a queued investigation under ?state=done")
		}
		if *update {
			screenshot(t, chromium, proxy.URL+"/", "../docs/page-list.png", 1280, 560)
		}
	})
	t.Run("report", func(t *testing.T) {
		dom := dumpDOM(t, chromium, proxy.URL+"/investigations/a2000000000000000000000000000002")
		for _, want := range []string{
			"a2000000000000000000000000000002", `<span class="badge big tone-bad">malicious</span>`,
			"185.220.101.34 is a Tor exit node", "row-7f3a",
			`<code class="id" title="8e3f1a6c2b7d4e9f8a1c3b5d7e9f9a02">8e3f1a6c<span class="rest">2b7d4e9f8a1c3b5d7e9f9a02</span></code>`,
			"Reset the root password and MFA",
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("the DOM lacks %s:\n%s", want, dom)
			}
		}
		order := []string{"What happened", "Next steps", "Why", "Timeline", "Precedent", "Events", "Enrichment", "Indicators", "Data lake", "Detection"}
		last := -1
		for _, h := range order {
			i := strings.Index(dom, "<h2>"+h+"</h2>")
			if i < last {
				t.Errorf("section %q is out of order (want %v)", h, order)
			}
			last = i
		}
		if *update {
			screenshot(t, chromium, proxy.URL+"/investigations/a2000000000000000000000000000002", "../docs/page-report.png", 1280, 1900)
		}
	})
}

// viewerProxy forwards to target as an authenticating proxy would, naming
// who in X-Forwarded-User. The test server trusts it: it runs on loopback.
func viewerProxy(t *testing.T, target, who string) http.Handler {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Forwarded-User", who)
		rp.ServeHTTP(w, r)
	})
}

// screenshot writes a PNG of url, width × height pixels, to path.
func screenshot(t *testing.T, chromium, url, path string, width, height int) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		t.Fatal(err)
	}
	runChromium(t, chromium, "--screenshot="+abs, fmt.Sprintf("--window-size=%d,%d", width, height),
		"--hide-scrollbars", "--force-device-scale-factor=1", url)
	t.Logf("wrote %s", path)
}

// findChromium returns the path of a chromium binary, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// dumpDOM loads url in headless chromium and returns the serialised DOM.
func dumpDOM(t *testing.T, chromium, url string) string {
	t.Helper()
	return runChromium(t, chromium, "--dump-dom", url)
}

// runChromium runs headless chromium with args and a throw-away profile,
// and returns what it printed.
func runChromium(t *testing.T, chromium string, args ...string) string {
	t.Helper()
	// Not t.TempDir: chromium's helpers may still write to the profile as
	// the test ends, and a failed removal must not fail the test.
	profile, err := os.MkdirTemp("", "panther-triage-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) })

	// A guard against a hung browser, not a timing goal: chromium's start
	// alone took over 30 s on a machine loaded far beyond its cores.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
		"--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir=" + profile}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// The report opens with what the comment opens with, then the digest's
// actions as the timeline, then the precedent with the analysts' reasons.
func TestPageReportFromTheRecordsStory(t *testing.T) {
	at := testNow().Add(-time.Hour)
	rec := triage.Record{
		AlertID: "a3000000000000000000000000000003", JobID: 9, State: triage.StateDone,
		DetectionID: "AWS.Console.LoginWithoutMFA", Verdict: triage.VerdictBenign, Confidence: 0.97,
		Summary: "the old summary", CreatedAt: at, UpdatedAt: at,
		Story:     []string{"qa-automation from 34.201.55.18 (US): ConsoleLogin without MFA."},
		NextSteps: []string{"Close as expected", "Tune the detection"},
		Tuning:    &triage.Tuning{Detection: "AWS.Console.LoginWithoutMFA", Suppressed: 4, Condition: "userIdentity.userName is not qa-automation", YAML: "InlineFilters: []"},
		Why:       []triage.Finding{{Step: triage.StepPrecedent, Kind: "precedent_closed_as_expected", Weight: triage.WeightBenign, Title: "Analysts judged 4 earlier alerts false positives"}},
		Digest: &triage.Digest{Actions: []triage.Action{{
			Time: at.Add(-time.Minute), Actor: "qa-automation", Action: "ConsoleLogin", Outcome: triage.OutcomeSucceeded, MFA: "no", SourceIP: "34.201.55.18", Country: "US",
		}}},
		Precedent: &triage.Precedent{Alerts: []triage.PriorAlert{{
			ID: "b8277900000000000000000000000004", DetectionID: "AWS.Console.LoginWithoutMFA", Status: "CLOSED",
			Disposition: triage.DispositionFalsePositive, SameActor: true, SameIP: true,
			Reason: &triage.ClosingComment{Body: "QA account, expected.", CreatedBy: "sam.analyst@acme.io"},
		}}},
	}
	b := pageSetup(t, []triage.Record{rec})
	body := getPage(t, b, "/investigations/"+rec.AlertID, http.StatusOK)
	order := []string{
		"<h2>What happened</h2>\n  <p>qa-automation from 34.201.55.18 (US): ConsoleLogin without MFA.</p>",
		"<li>Close as expected</li>",
		"Tuning: userIdentity.userName is not qa-automation (4 earlier alerts of AWS.Console.LoginWithoutMFA would have been suppressed).",
		"Analysts judged 4 earlier alerts false positives",
		`<span class="tl-what">qa-automation ConsoleLogin, without MFA from 34.201.55.18 (US)</span>`,
		"<h2>Precedent</h2>",
		"<td>actor, address</td>",
		"<td>“QA account, expected.” — sam.analyst@acme.io</td>",
	}
	last := -1
	for _, want := range order {
		i := strings.Index(body, want)
		if i < 0 {
			t.Errorf("the report lacks %s", want)
			continue
		}
		if i < last {
			t.Errorf("%s comes too early", want)
		}
		last = i
	}
	if strings.Contains(body, "the old summary</p>") {
		t.Error("the report tells the summary, not the record's story")
	}
}
