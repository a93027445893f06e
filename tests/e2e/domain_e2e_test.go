package e2e

import (
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// actors are the callers the domain scenarios use: an admin and a viewer of
// one organisation, and an admin of another.
type actors struct {
	admin, viewer, outsider string
	adminID                 string
}

// problemField returns the field names a problem+json answer points at.
func problemFields(t *testing.T, r response) []string {
	t.Helper()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("not a problem document: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	r.json(t, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func expectStatus(t *testing.T, r response, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: got %d %s, want %d", what, r.Status, r.Body, status)
	}
}

func expectFieldError(t *testing.T, r response, field, what string) {
	t.Helper()
	expectStatus(t, r, http.StatusUnprocessableEntity, what)
	for _, f := range problemFields(t, r) {
		if f == field {
			return
		}
	}
	t.Fatalf("%s: problem does not name %q: %s", what, field, r.Body)
}

// newActors registers a second organisation and adds a viewer to the first,
// all through nginx and the gateway.
func newActors(t *testing.T, s *Stack, adminToken, adminID string) actors {
	t.Helper()
	a := actors{admin: adminToken, adminID: adminID}
	viewerEmail := strings.ToLower(testkit.UniqueName(t, "viewer")) + "@example.test"
	const pw = "viewer password 123"
	r := do(t, http.MethodPost, s.API()+"/admin/users", adminToken, map[string]any{
		"email": viewerEmail, "password": pw, "full_name": "E2E Viewer", "roles": []string{"viewer"},
	})
	expectStatus(t, r, http.StatusCreated, "admin creates a viewer")
	a.viewer = login(t, s, viewerEmail, pw)

	otherEmail := strings.ToLower(testkit.UniqueName(t, "other")) + "@example.test"
	r = do(t, http.MethodPost, s.API()+"/auth/register", "", map[string]string{
		"email": otherEmail, "password": pw, "full_name": "Other Admin", "organization_name": "Other Realty",
	})
	expectStatus(t, r, http.StatusCreated, "register the other org")
	a.outsider = login(t, s, otherEmail, pw)
	return a
}

func login(t *testing.T, s *Stack, email, password string) string {
	t.Helper()
	r := do(t, http.MethodPost, s.API()+"/auth/login", "", map[string]string{"email": email, "password": password})
	expectStatus(t, r, http.StatusOK, "login "+email)
	var p tokenPair
	r.json(t, &p)
	return p.AccessToken
}

// propertyScenarios drive the property service through nginx and the gateway.
func propertyScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	create := map[string]any{
		"unparsed_address": "123 Maple Street", "city": "Springfield", "state_or_province": "IL",
		"postal_code": "62701", "list_price_cents": 45000000, "property_type": "Residential", "bedrooms_total": 3,
	}
	r := do(t, http.MethodPost, api+"/properties", a.admin, create)
	expectStatus(t, r, http.StatusCreated, "create property")
	var prop struct {
		ID             string `json:"id"`
		StandardStatus string `json:"standard_status"`
		ListPriceCents int64  `json:"list_price_cents"`
	}
	r.json(t, &prop)
	if prop.StandardStatus != "Active" || prop.ListPriceCents != 45000000 {
		t.Fatalf("created property = %s", r.Body)
	}

	t.Run("misspelled address search finds it", func(t *testing.T) {
		r := do(t, http.MethodGet, api+"/properties/search?q=Mapel%20Stret&city=Springfield", a.viewer, nil)
		expectStatus(t, r, http.StatusOK, "search")
		var res struct {
			Items []struct{ ID string } `json:"items"`
		}
		r.json(t, &res)
		if len(res.Items) == 0 || res.Items[0].ID != prop.ID {
			t.Fatalf("search for 'Mapel Stret' = %s, want %s first", r.Body, prop.ID)
		}
	})

	t.Run("RESO status and mass assignment are 422 naming the field", func(t *testing.T) {
		bad := map[string]any{}
		for k, v := range create {
			bad[k] = v
		}
		bad["standard_status"] = "Sold"
		expectFieldError(t, do(t, http.MethodPost, api+"/properties", a.admin, bad), "standard_status", "bad status")
		delete(bad, "standard_status")
		bad["org_id"] = "01900000-0000-7000-8000-000000000001"
		expectFieldError(t, do(t, http.MethodPost, api+"/properties", a.admin, bad), "org_id", "org_id in body")
	})

	t.Run("update is recorded in history", func(t *testing.T) {
		r := do(t, http.MethodPut, api+"/properties/"+prop.ID, a.admin, map[string]any{"list_price_cents": 43000000})
		expectStatus(t, r, http.StatusOK, "update price")
		r = do(t, http.MethodGet, api+"/properties/"+prop.ID+"/history?limit=1", a.viewer, nil)
		expectStatus(t, r, http.StatusOK, "history")
		var h struct {
			Items []struct {
				Field    string `json:"field"`
				OldValue any    `json:"old_value"`
				NewValue any    `json:"new_value"`
				ActorID  string `json:"actor_id"`
			} `json:"items"`
		}
		r.json(t, &h)
		if len(h.Items) != 1 || h.Items[0].Field != "list_price_cents" || h.Items[0].ActorID != a.adminID ||
			h.Items[0].OldValue != float64(45000000) || h.Items[0].NewValue != float64(43000000) {
			t.Fatalf("history = %s", r.Body)
		}
	})

	t.Run("viewer cannot write, another org cannot see", func(t *testing.T) {
		expectStatus(t, do(t, http.MethodPost, api+"/properties", a.viewer, create), http.StatusForbidden, "viewer create")
		expectStatus(t, do(t, http.MethodGet, api+"/properties/"+prop.ID, a.outsider, nil), http.StatusNotFound, "other org get")
		expectStatus(t, do(t, http.MethodDelete, api+"/properties/"+prop.ID, a.outsider, nil), http.StatusNotFound, "other org delete")
	})

	t.Run("idempotent create replays byte for byte", func(t *testing.T) {
		key := testkit.UniqueName(t, "idem")
		body := map[string]any{"unparsed_address": "9 Idem Way", "city": "Springfield", "list_price_cents": 100, "property_type": "Land"}
		first := do(t, http.MethodPost, api+"/properties", a.admin, body, "Idempotency-Key", key)
		expectStatus(t, first, http.StatusCreated, "first")
		again := do(t, http.MethodPost, api+"/properties", a.admin, body, "Idempotency-Key", key)
		if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay = %d %q replayed=%q; first %s", again.Status, again.Body, again.Header.Get("Idempotent-Replayed"), first.Body)
		}
		body["city"] = "Shelbyville"
		expectStatus(t, do(t, http.MethodPost, api+"/properties", a.admin, body, "Idempotency-Key", key),
			http.StatusUnprocessableEntity, "same key, different body")
	})
}

