package investigate_test

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/panther-triage/panther-triage/investigate"
	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
	"github.com/panther-triage/panther-triage/triage"
)

// TestRESTAlertFailureIsMissingEvidence: when REST's GET /alerts/{id}
// answers 404 (a wrong REST URL, a proxy prefix) while GraphQL serves the
// alert, the alert is investigated and commented, the lost context recorded
// as missing evidence, never skipped as deleted.
func TestRESTAlertFailureIsMissingEvidence(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	srv.SetRESTAlertsNotFound(true)
	pc := panther.New(srv.GraphQLURL(), "", srv.Token)
	steps := []investigate.Step{investigate.Events(pc, 200), investigate.Indicators(), investigate.Detection(pc)}
	inv := investigate.New(pc, steps, investigate.Options{}, zerolog.Nop())
	for _, s := range panthersim.DefaultSeeds()[:5] {
		out, err := inv.Run(t.Context(), s.ID, 7, false)
		if err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		if out.State != triage.StateDone || !out.Posted {
			t.Fatalf("%s: state %s (%s), posted %v; want done and commented", s.ID, out.State, out.Reason, out.Posted)
		}
		var missing bool
		for _, f := range out.Report.Findings {
			missing = missing || (f.Kind == "alert_context_missing" && f.Weight == triage.WeightMissing && strings.Contains(f.Title, "404"))
		}
		if !missing {
			t.Errorf("%s: no missing-evidence finding for the REST read: %+v", s.ID, out.Report.Findings)
		}
	}
	if n := srv.Calls()["GET /alerts/{id}"]; n != 5 {
		t.Errorf("REST alert reads %d; want 5, one per alert", n)
	}
}

// TestWrongGraphQLURLIsNotADeletedAlert: a GraphQL URL that answers 404 is
// a configuration error, reported as such with the URL, never "deleted".
func TestWrongGraphQLURLIsNotADeletedAlert(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	url := srv.URL() + "/graphql" // not /public/graphql
	pc := panther.New(url, srv.RESTURL(), srv.Token)
	inv := investigate.New(pc, nil, investigate.Options{}, zerolog.Nop())
	seed := panthersim.DefaultSeeds()[0]
	out, err := inv.Run(t.Context(), seed.ID, 7, false)
	if out.State == triage.StateSkipped || err == nil {
		t.Fatalf("state %s (%s), err %v; want an error, not a skip", out.State, out.Reason, err)
	}
	if panther.Classify(err) != panther.ClassWrongURL || !strings.Contains(err.Error(), url) {
		t.Errorf("err %v (class %s); want a wrong URL naming %s", err, panther.Classify(err), url)
	}
}
