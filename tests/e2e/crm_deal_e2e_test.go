package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// crmDealScenarios: a deal's timeline tells its whole story (a stage move,
// a document, an update of two fields) in cursor pages, and with
// agents_see_only_assigned on an agent works its own lead's deal but is 404
// on another agent's. Agents are made in identity and reach crm's users
// read model through the broker. Everything through nginx and the gateway.
func crmDealScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	type agent struct{ id, token string }
	newAgent := func(name string) agent {
		t.Helper()
		email := strings.ToLower(testkit.UniqueName(t, name)) + "@example.test"
		const pw = "agent password 123"
		r := do(t, http.MethodPost, api+"/admin/users", a.admin, map[string]any{
			"email": email, "password": pw, "full_name": "E2E " + name, "roles": []string{"agent"},
		})
		expectStatus(t, r, http.StatusCreated, "admin creates an agent")
		var u struct{ ID string }
		r.json(t, &u)
		return agent{id: u.ID, token: login(t, s, email, pw)}
	}
	mine, theirs := newAgent("dealagent"), newAgent("otheragent")

	// A lead per agent: crm accepts the assignee once identity's event has
	// made it a known user, so retry until then.
	newLead := func(ag agent, email string) string {
		t.Helper()
		r := untilStatus(t, "lead assigned to an agent made in identity", http.StatusCreated, func() response {
			return do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "Deal", "email": email, "assignee_id": ag.id})
		})
		var l struct{ ID string }
		r.json(t, &l)
		return l.ID
	}
	newDeal := func(leadID, title string) string {
		t.Helper()
		r := do(t, http.MethodPost, api+"/deals", a.admin, map[string]any{"lead_id": leadID, "title": title, "value_cents": 300_000_00})
		expectStatus(t, r, http.StatusCreated, "create deal")
		var d struct{ ID string }
		r.json(t, &d)
		return d.ID
	}
	myLead := newLead(mine, strings.ToLower(testkit.UniqueName(t, "mine"))+"@example.com")
	theirLead := newLead(theirs, strings.ToLower(testkit.UniqueName(t, "theirs"))+"@example.com")
	myDeal, theirDeal := newDeal(myLead, "Mine"), newDeal(theirLead, "Theirs")

	setting := func(on bool) {
		t.Helper()
		expectStatus(t, do(t, http.MethodPut, api+"/crm/settings", a.admin, map[string]any{"agents_see_only_assigned": on}),
			http.StatusOK, fmt.Sprintf("agents_see_only_assigned=%v", on))
	}
	setting(true)
	defer setting(false) // the organisation is shared with later scenarios

	t.Run("the deal timeline pages through a move, a document and an update", func(t *testing.T) {
		base := api + "/deals/" + myDeal
		expectStatus(t, do(t, http.MethodPatch, base+"/stage", mine.token, map[string]any{"stage": "qualified"}), http.StatusOK, "move")
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		r := postFile(t, base+"/documents", mine.token, "offer.pdf", "application/pdf", pdf, "title", "Offer")
		expectStatus(t, r, http.StatusCreated, "upload")
		var doc struct{ ID string }
		r.json(t, &doc)
		expectStatus(t, do(t, http.MethodPut, base, mine.token, map[string]any{"title": "Mine, renamed", "value_cents": 310_000_00}),
			http.StatusOK, "update two fields")

		type item struct {
			ID      string          `json:"id"`
			Kind    string          `json:"kind"`
			ActorID *string         `json:"actor_id"`
			Data    json.RawMessage `json:"data"`
		}
		type page struct {
			Items      []item  `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		var first, second page
		r = do(t, http.MethodGet, base+"/timeline?limit=3", mine.token, nil)
		expectStatus(t, r, http.StatusOK, "timeline page 1")
		r.json(t, &first)
		if len(first.Items) != 3 || first.NextCursor == nil {
			t.Fatalf("page 1 = %s", r.Body)
		}
		r = do(t, http.MethodGet, base+"/timeline?limit=3&cursor="+*first.NextCursor, mine.token, nil)
		expectStatus(t, r, http.StatusOK, "timeline page 2")
		r.json(t, &second)
		if len(second.Items) != 2 || second.NextCursor != nil {
			t.Fatalf("page 2 = %s", r.Body)
		}
		items := append(first.Items, second.Items...)
		var kinds, fields, ids []string
		for _, it := range items {
			kinds = append(kinds, it.Kind)
			ids = append(ids, it.ID)
			var d map[string]any
			dec := json.NewDecoder(bytes.NewReader(it.Data))
			dec.UseNumber() // cents print as integers
			if err := dec.Decode(&d); err != nil {
				t.Fatal(err)
			}
			switch it.Kind {
			case "updated":
				if it.ActorID == nil || *it.ActorID != mine.id {
					t.Errorf("update by %v, want the agent %s", it.ActorID, mine.id)
				}
				fields = append(fields, fmt.Sprint(d["field"], ": ", d["from"], " → ", d["to"]))
			case "document_added":
				if it.ID != doc.ID || d["file_name"] != "offer.pdf" || d["title"] != "Offer" || d["content_type"] != "application/pdf" ||
					d["size_bytes"] != json.Number(strconv.Itoa(len(pdf))) || strings.Contains(string(it.Data), "/files/") {
					t.Errorf("document entry = %s", it.Data)
				}
			}
		}
		// Newest first: the two fields of the update, the document, the
		// move, the creation.
		if !slices.Equal(kinds, []string{"updated", "updated", "document_added", "stage_changed", "created"}) {
			t.Fatalf("kinds = %v", kinds)
		}
		slices.Sort(fields)
		if !slices.Equal(fields, []string{"title: Mine → Mine, renamed", "value_cents: 30000000 → 31000000"}) {
			t.Fatalf("updates = %v", fields)
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 5 {
			t.Fatalf("an entry is served twice: %v", ids)
		}
		expectStatus(t, do(t, http.MethodGet, base+"/timeline", a.outsider, nil), http.StatusNotFound, "another org's deal timeline")
	})

	t.Run("an agent is 404 on another agent's deal", func(t *testing.T) {
		other := api + "/deals/" + theirDeal
		expectStatus(t, do(t, http.MethodGet, other, mine.token, nil), http.StatusNotFound, "get another agent's deal")
		expectStatus(t, do(t, http.MethodGet, other+"/timeline", mine.token, nil), http.StatusNotFound, "its timeline")
		expectStatus(t, do(t, http.MethodPut, other, mine.token, map[string]any{"title": "Taken"}), http.StatusNotFound, "update it")
		expectStatus(t, do(t, http.MethodPatch, other+"/stage", mine.token, map[string]any{"stage": "qualified"}), http.StatusNotFound, "move it")
		r := do(t, http.MethodGet, api+"/deals?limit=200", mine.token, nil)
		expectStatus(t, r, http.StatusOK, "list")
		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		r.json(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != myDeal {
			t.Fatalf("the agent lists %s, want only its deal %s", r.Body, myDeal)
		}
		expectStatus(t, do(t, http.MethodGet, other, theirs.token, nil), http.StatusOK, "its own agent")
		r = do(t, http.MethodGet, other, a.admin, nil)
		expectStatus(t, r, http.StatusOK, "the admin")
		if strings.Contains(string(r.Body), "Taken") {
			t.Fatalf("the refused update changed the deal: %s", r.Body)
		}
	})
}
