package panther_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
)

// TestErrorShapes keeps one case per error shape seen or assumed: the HTTP
// status decides first, then a GraphQL error's code (extensions.code or
// AppSync's errorType), then its message.
func TestErrorShapes(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		graphql bool // call the GraphQL endpoint, else REST
		want    panther.Class
	}{
		{"REST 401", 401, `{"message":"Unauthorized"}`, false, panther.ClassTokenRejected},
		{"GraphQL 401", 401, `{"message":"Unauthorized"}`, true, panther.ClassTokenRejected},
		{"REST 403", 403, `{"message":"Forbidden"}`, false, panther.ClassForbidden},
		{"GraphQL 403", 403, `{"message":"User is not authorized to access this resource"}`, true, panther.ClassForbidden},
		{"REST 404", 404, `{"message":"alert not found"}`, false, panther.ClassNotFound},
		{"GraphQL endpoint 404", 404, `{"message":"Not Found"}`, true, panther.ClassWrongURL},
		{"GraphQL endpoint 405", 405, ``, true, panther.ClassWrongURL},
		{"GraphQL URL serving a page", 200, `<!doctype html><html>Panther console</html>`, true, panther.ClassWrongURL},
		{"REST 429", 429, `{"message":"Too many requests"}`, false, panther.ClassRateLimited},
		{"GraphQL 502 page", 502, `<html>Bad Gateway</html>`, true, panther.ClassTransient},
		{"REST 400", 400, `{"message":"bad input"}`, false, panther.ClassPermanent},
		{"code NotFound", 200, `{"errors":[{"message":"x","extensions":{"code":"NotFound"}}]}`, true, panther.ClassNotFound},
		{"code NOT_FOUND", 200, `{"errors":[{"message":"x","extensions":{"code":"NOT_FOUND"}}]}`, true, panther.ClassNotFound},
		{"code FORBIDDEN", 200, `{"errors":[{"message":"x","extensions":{"code":"FORBIDDEN"}}]}`, true, panther.ClassForbidden},
		{"code UNAUTHENTICATED", 200, `{"errors":[{"message":"x","extensions":{"code":"UNAUTHENTICATED"}}]}`, true, panther.ClassTokenRejected},
		{"AppSync errorType Unauthorized", 200, `{"errors":[{"message":"Not Authorized to access alert on type Query","errorType":"Unauthorized"}]}`, true, panther.ClassForbidden},
		{"message not found, no code", 200, `{"errors":[{"message":"alert 4c1e not found"}]}`, true, panther.ClassNotFound},
		{"message does not exist, no code", 200, `{"errors":[{"message":"Alert does not exist"}]}`, true, panther.ClassNotFound},
		{"message not authorized, no code", 200, `{"errors":[{"message":"You are not authorized to perform this request"}]}`, true, panther.ClassForbidden},
		{"message access denied, no code", 200, `{"errors":[{"message":"Access denied: missing permission AlertRead"}]}`, true, panther.ClassForbidden},
		{"code INTERNAL_SERVER_ERROR", 200, `{"errors":[{"message":"x","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`, true, panther.ClassTransient},
		{"a code decides over the message", 200, `{"errors":[{"message":"field not found","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`, true, panther.ClassPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 429 {
					w.Header().Set("Retry-After", "1")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer ts.Close()
			c := panther.New(ts.URL+"/public/graphql", "", "tok", panther.WithRetries(0))
			var err error
			if tt.graphql {
				_, err = c.Version(t.Context())
			} else {
				_, err = c.Comments(t.Context(), "a1")
			}
			if got := panther.Classify(err); got != tt.want {
				t.Errorf("Classify(%v) = %s; want %s", err, got, tt.want)
			}
		})
	}
}
