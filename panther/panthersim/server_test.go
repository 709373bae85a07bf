package panthersim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/panther-triage/panther-triage/panther/panthersim"
)

const (
	documentedAlert = "b90c19e66e160e194a5b3b94ec27fb7c"
	rootLoginAlert  = "4c1e8f2a9d7b3e6051c8a2f4d9e7b130"
	oktaAlert       = "7a2d5e9c1f4b8a3062d7e1c5b9f4a821"
	oktaClosedAlert = "1e6b3c8d2a7f4e9051b6c3d8a2f7e914"
)

// start returns a started server with the default seeds.
func start(t *testing.T, opts ...panthersim.Option) *panthersim.Server {
	t.Helper()
	srv := panthersim.New(append([]panthersim.Option{panthersim.WithSeeds(panthersim.DefaultSeeds()...)}, opts...)...)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// gqlResult is a decoded GraphQL response.
type gqlResult struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// gql posts a GraphQL operation with the server's token.
func gql(t *testing.T, srv *panthersim.Server, query string, vars map[string]any) gqlResult {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp := do(t, srv, "POST", srv.GraphQLURL(), body)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GraphQL answered %d", resp.StatusCode)
	}
	var out gqlResult
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// do sends a request with the server's token.
func do(t *testing.T, srv *panthersim.Server, method, url string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", srv.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// getJSON GETs a REST path and decodes the answer.
func getJSON(t *testing.T, srv *panthersim.Server, path string, out any) int {
	t.Helper()
	resp := do(t, srv, "GET", srv.RESTURL()+path, nil)
	defer resp.Body.Close()
	if out != nil {
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, b)
		}
	}
	return resp.StatusCode
}

func TestDefaultSeeds(t *testing.T) {
	seeds := panthersim.DefaultSeeds()
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	ids := map[string]bool{}
	kinds := map[string]bool{}
	for _, a := range seeds {
		if !hex32.MatchString(a.ID) || ids[a.ID] {
			t.Errorf("seed ID %q is not a unique 32-hex alert ID", a.ID)
		}
		ids[a.ID] = true
		kinds[a.Type] = true
		for i, ev := range a.Events {
			for _, f := range []string{"p_row_id", "p_event_time", "p_parse_time", "p_source_label"} {
				if _, ok := ev[f]; !ok {
					t.Errorf("seed %s event %d lacks %s", a.ID, i, f)
				}
			}
			if _, ok := ev["p_log_type"]; !ok && a.Type != "POLICY" {
				t.Errorf("seed %s event %d lacks p_log_type", a.ID, i)
			}
		}
	}
	if !ids[documentedAlert] {
		t.Errorf("the documented payload's alert %s is not seeded", documentedAlert)
	}
	for _, k := range []string{"RULE", "POLICY", "SCHEDULED_RULE", "SYSTEM_ERROR"} {
		if !kinds[k] {
			t.Errorf("no seed of type %s", k)
		}
	}
}

// TestDocumentedPayload checks that the documented alert's seed reproduces
// the payload in Panther's documentation.
func TestDocumentedPayload(t *testing.T) {
	const documented = `{"id":"AllLogs.IPMonitoring","createdAt":"2020-10-13T03:35:24Z","severity":"INFO","type":"RULE",
 "link":"https://runpanther.io/alerts/b90c19e66e160e194a5b3b94ec27fb7c",
 "title":"New Alert: Suspicious traffic detected from [123.123.123.123]","name":"Monitor Suspicious IPs",
 "alertId":"b90c19e66e160e194a5b3b94ec27fb7c",
 "description":"This rule alerts on any activity outside of our IP address whitelist","runbook":"",
 "tags":["Network Monitoring","Threat Intel"],"version":"CJm9PiaXV0q8U0JhoFmE6L21ou7e5Ek0"}`
	var want map[string]any
	if err := json.Unmarshal([]byte(documented), &want); err != nil {
		t.Fatal(err)
	}
	for _, a := range panthersim.DefaultSeeds() {
		var got map[string]any
		if err := json.Unmarshal(a.WebhookPayload(), &got); err != nil {
			t.Fatalf("%s: %v", a.ID, err)
		}
		for _, k := range []string{"id", "createdAt", "severity", "type", "link", "title", "name", "alertId", "alertContext", "description", "runbook", "tags", "version"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: payload lacks %q", a.ID, k)
			}
		}
		if !strings.HasPrefix(got["title"].(string), "New Alert: ") {
			t.Errorf("%s: title %q lacks the New Alert prefix", a.ID, got["title"])
		}
		if a.ID != documentedAlert {
			continue
		}
		delete(got, "alertContext")
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(gb, wb) {
			t.Errorf("documented alert payload:\n got %s\nwant %s", gb, wb)
		}
	}
}

