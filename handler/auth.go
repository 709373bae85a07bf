package handler

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireSecret lets a request through only when it carries the secret,
// either as "Authorization: Bearer <secret>" (what Panther sends) or as the
// password of HTTP Basic credentials with any user name (what a browser or
// `curl -u any:<secret>` sends). The secret is never read from the query
// string. A 401 carries WWW-Authenticate so that a browser asks for it.
func (s *server) requireSecret(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.InsecureNoAuth || s.authorized(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="panther-triage"`)
		s.writeError(w, r, errUnauthorized)
	})
}

// authorized reports whether r carries the configured secret. With no secret
// configured nothing is authorized.
func (s *server) authorized(r *http.Request) bool {
	if s.cfg.Secret == "" {
		return false
	}
	got, ok := bearerToken(r)
	if !ok {
		_, got, ok = r.BasicAuth()
	}
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Secret)) == 1
}

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