// crmScenarios drive the crm service through nginx and the gateway.
func crmScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	r := do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{
		"first_name": "E2E", "last_name": "Buyer", "email": "E2E.Buyer@Example.com", "phone": "(415) 555-0142",
	})
	expectStatus(t, r, http.StatusCreated, "create lead")
	var lead struct {
		ID      string `json:"id"`
		Contact struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			Phone string `json:"phone"`
		} `json:"contact"`
	}
	r.json(t, &lead)
	if lead.Contact.Email != "e2e.buyer@example.com" || lead.Contact.Phone != "+14155550142" {
		t.Fatalf("contact not normalised: %s", r.Body)
	}

	t.Run("same phone in another format is the same contact", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "Again", "phone": "+1 415 555 0142"})
		expectStatus(t, r, http.StatusCreated, "second lead")
		var other struct {
			Contact struct{ ID string } `json:"contact"`
		}
		r.json(t, &other)
		if other.Contact.ID != lead.Contact.ID {
			t.Fatalf("dedupe by phone failed: %s vs contact %s", r.Body, lead.Contact.ID)
		}
	})

	t.Run("bad email and phone are 422 naming the field", func(t *testing.T) {
		expectFieldError(t, do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "X", "email": "Jane <j@x.io>"}), "email", "display-name email")
		expectFieldError(t, do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "X", "phone": "12"}), "phone", "short phone")
	})

	t.Run("deal moves only along the pipeline", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/deals", a.admin, map[string]any{"lead_id": lead.ID, "title": "E2E deal", "value_cents": 50000000})
		expectStatus(t, r, http.StatusCreated, "create deal")
		var deal struct{ ID string }
		r.json(t, &deal)
		expectFieldError(t, do(t, http.MethodPatch, api+"/deals/"+deal.ID+"/stage", a.admin, map[string]any{"stage": "closed_won"}), "stage", "new → closed_won")
		expectStatus(t, do(t, http.MethodPatch, api+"/deals/"+deal.ID+"/stage", a.admin, map[string]any{"stage": "under_contract"}), http.StatusOK, "new → under_contract")
		expectStatus(t, do(t, http.MethodPatch, api+"/deals/"+deal.ID+"/stage", a.admin, map[string]any{"stage": "closed_won"}), http.StatusOK, "under_contract → closed_won")
		s.expectEventOnTopic(t, "reos.crm.events", "reos.crm.deal.won", deal.ID)
	})

	t.Run("activity shows in the timeline, newest first", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/leads/"+lead.ID+"/activities", a.admin, map[string]any{"type": "call", "direction": "in", "outcome": "interested"})
		expectStatus(t, r, http.StatusCreated, "log activity")
		r = do(t, http.MethodGet, api+"/leads/"+lead.ID+"/timeline?limit=1", a.viewer, nil)
		expectStatus(t, r, http.StatusOK, "timeline")
		var tl struct {
			Items      []struct{ Kind string } `json:"items"`
			NextCursor *string                 `json:"next_cursor"`
		}
		r.json(t, &tl)
		if len(tl.Items) != 1 || tl.Items[0].Kind != "activity" || tl.NextCursor == nil {
			t.Fatalf("timeline first page = %s", r.Body)
		}
	})

	t.Run("property interest is checked against the read model fed by property events", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/properties", a.admin, map[string]any{
			"unparsed_address": "77 Interest Lane", "city": "Springfield", "list_price_cents": 30000000, "property_type": "Residential",
		})
		expectStatus(t, r, http.StatusCreated, "create property")
		var prop struct{ ID string }
		r.json(t, &prop)
		// The property reaches crm through the outbox, the broker and crm's
		// consumer: eventually, so retry until it is known.
		untilStatus(t, "lead interested in a known property", http.StatusCreated, func() response {
			return do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "Interested", "property_ids": []string{prop.ID}})
		})
		expectFieldError(t, do(t, http.MethodPost, api+"/leads", a.admin,
			map[string]any{"first_name": "Nope", "property_ids": []string{"01900000-0000-7000-8000-00000000dead"}}), "property_ids", "unknown property")
	})

	t.Run("viewer cannot write, another org cannot see", func(t *testing.T) {
		expectStatus(t, do(t, http.MethodPost, api+"/leads", a.viewer, map[string]any{"first_name": "V"}), http.StatusForbidden, "viewer create")
		expectStatus(t, do(t, http.MethodGet, api+"/leads", a.viewer, nil), http.StatusOK, "viewer list")
		expectStatus(t, do(t, http.MethodGet, api+"/leads/"+lead.ID, a.outsider, nil), http.StatusNotFound, "other org get")
	})
}
