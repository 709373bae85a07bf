package panther

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

// TestScrubRemovesEncodedTokens checks that the token is removed in the
// forms an echo of the request may carry it in: URL-encoded (query or
// path, upper- or lower-case hex) and base64, alone or inside Basic
// credentials.
func TestScrubRemovesEncodedTokens(t *testing.T) {
	token := "pat/h3r+t0k=n?&x y" // lower case, so that ToLower below touches only the hex
	c := &Client{token: token}
	basic := base64.StdEncoding.EncodeToString([]byte("user:" + token))
	for _, echo := range []string{
		token,
		url.QueryEscape(token),
		url.PathEscape(token),
		strings.ToLower(url.QueryEscape(token)),
		base64.StdEncoding.EncodeToString([]byte(token)),
		base64.URLEncoding.EncodeToString([]byte(token)),
		base64.RawStdEncoding.EncodeToString([]byte(token)),
		base64.RawURLEncoding.EncodeToString([]byte(token)),
		basic,
		base64.StdEncoding.EncodeToString([]byte("x:" + token)),
		base64.StdEncoding.EncodeToString([]byte("ab:" + token + "!")),
	} {
		got := c.scrub("upstream said: Authorization: " + echo + " end")
		if !strings.Contains(got, "[redacted]") {
			t.Errorf("scrub(%q) = %q: the token's form stayed", echo, got)
		}
		if strings.Contains(got, token) || strings.Contains(got, url.QueryEscape(token)) {
			t.Errorf("scrub left the token in %q", got)
		}
	}
	if got := c.scrub("nothing to hide"); got != "nothing to hide" {
		t.Errorf("scrub changed a message without the token: %q", got)
	}
}
