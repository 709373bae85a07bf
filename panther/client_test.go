package panther_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// Seeded alerts used below (see panthersim/seed).
const (
	rootLoginAlert  = "4c1e8f2a9d7b3e6051c8a2f4d9e7b130" // AWS.Console.RootLogin, 2 events
	oktaClosedAlert = "1e6b3c8d2a7f4e9051b6c3d8a2f7e914" // Okta.BruteForceLogins, CLOSED, assigned
	systemErrAlert  = "e81c4a7f2d9b5e3061c4a8f7d2b9e5c3" // SOURCE_NO_DATA
	unknownAlert    = "00000000000000000000000000000000"
)

// setup starts a simulated Panther seeded with the default alerts and
// returns it with a client that holds the right token.
func setup(t *testing.T, srvOpts []panthersim.Option, clientOpts ...panther.Option) (*panthersim.Server, *panther.Client) {
	t.Helper()
	srv := panthersim.New(append([]panthersim.Option{panthersim.WithSeeds(panthersim.DefaultSeeds()...)}, srvOpts...)...)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, panther.New(srv.GraphQLURL(), "", srv.Token, clientOpts...)
}

func TestAlertOrigins(t *testing.T) {
	srv, c := setup(t, nil)
	deleted := panthersim.SeedAlert{
		ID:        "d1e7e7edd1e7e7edd1e7e7edd1e7e7ed",
		Title:     "Alert of a detection deleted since",
		Severity:  "LOW",
		CreatedAt: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Origin:    panthersim.SeedOrigin{Kind: "DeletedDetection", ID: "Custom.Old.Rule", Type: "RULE"},
		Events:    []map[string]any{{"p_log_type": "Custom.Logs", "p_row_id": "r1", "p_event_time": "2025-06-01 11:59:00.000"}},
	}
	srv.AddAlert(deleted)

	tests := []struct {
		name  string
		id    string
		check func(t *testing.T, a *panther.Alert)
	}{
		{"detection", rootLoginAlert, func(t *testing.T, a *panther.Alert) {
			want := panther.DetectionRef{ID: "AWS.Console.RootLogin", Name: "Root Console Login", Type: "RULE"}
			if a.Detection == nil || *a.Detection != want {
				t.Errorf("Detection = %+v, want %+v", a.Detection, want)
			}
			if a.SystemError != nil {
				t.Errorf("SystemError = %+v, want nil", a.SystemError)
			}
			if a.Severity != "CRITICAL" || a.Status != "OPEN" || a.Type != "RULE" {
				t.Errorf("severity/status/type = %s/%s/%s", a.Severity, a.Status, a.Type)
			}
			if a.EventCount != 2 {
				t.Errorf("EventCount = %d, want 2 (from REST)", a.EventCount)
			}
			if a.Context["sourceIPAddress"] != "185.220.101.34" {
				t.Errorf("Context = %v, want the REST alert context", a.Context)
			}
			if want := time.Date(2025, 6, 3, 14, 5, 12, 412e6, time.UTC); !a.CreatedAt.Equal(want) {
				t.Errorf("CreatedAt = %v, want %v", a.CreatedAt, want)
			}
			if a.FirstEventOccurredAt == nil || !a.FirstEventOccurredAt.Equal(time.Date(2025, 6, 3, 14, 1, 57, 0, time.UTC)) {
				t.Errorf("FirstEventOccurredAt = %v", a.FirstEventOccurredAt)
			}
			if a.Assignee != nil {
				t.Errorf("Assignee = %+v, want nil (unassigned)", a.Assignee)
			}
			if a.Runbook == "" || a.Reference == "" {
				t.Errorf("Runbook %q / Reference %q are empty", a.Runbook, a.Reference)
			}
		}},
		{"deleted detection takes its type from REST", deleted.ID, func(t *testing.T, a *panther.Alert) {
			want := panther.DetectionRef{ID: "Custom.Old.Rule", Type: "RULE", Deleted: true}
			if a.Detection == nil || *a.Detection != want {
				t.Errorf("Detection = %+v, want %+v", a.Detection, want)
			}
		}},
		{"system error", systemErrAlert, func(t *testing.T, a *panther.Alert) {
			want := panther.SystemErrorRef{Type: "SOURCE_NO_DATA", RelatedComponent: "LOG_SOURCE"}
			if a.SystemError == nil || *a.SystemError != want {
				t.Errorf("SystemError = %+v, want %+v", a.SystemError, want)
			}
			if a.Detection != nil {
				t.Errorf("Detection = %+v, want nil", a.Detection)
			}
			if a.Type != "SYSTEM_ERROR" || a.EventCount != 0 {
				t.Errorf("Type %q EventCount %d", a.Type, a.EventCount)
			}
		}},
		{"assigned and closed", oktaClosedAlert, func(t *testing.T, a *panther.Alert) {
			if a.Status != "CLOSED" {
				t.Errorf("Status = %q, want CLOSED", a.Status)
			}
			want := panther.User{ID: "8f14e45f-ceea-467e-a5d1-2b9c3a7e6d01", Email: "sam.analyst@acme.io", Name: "Sam Analyst"}
			if a.Assignee == nil || *a.Assignee != want {
				t.Errorf("Assignee = %+v, want %+v", a.Assignee, want)
			}
			if a.UpdatedAt == nil {
				t.Error("UpdatedAt is nil")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := c.Alert(t.Context(), tt.id)
			if err != nil {
				t.Fatalf("Alert: %v", err)
			}
			if a.ID != tt.id {
				t.Errorf("ID = %q, want %q", a.ID, tt.id)
			}
			tt.check(t, a)
		})
	}
	if calls := srv.Calls(); calls["alert"] != len(tests) || calls["GET /alerts/{id}"] != len(tests) {
		t.Errorf("calls = %v, want one GraphQL alert and one REST GET /alerts/{id} per Alert", calls)
	}
}

// postGraphQL sends a raw GraphQL query and returns the decoded response.
func postGraphQL(t *testing.T, srv *panthersim.Server, query string, vars map[string]any) (data json.RawMessage, messages []string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.GraphQLURL(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, e := range out.Errors {
		messages = append(messages, e.Message)
	}
	return out.Data, messages
}

// TestOriginAliasTrap shows why the client aliases the two "type" fields:
// the simulated Panther, like Panther, rejects the query without them.
func TestOriginAliasTrap(t *testing.T) {
	srv, _ := setup(t, nil)
	const unaliased = `query($id: ID!) { alert(id: $id) { origin {
		... on Detection { id name type }
		... on SystemError { relatedComponent type } } } }`
	const aliased = `query($id: ID!) { alert(id: $id) { origin {
		... on Detection { id name detectionType: type }
		... on SystemError { relatedComponent systemErrorType: type } } } }`
	vars := map[string]any{"id": rootLoginAlert}

	_, errs := postGraphQL(t, srv, unaliased, vars)
	if len(errs) == 0 || !strings.Contains(errs[0], `"type" conflict`) {
		t.Errorf("unaliased query: errors = %q, want a field conflict on \"type\"", errs)
	}
	data, errs := postGraphQL(t, srv, aliased, vars)
	if len(errs) > 0 {
		t.Fatalf("aliased query: errors = %q", errs)
	}
	if !strings.Contains(string(data), `"detectionType":"RULE"`) {
		t.Errorf("aliased query: data = %s, want detectionType RULE", data)
	}
}

func TestAlertEventsPaging(t *testing.T) {
	srv, c := setup(t, nil)
	const id = "eeee0000eeee0000eeee0000eeee0001"
	events := make([]map[string]any, 130)
	for i := range events {
		events[i] = map[string]any{
			"p_log_type":         "AWS.CloudTrail",
			"p_row_id":           fmt.Sprintf("row-%03d", i),
			"p_event_time":       "2025-06-01 10:00:00.000",
			"p_any_ip_addresses": []any{"198.51.100.7"},
		}
	}
	srv.AddAlert(panthersim.SeedAlert{ID: id, Title: "many events", Severity: "LOW",
		CreatedAt: time.Date(2025, 6, 1, 10, 5, 0, 0, time.UTC),
		Origin:    panthersim.SeedOrigin{ID: "Many.Events", Type: "RULE"}, Events: events})

	tests := []struct {
		max, want, calls int
	}{
		{max: 0, want: 0, calls: 0},
		{max: 7, want: 7, calls: 1},
		{max: 50, want: 50, calls: 1},
		{max: 120, want: 120, calls: 3},
		{max: 200, want: 130, calls: 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			before := srv.Calls()["alert"]
			got, err := c.AlertEvents(t.Context(), id, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("got %d events, want %d", len(got), tt.want)
			}
			for i, ev := range got {
				if want := fmt.Sprintf("row-%03d", i); ev["p_row_id"] != want {
					t.Fatalf("event %d has p_row_id %v, want %s (order or duplicates wrong)", i, ev["p_row_id"], want)
				}
				if ev["p_alert_id"] != id {
					t.Fatalf("event %d: p_alert_id = %v", i, ev["p_alert_id"])
				}
			}
			if n := srv.Calls()["alert"] - before; n != tt.calls {
				t.Errorf("%d GraphQL calls, want %d", n, tt.calls)
			}
		})
	}

	t.Run("seeded events keep their fields", func(t *testing.T) {
		got, err := c.AlertEvents(t.Context(), rootLoginAlert, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d events, want 2", len(got))
		}
		enr, _ := got[1]["p_enrichment"].(map[string]any)
		if _, ok := enr["tor_exit_nodes"]; !ok {
			t.Errorf("p_enrichment = %v, want tor_exit_nodes", got[1]["p_enrichment"])
		}
	})
	t.Run("unknown alert", func(t *testing.T) {
		_, err := c.AlertEvents(t.Context(), unknownAlert, 10)
		if !errors.Is(err, panther.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestCommentsPaging(t *testing.T) {
	srv, c := setup(t, nil)
	const n = 120
	for i := range n {
		if _, err := c.AddComment(t.Context(), rootLoginAlert, fmt.Sprintf("comment %d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	before := srv.Calls()["GET /alert-comments"]
	got, err := c.Comments(t.Context(), rootLoginAlert)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d comments, want %d", len(got), n)
	}
	for i, cm := range got {
		if want := fmt.Sprintf("comment %d", i); cm.Body != want || cm.AlertID != rootLoginAlert ||
			cm.Format != panther.FormatPlainText || cm.ID == "" || cm.CreatedAt.IsZero() || cm.CreatedBy == "" {
			t.Fatalf("comment %d = %+v, want body %q with all fields set", i, cm, want)
		}
	}
	if pages := srv.Calls()["GET /alert-comments"] - before; pages != 3 {
		t.Errorf("%d REST pages, want 3 (50+50+20)", pages)
	}

	none, err := c.Comments(t.Context(), oktaClosedAlert)
	if err != nil || len(none) != 0 {
		t.Errorf("Comments on an uncommented alert = %v, %v; want none", none, err)
	}
}

func TestAddComment(t *testing.T) {
	srv, c := setup(t, nil)
	tests := []struct {
		name, format, wantFormat string
	}{
		{"html", panther.FormatHTML, "HTML"},
		{"plain", panther.FormatPlainText, "PLAIN_TEXT"},
		{"default", "", "PLAIN_TEXT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "panther-triage: BENIGN (confidence 0.80)\n" + tt.name
			got, err := c.AddComment(t.Context(), rootLoginAlert, body, tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID == "" || got.Body != body || got.Format != tt.wantFormat || got.AlertID != rootLoginAlert || got.CreatedAt.IsZero() {
				t.Errorf("AddComment = %+v", got)
			}
			stored := srv.Comments(rootLoginAlert)
			if last := stored[len(stored)-1]; last.ID != got.ID || last.Body != body {
				t.Errorf("server holds %+v, want the posted comment", last)
			}
		})
	}
	t.Run("unknown alert", func(t *testing.T) {
		_, err := c.AddComment(t.Context(), unknownAlert, "x", "")
		if !errors.Is(err, panther.ErrNotFound) || panther.IsTransient(err) {
			t.Errorf("err = %v, want a permanent ErrNotFound", err)
		}
	})
	t.Run("invalid format is rejected by validation", func(t *testing.T) {
		_, err := c.AddComment(t.Context(), rootLoginAlert, "x", "MARKDOWN")
		var api *panther.APIError
		if !errors.As(err, &api) || panther.IsTransient(err) {
			t.Errorf("err = %v, want a permanent *APIError", err)
		}
	})
}

func TestDetection(t *testing.T) {
	srv, c := setup(t, nil)
	srv.AddDetection(panthersim.SeedDetection{Kind: "simple-rules", ID: "Simple.Okta.AdminRole",
		DisplayName: "Okta admin role assigned", Severity: "HIGH", Enabled: true, LogTypes: []string{"Okta.SystemLog"}})

	tests := []struct {
		alertType, id string
		wantKind      string // "" for not found
		check         func(t *testing.T, d *panther.Detection)
	}{
		{"RULE", "AWS.Console.RootLogin", "rules", func(t *testing.T, d *panther.Detection) {
			if d.DisplayName != "Root Console Login" || d.Severity != "HIGH" || !d.Enabled ||
				d.DedupPeriodMinutes != 60 || d.Threshold != 1 || d.Runbook == "" || d.Description == "" {
				t.Errorf("detection = %+v", d)
			}
			if got := d.Reports["MITRE ATT&CK"]; !slices.Equal(got, []string{"TA0004:T1078"}) {
				t.Errorf("MITRE reports = %v", got)
			}
			if !slices.Equal(d.LogTypes, []string{"AWS.CloudTrail"}) || !slices.Contains(d.Tags, "AWS") {
				t.Errorf("LogTypes %v Tags %v", d.LogTypes, d.Tags)
			}
		}},
		{"SCHEDULED_RULE", "GCP.IAM.ExternalOwnerGranted", "scheduled-rules", func(t *testing.T, d *panther.Detection) {
			if d.DedupPeriodMinutes != 1440 {
				t.Errorf("DedupPeriodMinutes = %d, want 1440", d.DedupPeriodMinutes)
			}
		}},
		{"POLICY", "AWS.S3.Bucket.PublicRead", "policies", func(t *testing.T, d *panther.Detection) {
			if !slices.Equal(d.LogTypes, []string{"AWS.S3.Bucket"}) {
				t.Errorf("LogTypes = %v, want the policy's resource types", d.LogTypes)
			}
		}},
		{"", "Okta.BruteForceLogins", "rules", func(t *testing.T, d *panther.Detection) {
			if d.Threshold != 5 {
				t.Errorf("Threshold = %d, want 5", d.Threshold)
			}
		}},
		{"CORRELATION_RULE", "AWS.S3.Bucket.PublicRead", "policies", nil},
		{"RULE_ERROR", "Simple.Okta.AdminRole", "simple-rules", nil},
		{"RULE", "No.Such.Rule", "", nil},
		{"POLICY", "AWS.Console.RootLogin", "rules", nil}, // by type first, then every other collection
		{"SOMETHING_NEW", "No.Such.Rule", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.alertType+"/"+tt.id, func(t *testing.T) {
			d, err := c.Detection(t.Context(), tt.alertType, tt.id)
			if tt.wantKind == "" {
				if !errors.Is(err, panther.ErrNotFound) || panther.IsTransient(err) {
					t.Errorf("err = %v, want a permanent ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != tt.id || d.Kind != tt.wantKind {
				t.Errorf("got %s in %s, want %s in %s", d.ID, d.Kind, tt.id, tt.wantKind)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func TestVersionAndStatus(t *testing.T) {
	srv, c := setup(t, []panthersim.Option{panthersim.WithVersion("1.118.2")})
	v, err := c.Version(t.Context())
	if err != nil || v != "1.118.2" {
		t.Errorf("Version = %q, %v; want 1.118.2", v, err)
	}
	if err := c.UpdateAlertStatus(t.Context(), []string{rootLoginAlert}, "RESOLVED"); err != nil {
		t.Fatal(err)
	}
	if a, _ := srv.Alert(rootLoginAlert); a.Status != "RESOLVED" || a.UpdatedAt == nil {
		t.Errorf("status = %s, updatedAt %v; want RESOLVED and set", a.Status, a.UpdatedAt)
	}
	err = c.UpdateAlertStatus(t.Context(), []string{rootLoginAlert}, "DONE")
	if err == nil || panther.IsTransient(err) {
		t.Errorf("invalid status: err = %v, want a permanent error", err)
	}
}

// secretToken is long and unusual so that a leak cannot pass unnoticed.
const secretToken = "pt-SECRET-9f8e7d6c5b4a39281706f5e4d3c2b1a0"

// noToken fails the test if err's text contains the token.
func noToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secretToken) {
		t.Errorf("error contains the API token: %v", err)
	}
}

func TestErrors(t *testing.T) {
	type call struct {
		name string
		run  func(ctx context.Context, c *panther.Client) error
	}
	calls := []call{
		{"graphql", func(ctx context.Context, c *panther.Client) error { _, err := c.Version(ctx); return err }},
		{"rest", func(ctx context.Context, c *panther.Client) error {
			_, err := c.Comments(ctx, rootLoginAlert)
			return err
		}},
		{"both", func(ctx context.Context, c *panther.Client) error { _, err := c.Alert(ctx, rootLoginAlert); return err }},
	}
	tests := []struct {
		name      string
		status    int // FailNext status; 0 for none
		token     string
		retry     time.Duration
		transient bool
		check     func(t *testing.T, err error)
	}{
		{name: "wrong token", token: "not-the-token", check: func(t *testing.T, err error) {
			if !errors.Is(err, panther.ErrUnauthorized) {
				t.Errorf("err = %v, want ErrUnauthorized", err)
			}
		}},
		{name: "403", status: 403, check: func(t *testing.T, err error) {
			if !errors.Is(err, panther.ErrUnauthorized) {
				t.Errorf("err = %v, want ErrUnauthorized", err)
			}
		}},
		{name: "429", status: 429, retry: 3 * time.Second, transient: true, check: func(t *testing.T, err error) {
			var rl *panther.RateLimitError
			if !errors.As(err, &rl) || rl.Wait != 3*time.Second {
				t.Errorf("err = %v, want *RateLimitError with RetryAfter 3s", err)
			}
		}},
		{name: "500", status: 500, transient: true, check: func(t *testing.T, err error) {
			var api *panther.APIError
			if !errors.As(err, &api) || api.Status != 500 {
				t.Errorf("err = %v, want *APIError with status 500", err)
			}
		}},
		{name: "503", status: 503, transient: true},
		{name: "404", status: 404, check: func(t *testing.T, err error) {
			// A 404 of REST says the entity is missing; a 404 of the
			// GraphQL endpoint says the URL is wrong, never that the alert
			// was deleted.
			if errors.Is(err, panther.ErrNotFound) == errors.Is(err, panther.ErrWrongURL) {
				t.Errorf("err = %v, want ErrNotFound (REST) or ErrWrongURL (GraphQL)", err)
			}
		}},
		{name: "400", status: 400, check: func(t *testing.T, err error) {
			var api *panther.APIError
			if !errors.As(err, &api) || api.Status != 400 || errors.Is(err, panther.ErrNotFound) {
				t.Errorf("err = %v, want a plain *APIError with status 400", err)
			}
		}},
	}
	for _, tt := range tests {
		for _, cl := range calls {
			t.Run(tt.name+"/"+cl.name, func(t *testing.T) {
				srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...), panthersim.WithToken(secretToken))
				srv.Start()
				defer srv.Close()
				srv.SetFaults(panthersim.Faults{RetryAfter: tt.retry})
				if tt.status != 0 {
					srv.FailNext(1, tt.status)
				}
				// Classification is what is tested here, not the retries of reads.
				c := panther.New(srv.GraphQLURL(), "", cmpOr(tt.token, secretToken), panther.WithRetries(0))
				err := cl.run(t.Context(), c)
				if err == nil {
					t.Fatal("no error")
				}
				if !strings.HasPrefix(err.Error(), "panther: ") {
					t.Errorf("err = %q, want it wrapped with the operation", err)
				}
				if got := panther.IsTransient(err); got != tt.transient {
					t.Errorf("IsTransient(%v) = %v, want %v", err, got, tt.transient)
				}
				noToken(t, err)
				if tt.check != nil {
					tt.check(t, err)
				}
			})
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestGraphQLPermissionErrors(t *testing.T) {
	_, c := setup(t, []panthersim.Option{panthersim.WithPermissions([]string{"AlertRead"})})
	_, err := c.AddComment(t.Context(), rootLoginAlert, "x", "")
	if !errors.Is(err, panther.ErrUnauthorized) || panther.IsTransient(err) {
		t.Errorf("AddComment without AlertModify: err = %v, want a permanent ErrUnauthorized", err)
	}
	_, err = c.Detection(t.Context(), "RULE", "AWS.Console.RootLogin")
	if !errors.Is(err, panther.ErrUnauthorized) {
		t.Errorf("Detection without RuleRead: err = %v, want ErrUnauthorized", err)
	}
}

// TestTokenNeverInErrors covers a server (or proxy) that echoes the request
// headers into its error body, and network failures.
func TestTokenNeverInErrors(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, `{"message":"upstream failed for X-API-Key: %s"}`, r.Header.Get("X-API-Key"))
	}))
	defer echo.Close()
	c := panther.New(echo.URL+"/public/graphql", "", secretToken)
	_, err := c.Version(t.Context())
	if err == nil || !panther.IsTransient(err) {
		t.Errorf("err = %v, want a transient error", err)
	}
	noToken(t, err)
	_, err = c.Comments(t.Context(), rootLoginAlert)
	noToken(t, err)
	if err == nil || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("err = %v, want the echoed token redacted", err)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c = panther.New(closed.URL+"/public/graphql", "", secretToken, panther.WithRetries(0))
	for _, run := range []func() error{
		func() error { _, err := c.Version(t.Context()); return err },
		func() error { _, err := c.Comments(t.Context(), rootLoginAlert); return err },
	} {
		err := run()
		if err == nil || !panther.IsTransient(err) {
			t.Errorf("connection refused: err = %v, want transient", err)
		}
		noToken(t, err)
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	_, c := setup(t, []panthersim.Option{panthersim.WithLatency(300 * time.Millisecond)},
		panther.WithHTTPClient(&http.Client{Timeout: 30 * time.Millisecond}))
	_, err := c.Version(t.Context())
	if err == nil || !panther.IsTransient(err) {
		t.Errorf("timeout: err = %v, want transient", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Version(ctx)
	if err == nil || panther.IsTransient(err) {
		t.Errorf("cancelled: err = %v, want a non-transient error", err)
	}
}

func TestObserver(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]int{}
	srv, c := setup(t, nil, panther.WithRetries(0), panther.WithObserver(func(op string, status int, err error, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		seen[op] = append(seen[op], status)
		if d <= 0 {
			t.Errorf("%s: duration %v", op, d)
		}
		if (status >= 400) != (err != nil) {
			t.Errorf("%s: status %d with err %v", op, status, err)
		}
	}))
	if _, err := c.Alert(t.Context(), rootLoginAlert); err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1, 503)
	if _, err := c.Version(t.Context()); err == nil {
		t.Fatal("want an error")
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string][]int{"alert": {200}, "alert_rest": {200}, "version": {503}}
	for op, statuses := range want {
		if !slices.Equal(seen[op], statuses) {
			t.Errorf("observer saw %s %v, want %v (all: %v)", op, seen[op], statuses, seen)
		}
	}
}

func TestConcurrencyBound(t *testing.T) {
	srv := panthersim.New(panthersim.WithLatency(40 * time.Millisecond))
	var inflight, peak atomic.Int32
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()

	c := panther.New(ts.URL+"/public/graphql", "", srv.Token, panther.WithConcurrency(2))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Version(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrent requests = %d, want 2", p)
	}
}

func TestListAlerts(t *testing.T) {
	srv, c := setup(t, nil)
	const oktaAlert = "7a2d5e9c1f4b8a3062d7e1c5b9f4a821"
	ids := func(as []panther.Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	since := time.Date(2025, 5, 28, 0, 0, 0, 0, time.UTC)

	until := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got, err := c.AlertsByDetection(t.Context(), "Okta.BruteForceLogins", since, until, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{oktaAlert, oktaClosedAlert}; !slices.Equal(ids(got), want) {
		t.Errorf("AlertsByDetection = %v, want %v (newest first)", ids(got), want)
	}
	if got[1].Status != "CLOSED" || got[1].Detection == nil || got[1].Detection.ID != "Okta.BruteForceLogins" {
		t.Errorf("closed alert = %+v", got[1])
	}
	got, _ = c.AlertsByDetection(t.Context(), "Okta.BruteForceLogins", time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC), until, 10)
	if want := []string{oktaAlert}; !slices.Equal(ids(got), want) {
		t.Errorf("AlertsByDetection since June 3 = %v, want %v", ids(got), want)
	}

	// Many alerts in a window: paged at 50, cut at max.
	for i := range 70 {
		srv.AddAlert(panthersim.SeedAlert{ID: fmt.Sprintf("aaaa%028x", i), Title: "bulk", Severity: "LOW",
			CreatedAt: time.Date(2025, 7, 1, 0, i, 0, 0, time.UTC), Origin: panthersim.SeedOrigin{ID: "Bulk.Rule", Type: "RULE"}})
	}
	before := srv.Calls()["alerts"]
	got, err = c.AlertsBetween(t.Context(), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 2, 0, 0, 0, 0, time.UTC), 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 || got[0].ID != fmt.Sprintf("aaaa%028x", 69) {
		t.Errorf("AlertsBetween: %d alerts starting at %v, want 60 starting at the newest", len(got), ids(got)[:1])
	}
	if n := srv.Calls()["alerts"] - before; n != 2 {
		t.Errorf("%d pages, want 2 (50 + 10)", n)
	}
}
