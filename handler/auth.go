package handler

import (
	"net/http"
	"strings"
)

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive.
func bearerToken(r *http.Request) (string, bool) {
	const prefix = "bearer "
	h := r.Header.Get("Authorization")
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}
