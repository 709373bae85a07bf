package panther_test

import (
	"testing"

	"github.com/panther-triage/panther-triage/panther"
	"github.com/panther-triage/panther-triage/panther/panthersim"
)

func TestStatusAndAssignee(t *testing.T) {
	srv := panthersim.New(panthersim.WithSeeds(panthersim.DefaultSeeds()...))
	srv.Start()
	t.Cleanup(srv.Close)
	srv.AddUser(panthersim.SeedUser{ID: "user-42", Email: "sam@acme.io", GivenName: "Sam"})
	c := panther.New(srv.GraphQLURL(), "", srv.Token)
	const id = "b90c19e66e160e194a5b3b94ec27fb7c"
	if err := c.UpdateAlertStatus(t.Context(), []string{id}, "RESOLVED"); err != nil {
		t.Fatal(err)
	}
	if err := c.AssignAlerts(t.Context(), []string{id}, "user-42"); err != nil {
		t.Fatal(err)
	}
	a, err := c.Alert(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != "RESOLVED" || a.Assignee == nil || a.Assignee.ID != "user-42" {
		t.Fatalf("alert after write-back: status %s, assignee %+v", a.Status, a.Assignee)
	}
}
