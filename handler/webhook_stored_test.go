package handler

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/store"
	"github.com/panther-triage/panther-triage/store/storetest"
	"github.com/panther-triage/panther-triage/triage"
)

// TestWebhookCasesStored runs every case file against the real store, on
// SQLite and on PostgreSQL: the answer's status is the file's on both, and
// whatever is answered 202 is stored, with its queued record readable and
// its title capped. Cases that script the store (duplicate, fail) are left
// to TestWebhookCases. Between cases the store's clock moves past the dedup
// window, so that cases sharing an alert ID are each queued.
func TestWebhookCasesStored(t *testing.T) {
	cases := webhookCases(t)
	storetest.Each(t, func(t *testing.T, dsn string) {
		var clock atomic.Int64
		clock.Store(testNow().UnixNano())
		st, err := store.Open(t.Context(), store.Config{
			DSN: dsn, DedupWindow: time.Minute,
			Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() },
		}, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		var filter atomic.Value
		filter.Store("")
		h := New(Config{
			Secret: testSecret, Now: testNow,
			Filter: &fakeFilter{FilterFunc: func(triage.Delivery) string { return filter.Load().(string) }},
		}, st, st, st, zerolog.Nop())

		for _, c := range cases {
			if c.Store == "duplicate" || c.Store == "fail" {
				continue
			}
			t.Run(c.name, func(t *testing.T) {
				clock.Add(int64(time.Hour))
				filter.Store(c.Filter)
				rec := (&bundle{handler: h}).serve(c.request(t))
				if rec.Code != c.Want.Status {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, c.Want.Status, rec.Body)
				}
				if rec.Code != http.StatusAccepted {
					return
				}
				var resp webhookResponse
				decodeInto(t, rec, &resp)
				r, err := st.Investigation(t.Context(), resp.AlertID)
				if err != nil {
					t.Fatalf("answered 202, but the record of %q does not read back: %v", resp.AlertID, err)
				}
				if r.State != triage.StateQueued {
					t.Errorf("record state = %q, want queued", r.State)
				}
				var sent struct {
					Title string `json:"title"`
				}
				_ = json.Unmarshal(c.requestBody(t), &sent)
				switch {
				case len(sent.Title) <= store.MaxTitleBytes && r.Title != sent.Title:
					t.Errorf("record title = %q, want %q", r.Title, sent.Title)
				case len(sent.Title) > store.MaxTitleBytes &&
					(len(r.Title) > store.MaxTitleBytes || !utf8.ValidString(r.Title) ||
						r.Title[len(r.Title)-len(store.CutMarker):] != store.CutMarker):
					t.Errorf("a title of %d bytes was stored as %d bytes, want at most %d ending with %q",
						len(sent.Title), len(r.Title), store.MaxTitleBytes, store.CutMarker)
				}
			})
		}
	})
}
