package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// listingAgentScenarios (issue 9, defect 7): a listing's agent_user_id is
// checked against property's read model of identity's users, fed through
// the broker. A user an admin creates in identity becomes usable as an
// agent once its event reaches property; a user of another organisation
// never does (even once property demonstrably knows it); a user identity
// deletes stops being usable. Everything through nginx and the gateway.
func listingAgentScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	property := func(token string) string {
		t.Helper()
		r := do(t, http.MethodPost, api+"/properties", token, map[string]any{
			"unparsed_address": "1 Agent Avenue", "city": "Springfield", "list_price_cents": 100, "property_type": "Residential",
		})
		expectStatus(t, r, http.StatusCreated, "create property")
		var p struct{ ID string }
		r.json(t, &p)
		return p.ID
	}
	newUser := func(token, name string) string {
		t.Helper()
		r := do(t, http.MethodPost, api+"/admin/users", token, map[string]any{
			"email":    strings.ToLower(testkit.UniqueName(t, name)) + "@example.test",
			"password": "agent password 123", "full_name": "E2E " + name, "roles": []string{"agent"},
		})
		expectStatus(t, r, http.StatusCreated, "admin creates "+name)
		var u struct{ ID string }
		r.json(t, &u)
		return u.ID
	}
	listing := func(token, propertyID, agent string) response {
		t.Helper()
		return do(t, http.MethodPost, api+"/listings", token, map[string]any{
			"property_id": propertyID, "list_price_cents": 100, "agent_user_id": agent,
		})
	}
	// untilAccepted polls until the listing is created; meanwhile the only
	// answer allowed is the 422 of an agent property does not know yet.
	untilAccepted := func(what string, call func() response) {
		t.Helper()
		var r response
		testkit.Eventually(t, eventTimeout, func() bool {
			r = call()
			return r.Status != http.StatusUnprocessableEntity || !slices.Contains(problemFields(t, r), "agent_user_id")
		}, func() string { return fmt.Sprintf("%s: still %d %s", what, r.Status, r.Body) })
		if r.Status != http.StatusCreated {
			t.Fatalf("%s: %d %s while waiting for identity's event", what, r.Status, r.Body)
		}
	}

	home := property(a.admin)
	colleague := newUser(a.admin, "listing-agent")
	untilAccepted("a user made in identity becomes an agent", func() response { return listing(a.admin, home, colleague) })

	// Another organisation's user: property knows it (its own admin can
	// name it) and still refuses it here.
	away := property(a.outsider)
	stranger := newUser(a.outsider, "other-org-agent")
	untilAccepted("the other org names its own user", func() response { return listing(a.outsider, away, stranger) })
	expectFieldError(t, listing(a.admin, home, stranger), "agent_user_id", "another org's user as agent")
	expectFieldError(t, listing(a.admin, home, "01900000-0000-7000-8000-00000000dead"), "agent_user_id", "an id identity never made")
	expectFieldError(t, listing(a.admin, away, colleague), "property_id", "another org's property")

	// Deleted in identity: refused once the deletion arrives.
	expectStatus(t, do(t, http.MethodDelete, api+"/users/"+colleague, a.admin, nil), http.StatusNoContent, "delete the agent in identity")
	// Until then the only answer allowed is the listing created.
	var r response
	testkit.Eventually(t, eventTimeout, func() bool {
		r = listing(a.admin, home, colleague)
		return r.Status != http.StatusCreated
	}, func() string { return fmt.Sprintf("a deleted agent: still %d %s", r.Status, r.Body) })
	if r.Status != http.StatusUnprocessableEntity || !slices.Contains(problemFields(t, r), "agent_user_id") {
		t.Fatalf("a deleted agent: %d %s, want 422 naming agent_user_id once the deletion arrives", r.Status, r.Body)
	}
}