func TestLoadSeedsRejectsBadFiles(t *testing.T) {
	tests := map[string]string{
		"typo.json":     `{"id":"a","title":"t","severity":"LOW","createdAt":"2025-01-01T00:00:00Z","sevrity":"LOW"}`,
		"severity.json": `{"id":"a","title":"t","severity":"URGENT","createdAt":"2025-01-01T00:00:00Z"}`,
		"noid.json":     `[{"title":"t","severity":"LOW","createdAt":"2025-01-01T00:00:00Z"}]`,
		"kind.json":     `{"id":"a","severity":"LOW","createdAt":"2025-01-01T00:00:00Z","detection":{"kind":"rule","id":"x"}}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := panthersim.LoadSeeds(fstest.MapFS{name: {Data: []byte(content)}})
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("err = %v, want an error naming %s", err, name)
			}
		})
	}
	seeds, err := panthersim.LoadSeeds(fstest.MapFS{
		"b.json": {Data: []byte(`[{"id":"b1","severity":"LOW","createdAt":"2025-01-01T00:00:00Z"},{"id":"b2","severity":"LOW","createdAt":"2025-01-01T00:00:00Z"}]`)},
		"a.json": {Data: []byte(`{"id":"a","severity":"LOW","createdAt":"2025-01-01T00:00:00Z"}`)},
		"x.txt":  {Data: []byte(`not a seed`)},
	})
	if err != nil || len(seeds) != 3 || seeds[0].ID != "a" || seeds[2].ID != "b2" {
		t.Errorf("LoadSeeds = %v, %v; want a, b1, b2", seeds, err)
	}
}

func TestGraphQLValidation(t *testing.T) {
	srv := start(t)
	tests := []struct {
		name, query, wantErr string
	}{
		{"unknown field", `{ alert(id: "x") { nope } }`, `Cannot query field "nope"`},
		{"missing argument", `{ alert { id } }`, `argument "id"`},
		{"unaliased type in origin", `{ alert(id: "x") { origin { ... on Detection { type } ... on SystemError { type } } } }`, `conflict`},
		{"syntax", `{ alert(id: "x") { id `, `Expected Name`},
		{"wrong enum", `mutation { updateAlertStatusById(input: {ids: ["x"], status: DONE}) { alerts { id } } }`, `DONE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := gql(t, srv, tt.query, nil)
			if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, tt.wantErr) {
				t.Errorf("errors = %+v, want one containing %q", res.Errors, tt.wantErr)
			}
			if res.Data != nil {
				t.Errorf("data = %v, want none", res.Data)
			}
		})
	}
	if n := srv.Calls()["alert"]; n != 0 {
		t.Errorf("invalid operations executed alert %d times", n)
	}
}

func TestGraphQLExecution(t *testing.T) {
	srv := start(t)
	res := gql(t, srv, `
		query Triage($id: ID!) {
			a: alert(id: $id) { ...basics origin { __typename ...det } }
			b: alert(id: $id) { severity }
		}
		fragment basics on Alert { id __typename title }
		fragment det on AlertOrigin { ... on Detection { id detectionType: type } ... on SystemError { systemErrorType: type } }`,
		map[string]any{"id": rootLoginAlert})
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %+v", res.Errors)
	}
	a := res.Data["a"].(map[string]any)
	origin := a["origin"].(map[string]any)
	if a["id"] != rootLoginAlert || a["__typename"] != "Alert" || origin["__typename"] != "Detection" ||
		origin["detectionType"] != "RULE" || origin["id"] != "AWS.Console.RootLogin" {
		t.Errorf("a = %v", a)
	}
	if _, ok := origin["systemErrorType"]; ok {
		t.Errorf("a SystemError fragment applied to a Detection: %v", origin)
	}
	if b := res.Data["b"].(map[string]any); b["severity"] != "CRITICAL" || len(b) != 1 {
		t.Errorf("b = %v, want only severity", b)
	}
	if n := srv.Calls()["alert"]; n != 2 {
		t.Errorf("alert executed %d times, want 2", n)
	}

	res = gql(t, srv, `{ alert(id: "ffffffffffffffffffffffffffffffff") { id } }`, nil)
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "NotFound" {
		t.Errorf("unknown alert: errors = %+v, want one NotFound", res.Errors)
	}
}

