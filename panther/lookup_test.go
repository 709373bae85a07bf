package panther_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// TestDetectionOfASimpleRule: Panther keeps simple (YAML) rules apart from
// Python rules; a RULE alert's detection is found at /simple-rules/{id}.
func TestDetectionOfASimpleRule(t *testing.T) {
	srv, c := setup(t, nil)
	srv.AddDetection(panthersim.SeedDetection{Kind: "simple-rules", ID: "Simple.Okta.AdminRole",
		DisplayName: "Okta admin role granted", Description: "YAML rule", Reports: map[string][]string{"MITRE ATT&CK": {"TA0004:T1098"}}})
	d, err := c.Detection(t.Context(), "RULE", "Simple.Okta.AdminRole")
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != panther.CollectionSimpleRules || d.Description != "YAML rule" || len(d.Reports["MITRE ATT&CK"]) != 1 {
		t.Errorf("detection = %+v; want the simple rule with its description and MITRE mapping", d)
	}
	if n := srv.Calls()["GET /simple-rules/{id}"]; n != 1 {
		t.Errorf("simple-rules reads %d; want 1", n)
	}
}

// TestDetectionLookupGoesOnAfter403: a 403 on one collection is "try the
// next one"; the detection says which collections refused the token, and a
// lookup that found nothing elsewhere is ErrForbidden, not ErrNotFound.
func TestDetectionLookupGoesOnAfter403(t *testing.T) {
	perms := slices.DeleteFunc(panthersim.AllPermissions(), func(p string) bool { return p == "RuleRead" })
	srv, c := setup(t, []panthersim.Option{panthersim.WithPermissions(perms)})
	_ = srv
	// A policy looked up as if it were a rule: rules and simple rules
	// refuse, policies answer.
	d, err := c.Detection(t.Context(), "RULE", "AWS.S3.Bucket.PublicRead")
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != panther.CollectionPolicies || !slices.Equal(d.Denied, []string{"rules", "simple-rules", "scheduled-rules"}) {
		t.Errorf("detection kind %s denied %v; want policies after 3 refusals", d.Kind, d.Denied)
	}
	_, err = c.Detection(t.Context(), "RULE", "AWS.Console.RootLogin")
	var le *panther.DetectionLookupError
	if !errors.Is(err, panther.ErrForbidden) || errors.Is(err, panther.ErrNotFound) || !errors.As(err, &le) {
		t.Fatalf("err = %v; want ErrForbidden naming the refused collections", err)
	}
	if got := panther.Permission(le.Denied[0]); got != panther.PermViewRules {
		t.Errorf("permission for %s = %q; want %q", le.Denied[0], got, panther.PermViewRules)
	}
}
