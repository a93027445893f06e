package tests

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/postgres"
)

func TestLeadCRUDAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	prop := e.knownProperty(agent.OrgID, false)

	l := e.createLead(agent, map[string]any{
		"first_name": "Jane", "last_name": "Doe", "email": "  Jane.Doe@Example.COM ", "phone": "(415) 555-0123",
		"source": "referral", "budget_min_cents": 50_000_000, "budget_max_cents": 70_000_000, "target_price_cents": 60_000_000,
		"property_ids": []string{prop, prop},
	})
	if l.Contact.Email == nil || *l.Contact.Email != "jane.doe@example.com" || l.Contact.Phone == nil || *l.Contact.Phone != "+14155550123" {
		t.Fatalf("contact not normalised: %+v", l.Contact)
	}
	if l.Status != "new" || l.SourceID == nil || len(l.PropertyIDs) != 1 || l.Score == nil {
		t.Fatalf("lead = %+v", l)
	}

	got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+l.ID, agent, nil))
	if got.ID != l.ID || got.Contact.ID != l.Contact.ID {
		t.Fatalf("get = %+v", got)
	}

	r := e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"status": "qualified", "assignee_id": agent.ID})
	expect(t, r, http.StatusOK, "update")
	if u := decode[leadJSON](t, r); u.Status != "qualified" || u.AssigneeID == nil || *u.AssigneeID != agent.ID {
		t.Fatalf("updated = %+v", u)
	}
	// null clears; absent fields stay.
	r = e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, `{"assignee_id": null}`)
	if u := decode[leadJSON](t, r); u.AssigneeID != nil || u.Status != "qualified" {
		t.Fatalf("after clearing = %s", r)
	}

	expect(t, e.call(http.MethodDelete, "/api/v1/leads/"+l.ID, agent, nil), http.StatusNoContent, "archive")
	expect(t, e.call(http.MethodDelete, "/api/v1/leads/"+l.ID, agent, nil), http.StatusNoContent, "archive again")
	if a := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+l.ID, agent, nil)); a.ArchivedAt == nil {
		t.Fatal("archived_at not set")
	}
	expect(t, e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"status": "contacted"}), http.StatusConflict, "update archived")
	if list := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads", agent, nil)); len(list.Items) != 0 {
		t.Fatalf("archived lead listed: %+v", list)
	}
	if list := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads?include_archived=true", agent, nil)); len(list.Items) != 1 {
		t.Fatalf("include_archived: %+v", list)
	}

	bad := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"bad email", map[string]any{"email": "not-an-email"}, 422, "email"},
		{"display name email", map[string]any{"email": "Jane <jane@example.com>"}, 422, "email"},
		{"bad phone", map[string]any{"phone": "12"}, 422, "phone"},
		{"letters phone", map[string]any{"phone": "call me maybe"}, 422, "phone"},
		{"bad region", map[string]any{"phone": "020 7946 0958", "phone_region": "XX"}, 422, "phone_region"},
		{"no contact", map[string]any{"status": "new"}, 422, "email"},
		{"bad status", map[string]any{"email": "a@b.io", "status": "hot"}, 422, "status"},
		{"negative budget", map[string]any{"email": "a@b.io", "budget_min_cents": -1}, 422, "budget_min_cents"},
		{"inverted budget", map[string]any{"email": "a@b.io", "budget_min_cents": 10, "budget_max_cents": 5}, 422, "budget_max_cents"},
		{"bad property", map[string]any{"email": "a@b.io", "property_ids": []string{"x"}}, 422, "property_ids"},
		{"unknown source", map[string]any{"email": "a@b.io", "source": "nope"}, 422, "source"},
		{"foreign source id", map[string]any{"email": "a@b.io", "source_id": uuid.NewString()}, 422, "source_id"},
		{"unknown contact", map[string]any{"contact_id": uuid.NewString()}, 422, "contact_id"},
		{"unknown field", map[string]any{"email": "a@b.io", "org_id": uuid.NewString()}, 422, "org_id"},
		{"money as float", `{"email":"a@b.io","budget_min_cents":1.5}`, 422, "budget_min_cents"},
		{"malformed", `{"email":`, 400, "body"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			expectField(t, e.call(http.MethodPost, "/api/v1/leads", agent, tc.body), tc.status, tc.field, tc.name)
		})
	}
	// A national number in another region.
	uk := e.createLead(agent, map[string]any{"phone": "020 7946 0958", "phone_region": "gb"})
	if *uk.Contact.Phone != "+442079460958" {
		t.Fatalf("uk phone = %v", *uk.Contact.Phone)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/leads/not-a-uuid", agent, nil), http.StatusNotFound, "malformed id")
}

func TestDedupeOnCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)

	a := e.createLead(agent, map[string]any{"email": "Sam@Example.com", "last_name": "Stone"})
	b := e.createLead(agent, map[string]any{"email": "sam@example.COM ", "first_name": "Sam", "last_name": "Other", "phone": "+1 415 555 0199"})
	if a.Contact.ID != b.Contact.ID {
		t.Fatalf("same email, two contacts: %s vs %s", a.Contact.ID, b.Contact.ID)
	}
	// existing non-empty fields win, empty ones are filled.
	if b.Contact.LastName != "Stone" || b.Contact.FirstName != "Sam" || b.Contact.Phone == nil || *b.Contact.Phone != "+14155550199" {
		t.Fatalf("merge = %+v", b.Contact)
	}
	c := e.createLead(agent, map[string]any{"phone": "(415) 555-0199"})
	d := e.createLead(agent, map[string]any{"phone": "+14155550199", "email": "sam@example.com"})
	if c.Contact.ID != a.Contact.ID || d.Contact.ID != a.Contact.ID {
		t.Fatalf("same phone in two formats, different contacts")
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.contacts`); n != 1 {
		t.Fatalf("contacts = %d, want 1", n)
	}
	// The same person in another org is another contact.
	other := e.user(newOrg(), permsAgent)
	if x := e.createLead(other, map[string]any{"email": "sam@example.com"}); x.Contact.ID == a.Contact.ID {
		t.Fatal("contact shared across orgs")
	}
	// Explicit contact creation refuses a duplicate.
	expect(t, e.call(http.MethodPost, "/api/v1/contacts", agent, map[string]any{"email": "SAM@example.com"}), http.StatusConflict, "duplicate contact")
	// and the list finds it by a differently written phone.
	list := decode[listJSON[contactJSON]](t, e.call(http.MethodGet, "/api/v1/contacts?phone="+url.QueryEscape("415-555-0199"), agent, nil))
	if len(list.Items) != 1 || list.Items[0].ID != a.Contact.ID {
		t.Fatalf("lookup by phone = %+v", list)
	}
}

func TestContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	r := e.call(http.MethodPost, "/api/v1/contacts", agent, map[string]any{"first_name": "Al", "email": "al@example.com"})
	expect(t, r, http.StatusCreated, "create contact")
	c := decode[contactJSON](t, r)
	other := decode[contactJSON](t, e.call(http.MethodPost, "/api/v1/contacts", agent, map[string]any{"email": "bo@example.com"}))
	r = e.call(http.MethodPut, "/api/v1/contacts/"+c.ID, agent, map[string]any{"last_name": "Bundy", "phone": "+14155550100"})
	expect(t, r, http.StatusOK, "update contact")
	if u := decode[contactJSON](t, r); u.LastName != "Bundy" || u.FirstName != "Al" || *u.Phone != "+14155550100" {
		t.Fatalf("updated = %+v", u)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/contacts/"+other.ID, agent, map[string]any{"email": "AL@example.com"}), http.StatusConflict, "taken email")
	expectField(t, e.call(http.MethodPut, "/api/v1/contacts/"+other.ID, agent, map[string]any{"email": "x"}), 422, "email", "bad email")
	expect(t, e.call(http.MethodGet, "/api/v1/contacts/"+c.ID, agent, nil), http.StatusOK, "get contact")
	// lead for an existing contact by id
	l := e.createLead(agent, map[string]any{"contact_id": c.ID})
	if l.Contact.ID != c.ID {
		t.Fatal("contact_id not used")
	}
	expectField(t, e.call(http.MethodPost, "/api/v1/leads", agent, map[string]any{"contact_id": c.ID, "email": "z@z.io"}), 422, "contact_id", "both")
}

func TestLeadListFiltersSortAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	var ids []string
	for i := range 7 {
		status := "new"
		if i%2 == 1 {
			status = "qualified"
		}
		body := map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "first_name": fmt.Sprintf("Person%d", i), "status": status}
		if i == 3 {
			body["assignee_id"] = agent.ID
			body["source"] = "referral"
		}
		ids = append(ids, e.createLead(agent, body).ID)
		e.clock.Advance(time.Millisecond)
	}
	// Pages of 3, newest first, no dupes or skips.
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		path := "/api/v1/leads?limit=3"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := e.call(http.MethodGet, path, agent, nil)
		expect(t, r, http.StatusOK, "page")
		p := decode[listJSON[leadJSON]](t, r)
		for _, l := range p.Items {
			if seen[l.ID] {
				t.Fatalf("duplicate %s", l.ID)
			}
			seen[l.ID] = true
		}
		pages++
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("saw %d leads in %d pages", len(seen), pages)
	}
	first := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads?limit=1", agent, nil))
	if first.Items[0].ID != ids[6] {
		t.Fatal("default sort is not newest first")
	}
	asc := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads?limit=1&sort=created_at", agent, nil))
	if asc.Items[0].ID != ids[0] {
		t.Fatal("sort=created_at is not oldest first")
	}
	count := func(q string) int {
		r := e.call(http.MethodGet, "/api/v1/leads?"+q, agent, nil)
		expect(t, r, http.StatusOK, q)
		return len(decode[listJSON[leadJSON]](t, r).Items)
	}
	if n := count("status=qualified"); n != 3 {
		t.Errorf("status filter = %d", n)
	}
	if n := count("assignee_id=" + agent.ID); n != 1 {
		t.Errorf("assignee filter = %d", n)
	}
	if n := count("score_min=0&score_max=100&sort=-score"); n != 7 {
		t.Errorf("score range = %d", n)
	}
	if n := count("created_from=" + url.QueryEscape(e.clock.Now().Add(-3*time.Millisecond).Format("2006-01-02T15:04:05.999999999Z07:00"))); n != 3 {
		t.Errorf("created_from = %d", n)
	}
	// Paging by score is stable too.
	r := e.call(http.MethodGet, "/api/v1/leads?sort=-score&limit=4", agent, nil)
	p := decode[listJSON[leadJSON]](t, r)
	r = e.call(http.MethodGet, "/api/v1/leads?sort=-score&limit=4&cursor="+*p.NextCursor, agent, nil)
	if p2 := decode[listJSON[leadJSON]](t, r); len(p2.Items) != 3 {
		t.Fatalf("second score page = %s", r)
	}
	// a cursor from another sort order is refused.
	expectField(t, e.call(http.MethodGet, "/api/v1/leads?sort=created_at&cursor="+*p.NextCursor, agent, nil), 400, "cursor", "cursor of another sort")
	for _, tc := range []struct{ q, field string }{
		{"sort=email", "sort"}, {"sort=-password", "sort"}, {"status=hot", "status"}, {"score_min=abc", "score_min"},
		{"score_min=101", "score_min"}, {"score_min=50&score_max=10", "score_max"}, {"created_from=yesterday", "created_from"},
		{"assignee_id=bob", "assignee_id"}, {"limit=0", "limit"}, {"limit=201", "limit"}, {"cursor=!!", "cursor"},
		// A score past the int column's width was a 500 (the driver refused it).
		{"sort=-score&cursor=" + postgres.EncodeCursor("-score", "2147483648", uuid.NewString()), "cursor"},
	} {
		r := e.call(http.MethodGet, "/api/v1/leads?"+tc.q, agent, nil)
		if r.Status != 400 && r.Status != 422 {
			t.Errorf("%s: %s", tc.q, r)
		} else if !decode[problemJSON](t, r).HasField(tc.field) {
			t.Errorf("%s does not name %s: %s", tc.q, tc.field, r)
		}
	}
}

func TestSearchLeads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	a := e.createLead(agent, map[string]any{"first_name": "Priya", "last_name": "Raman", "email": "priya@raman.dev"})
	b := e.createLead(agent, map[string]any{"first_name": "Tom", "email": "tom@example.com", "status": "qualified"})
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+b.ID+"/notes", agent, map[string]any{"body": "Wants a waterfront condo"}), 201, "note")
	search := func(body map[string]any) []leadJSON {
		r := e.call(http.MethodPost, "/api/v1/search/leads", agent, body)
		expect(t, r, http.StatusOK, "search")
		return decode[listJSON[leadJSON]](t, r).Items
	}
	if got := search(map[string]any{"q": "raman"}); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("name search = %+v", got)
	}
	if got := search(map[string]any{"q": "priya@raman.dev"}); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("email search = %+v", got)
	}
	if got := search(map[string]any{"q": "waterfront"}); len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("note search = %+v", got)
	}
	if got := search(map[string]any{"q": "waterfront", "status": "new"}); len(got) != 0 {
		t.Fatalf("filtered search = %+v", got)
	}
	expectField(t, e.call(http.MethodPost, "/api/v1/search/leads", agent, map[string]any{}), 422, "q", "empty query")
	expectField(t, e.call(http.MethodPost, "/api/v1/search/leads", agent, map[string]any{"q": "x", "sort": "name"}), 400, "sort", "bad sort")
}

// TestDedupeUnderConcurrency: simultaneous leads for one person end on one
// contact (the insert yields to the committed one and merges into it).
func TestDedupeUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	const n = 8
	// Requests run in goroutines; everything that can fail the test runs
	// back on the test goroutine.
	results := make(chan *http.Response, n)
	for i := range n {
		body := fmt.Sprintf(`{"email":"Race@Example.com","first_name":"R%d"}`, i)
		req, err := http.NewRequest(http.MethodPost, e.client.URL()+"/api/v1/leads", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+agent.Token)
		go func() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				res = &http.Response{StatusCode: 599, Body: io.NopCloser(strings.NewReader(err.Error()))}
			}
			results <- res
		}()
	}
	seen := map[string]bool{}
	for range n {
		res := <-results
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r := response{Status: res.StatusCode, Body: data}
		expect(t, r, http.StatusCreated, "concurrent create")
		seen[decode[leadJSON](t, r).Contact.ID] = true
	}
	if len(seen) != 1 || scalar[int64](e, `SELECT count(*) FROM crm.contacts`) != 1 {
		t.Fatalf("%d contacts for one person", len(seen))
	}
}

// TestDedupeSplitMatch: email matches one contact and phone another; the
// lead links to the email match, which keeps its own (empty) phone rather
// than stealing the other person's.
func TestDedupeSplitMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	a := e.createLead(agent, map[string]any{"email": "a@example.com"})
	b := e.createLead(agent, map[string]any{"phone": "+14155550111"})
	c := e.createLead(agent, map[string]any{"email": "a@example.com", "phone": "+14155550111", "first_name": "Ann"})
	if c.Contact.ID != a.Contact.ID || c.Contact.Phone != nil || c.Contact.FirstName != "Ann" {
		t.Fatalf("split match = %+v (a=%s b=%s)", c.Contact, a.Contact.ID, b.Contact.ID)
	}
}