func TestAlertsListing(t *testing.T) {
	srv := start(t)
	const q = `query($input: AlertsInput!) { alerts(input: $input) {
		edges { node { id status } } pageInfo { hasNextPage endCursor } } }`
	ids := func(res gqlResult) []string {
		var out []string
		for _, e := range res.Data["alerts"].(map[string]any)["edges"].([]any) {
			out = append(out, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		return out
	}
	tests := []struct {
		name  string
		input map[string]any
		want  []string
	}{
		{"by detection, newest first", map[string]any{"detectionId": "Okta.BruteForceLogins"}, []string{oktaAlert, oktaClosedAlert}},
		{"by status", map[string]any{"detectionId": "Okta.BruteForceLogins", "statuses": []string{"CLOSED"}}, []string{oktaClosedAlert}},
		{"by time", map[string]any{"createdAtAfter": "2025-06-03T00:00:00Z", "createdAtBefore": "2025-06-04T10:00:00Z", "sortDir": "ascending"},
			[]string{rootLoginAlert, oktaAlert}},
		{"system errors", map[string]any{"createdAtAfter": "2020-01-01T00:00:00Z", "createdAtBefore": "2030-01-01T00:00:00Z", "type": "SYSTEM_ERROR"},
			[]string{"e81c4a7f2d9b5e3061c4a8f7d2b9e5c3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := gql(t, srv, q, map[string]any{"input": tt.input})
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %+v", res.Errors)
			}
			if got := ids(res); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	res := gql(t, srv, q, map[string]any{"input": map[string]any{"severities": []string{"HIGH"}}})
	if len(res.Errors) == 0 {
		t.Error("alerts without detectionId or a time range must fail, as in Panther")
	}

	// Paging: one alert per page walks all alerts of the range once.
	var seen []string
	var cursor any
	for range 100 {
		in := map[string]any{"createdAtAfter": "2020-01-01T00:00:00Z", "createdAtBefore": "2030-01-01T00:00:00Z", "pageSize": 1, "cursor": cursor}
		res := gql(t, srv, q, map[string]any{"input": in})
		seen = append(seen, ids(res)...)
		pi := res.Data["alerts"].(map[string]any)["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			break
		}
		cursor = pi["endCursor"]
	}
	want := 0
	for _, a := range panthersim.DefaultSeeds() {
		if a.Origin.Kind != "SystemError" {
			want++
		}
	}
	if len(seen) != want || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != want {
		t.Errorf("paged through %v, want the %d alerts of type ALERT once each", seen, want)
	}
}

func TestCommentsShared(t *testing.T) {
	srv := start(t)
	res := gql(t, srv, `mutation($input: CreateAlertCommentInput!) { createAlertComment(input: $input) { comment { id body format createdAt } } }`,
		map[string]any{"input": map[string]any{"alertId": oktaAlert, "body": "<b>one</b>", "format": "HTML"}})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	body, _ := json.Marshal(map[string]string{"alertId": oktaAlert, "body": "two", "format": "PLAIN_TEXT"})
	resp := do(t, srv, "POST", srv.RESTURL()+"/alert-comments", body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /alert-comments: %d", resp.StatusCode)
	}

	var page struct {
		Results []struct{ ID, AlertID, Body, Format, CreatedAt string } `json:"results"`
		Next    *string                                                 `json:"next"`
	}
	if code := getJSON(t, srv, "/alert-comments?alert-id="+oktaAlert+"&limit=1", &page); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(page.Results) != 1 || page.Results[0].Body != "<b>one</b>" || page.Results[0].Format != "HTML" || page.Next == nil {
		t.Errorf("first page = %+v", page)
	}
	if got := srv.Comments(oktaAlert); len(got) != 2 || got[1].Body != "two" || got[0].ID == got[1].ID {
		t.Errorf("Comments = %+v", got)
	}
	if code := getJSON(t, srv, "/alert-comments?alert-id="+oktaAlert+"&limit=51", nil); code != http.StatusBadRequest {
		t.Errorf("limit 51: status %d, want 400", code)
	}
}

func TestREST(t *testing.T) {
	srv := start(t, panthersim.WithPermissions([]string{"AlertRead", "RuleRead"}))
	var alert struct {
		Context    map[string]any `json:"context"`
		EventCount int            `json:"eventCount"`
		Detection  struct{ ID, Type string }
	}
	if code := getJSON(t, srv, "/alerts/"+oktaAlert, &alert); code != 200 {
		t.Fatalf("GET /alerts: %d", code)
	}
	if alert.EventCount != 6 || alert.Context["actor"] != "jane.doe@acme.io" ||
		alert.Detection.ID != "Okta.BruteForceLogins" || alert.Detection.Type != "RULE" {
		t.Errorf("alert = %+v", alert)
	}

	var events struct {
		Results []map[string]any `json:"results"`
		Next    *string          `json:"next"`
	}
	getJSON(t, srv, "/alerts/"+oktaAlert+"/events?limit=4", &events)
	if len(events.Results) != 4 || events.Next == nil {
		t.Fatalf("first events page: %d results, next %v", len(events.Results), events.Next)
	}
	getJSON(t, srv, "/alerts/"+oktaAlert+"/events?limit=4&cursor="+*events.Next, &events)
	if len(events.Results) != 2 || events.Next != nil {
		t.Errorf("second events page: %d results, next %v", len(events.Results), events.Next)
	}

	tests := []struct {
		path string
		want int
	}{
		{"/rules/AWS.Console.RootLogin", 200},
		{"/scheduled-rules/AWS.Console.RootLogin", 404},
		{"/simple-rules/AWS.Console.RootLogin", 404},
		{"/scheduled-rules/GCP.IAM.ExternalOwnerGranted", 200},
		{"/policies/AWS.S3.Bucket.PublicRead", 403}, // no PolicyRead
		{"/alerts/ffffffffffffffffffffffffffffffff", 404},
		{"/alert-comments", 400}, // alert-id missing
		{"/nowhere", 404},
	}
	for _, tt := range tests {
		if got := getJSON(t, srv, tt.path, nil); got != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.path, got, tt.want)
		}
	}

	// Without Read API Token Info the token may not read its own
	// permissions, as in Panther.
	if got := getJSON(t, srv, "/api-tokens/self", nil); got != 403 {
		t.Errorf("GET /api-tokens/self without OrganizationAPITokenRead = %d, want 403", got)
	}
	if calls := srv.Calls(); calls["GET /alerts/{id}/events"] != 2 || calls["GET /rules/{id}"] != 1 {
		t.Errorf("calls = %v", calls)
	}
}

func TestAuthAndFaults(t *testing.T) {
	srv := start(t)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.RESTURL()+"/alerts/"+oktaAlert, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no X-API-Key: %d, want 401", resp.StatusCode)
	}

	srv.SetFaults(panthersim.Faults{RetryAfter: 1500 * time.Millisecond})
	srv.FailNext(2, http.StatusTooManyRequests)
	resp = do(t, srv, "GET", srv.RESTURL()+"/alerts/"+oktaAlert, nil)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("got %d Retry-After %q, want 429 with 2 (seconds, rounded up)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := srv.RateLimitViolations(); n != 0 {
		t.Errorf("violations = %d before any early call", n)
	}
	resp = do(t, srv, "GET", srv.RESTURL()+"/alerts/"+oktaAlert, nil) // in flight: within the grace
	resp.Body.Close()
	if n := srv.RateLimitViolations(); n != 0 {
		t.Errorf("violations = %d for a call sent while the 429 was in flight", n)
	}
	time.Sleep(600 * time.Millisecond)
	resp = do(t, srv, "GET", srv.RESTURL()+"/alerts/"+oktaAlert, nil) // too early
	resp.Body.Close()
	if n := srv.RateLimitViolations(); n != 1 {
		t.Errorf("violations = %d after an early call, want 1", n)
	}
	resp = do(t, srv, "GET", srv.RESTURL()+"/alerts/"+oktaAlert, nil) // FailNext used up
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after FailNext: %d", resp.StatusCode)
	}

	// Random faults are reproducible from the seed.
	sequence := func() []int {
		srv.SetFaults(panthersim.Faults{Rate500: 0.3, Rate429: 0.2, Seed: 42})
		var codes []int
		for range 30 {
			resp := do(t, srv, "GET", srv.RESTURL()+"/rules/AWS.Console.RootLogin", nil)
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
		}
		return codes
	}
	first := sequence()
	if !slices.Equal(first, sequence()) {
		t.Error("the same Seed gave different fault sequences")
	}
	if !slices.Contains(first, 500) || !slices.Contains(first, 429) || !slices.Contains(first, 200) {
		t.Errorf("codes %v, want a mix of 200, 429 and 500", first)
	}
	srv.SetFaults(panthersim.Faults{})
}

