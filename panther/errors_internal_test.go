package panther

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"-3", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.header, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestScrubShortensAndRedacts(t *testing.T) {
	c := &Client{token: "tok-123"}
	long := make([]byte, 0, 1000)
	for range 200 {
		long = append(long, "tok-123 é"...)
	}
	got := c.scrub(string(long))
	if len(got) > maxMessage+len("…") {
		t.Errorf("scrub kept %d bytes, want at most %d", len(got), maxMessage)
	}
	for i := 0; i+len("tok-123") <= len(got); i++ {
		if got[i:i+len("tok-123")] == "tok-123" {
			t.Fatalf("scrub left the token in %q", got)
		}
	}
	if (&Client{}).scrub("abc") != "abc" {
		t.Error("an empty token must leave messages alone")
	}
}

func TestTruncatedBodyIsTransient(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":{"generalSettings":{"pantherVer`))
	}))
	defer ts.Close()
	c := New(ts.URL+"/public/graphql", "", "tok")
	if _, err := c.Version(t.Context()); err == nil || !IsTransient(err) {
		t.Errorf("GraphQL: err = %v, want a transient error", err)
	}
	if _, err := c.Comments(t.Context(), "a"); err == nil || !IsTransient(err) {
		t.Errorf("REST: err = %v, want a transient error", err)
	}
}