func TestLatency(t *testing.T) {
	srv := start(t, panthersim.WithLatency(200*time.Millisecond))
	begin := time.Now()
	getJSON(t, srv, "/alerts/"+oktaAlert, nil)
	if d := time.Since(begin); d < 200*time.Millisecond {
		t.Errorf("answered in %v, want at least the 200ms latency", d)
	}
	srv.SetLatency(0)
	begin = time.Now()
	getJSON(t, srv, "/alerts/"+oktaAlert, nil)
	if d := time.Since(begin); d > 150*time.Millisecond {
		t.Errorf("answered in %v after SetLatency(0)", d)
	}
}

func TestStateChanges(t *testing.T) {
	srv := start(t)
	if !srv.SetStatus(oktaAlert, "TRIAGED") {
		t.Fatal("SetStatus on a seeded alert reported false")
	}
	res := gql(t, srv, `{ alert(id: "`+oktaAlert+`") { status updatedAt } }`, nil)
	if a := res.Data["alert"].(map[string]any); a["status"] != "TRIAGED" || a["updatedAt"] == nil {
		t.Errorf("alert = %v", a)
	}
	srv.DeleteAlert(oktaAlert)
	if code := getJSON(t, srv, "/alerts/"+oktaAlert, nil); code != 404 {
		t.Errorf("deleted alert: %d, want 404", code)
	}
	if srv.SetStatus(oktaAlert, "OPEN") {
		t.Error("SetStatus on a deleted alert reported true")
	}
}

func TestDataLake(t *testing.T) {
	srv := start(t)
	srv.SetQueryPolls(1)
	const search = `mutation($input: ExecuteIndicatorSearchQueryInput!) { executeIndicatorSearchQuery(input: $input) { id } }`
	const poll = `query($id: ID!) { dataLakeQuery(id: $id) { id status message
		results { edges { node } pageInfo { hasNextPage } columnInfo { order } stats { rowCount bytesScanned } } } }`

	res := gql(t, srv, search, map[string]any{"input": map[string]any{
		"indicators": []string{"185.220.101.34"}, "startTime": "2025-06-03T00:00:00.000Z", "endTime": "2025-06-04T00:00:00.000Z",
	}})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	id := res.Data["executeIndicatorSearchQuery"].(map[string]any)["id"].(string)

	q := gql(t, srv, poll, map[string]any{"id": id}).Data["dataLakeQuery"].(map[string]any)
	if q["status"] != "running" || q["results"] != nil {
		t.Errorf("first poll = %v, want running without results", q)
	}
	q = gql(t, srv, poll, map[string]any{"id": id}).Data["dataLakeQuery"].(map[string]any)
	results, _ := q["results"].(map[string]any)
	if q["status"] != "succeeded" || results == nil {
		t.Fatalf("second poll = %v, want succeeded with results", q)
	}
	if edges := results["edges"].([]any); len(edges) != 2 {
		t.Errorf("found %d events with the Tor IP, want the 2 CloudTrail events", len(edges))
	}

	// SQL without a p_event_time bound fails, as Panther's would.
	res = gql(t, srv, `mutation { executeDataLakeQuery(input: {sql: "select * from panther_logs.public.aws_cloudtrail"}) { id } }`, nil)
	id = res.Data["executeDataLakeQuery"].(map[string]any)["id"].(string)
	if q := gql(t, srv, poll, map[string]any{"id": id}).Data["dataLakeQuery"].(map[string]any); q["status"] != "failed" {
		t.Errorf("unbounded SQL: %v, want failed", q)
	}

	// A query that never finishes can be cancelled.
	srv.SetQueryPolls(-1)
	res = gql(t, srv, `mutation { executeDataLakeQuery(input: {sql: "select 1 from t where p_occurs_since('1 d')"}) { id } }`, nil)
	id = res.Data["executeDataLakeQuery"].(map[string]any)["id"].(string)
	for range 3 {
		if q := gql(t, srv, poll, map[string]any{"id": id}).Data["dataLakeQuery"].(map[string]any); q["status"] != "running" {
			t.Fatalf("status %v, want running", q["status"])
		}
	}
	gql(t, srv, `mutation($id: ID!) { cancelDataLakeQuery(input: {id: $id}) { id } }`, map[string]any{"id": id})
	if q := gql(t, srv, poll, map[string]any{"id": id}).Data["dataLakeQuery"].(map[string]any); q["status"] != "cancelled" {
		t.Errorf("after cancel: %v", q["status"])
	}
	if qs := srv.DataLakeQueries(); len(qs) != 3 || !slices.Equal(qs[0].Indicators, []string{"185.220.101.34"}) {
		t.Errorf("DataLakeQueries = %+v", qs)
	}
}
