package tests

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// outboxEvent is one of crm's events as the outbox holds it.
type outboxEvent struct {
	Type, Key string
	Data      json.RawMessage
}

// outboxEvents returns the outbox's events of type typ keyed by key,
// oldest first.
func (e *env) outboxEvents(typ, key string) []outboxEvent {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT msg_key, payload::jsonb->'data' FROM crm.outbox
		WHERE payload::jsonb->>'type' = $1 AND msg_key = $2 ORDER BY id`, typ, key)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxEvent
	for rows.Next() {
		ev := outboxEvent{Type: typ}
		if err := rows.Scan(&ev.Key, &ev.Data); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// lastData decodes the data of the newest event of typ about key into T.
func lastData[T any](e *env, typ, key string) T {
	e.t.Helper()
	evs := e.outboxEvents(typ, key)
	if len(evs) == 0 {
		e.t.Fatalf("no %s event keyed %s", typ, key)
	}
	var v T
	if err := json.Unmarshal(evs[len(evs)-1].Data, &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

// contactEventJSON is the data of contact.created|updated as the contract
// with outreach states it.
type contactEventJSON struct {
	ContactID  string  `json:"contact_id"`
	FirstName  string  `json:"first_name"`
	LastName   string  `json:"last_name"`
	Email      *string `json:"email"`
	Phone      *string `json:"phone"`
	TimeZone   *string `json:"time_zone"`
	PostalCode *string `json:"postal_code"`
	UpdatedAt  string  `json:"updated_at"`
}

// leadStateJSON is the part of every lead event the contract adds.
type leadStateJSON struct {
	LeadID     string   `json:"lead_id"`
	ContactID  string   `json:"contact_id"`
	SourceKey  *string  `json:"source_key"`
	Status     string   `json:"status"`
	AssigneeID *string  `json:"assignee_id"`
	Tags       []string `json:"tags"`
	Score      *int     `json:"score"`
}

func str(s string) *string { return &s }

func eqStr(a, b *string) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

// TestContactTimeZoneAndPostalCode: contacts take an IANA time zone
// (checked by time.LoadLocation) and a postal code on create and update,
// show them on read and list, clear them with "", and refuse a bad one
// with a 422 naming the field and changing nothing.
func TestContactTimeZoneAndPostalCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	r := e.call(http.MethodPost, "/api/v1/contacts", agent, map[string]any{
		"email": "Tz@Example.com", "phone": "(415) 555-0123", "time_zone": " America/Los_Angeles ", "postal_code": " 94107 "})
	expect(t, r, http.StatusCreated, "create")
	c := decode[contactJSON](t, r)
	if !eqStr(c.TimeZone, str("America/Los_Angeles")) || !eqStr(c.PostalCode, str("94107")) {
		t.Fatalf("created contact %+v", c)
	}
	got := decode[contactJSON](t, e.call(http.MethodGet, "/api/v1/contacts/"+c.ID, agent, nil))
	if !eqStr(got.TimeZone, c.TimeZone) || !eqStr(got.PostalCode, c.PostalCode) {
		t.Fatalf("read back %+v", got)
	}
	list := decode[listJSON[contactJSON]](t, e.call(http.MethodGet, "/api/v1/contacts?email=tz@example.com", agent, nil))
	if len(list.Items) != 1 || !eqStr(list.Items[0].TimeZone, c.TimeZone) {
		t.Fatalf("listed %+v", list.Items)
	}
	// The announced details are the stored ones, normalised.
	ev := lastData[contactEventJSON](e, "reos.crm.contact.created", c.ID)
	if ev.ContactID != c.ID || !eqStr(ev.Email, str("tz@example.com")) || !eqStr(ev.Phone, str("+14155550123")) ||
		!eqStr(ev.TimeZone, c.TimeZone) || !eqStr(ev.PostalCode, c.PostalCode) || ev.UpdatedAt == "" {
		t.Fatalf("contact.created data %+v", ev)
	}

	for _, bad := range []struct{ field, value string }{
		{"time_zone", "Mars/Olympus_Mons"}, {"time_zone", "america/los_angeles"}, {"time_zone", "Local"},
		{"time_zone", "../../etc/passwd"}, {"time_zone", "/usr/share/zoneinfo/UTC"}, {"time_zone", "+05:00"},
		{"postal_code", "941@07"}, {"postal_code", "12345678901234567"},
	} {
		expectField(t, e.call(http.MethodPut, "/api/v1/contacts/"+c.ID, agent, map[string]any{bad.field: bad.value}),
			http.StatusUnprocessableEntity, bad.field, bad.field+" "+bad.value)
		expectField(t, e.call(http.MethodPost, "/api/v1/contacts", agent, map[string]any{"email": "new@example.com", bad.field: bad.value}),
			http.StatusUnprocessableEntity, bad.field, "create with "+bad.field+" "+bad.value)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.contacts WHERE org_id = $1`, agent.OrgID); n != 1 {
		t.Fatalf("%d contacts after refused creates", n)
	}
	if got := decode[contactJSON](t, e.call(http.MethodGet, "/api/v1/contacts/"+c.ID, agent, nil)); !eqStr(got.TimeZone, c.TimeZone) {
		t.Fatalf("a refused update changed the zone: %+v", got)
	}

	r = e.call(http.MethodPut, "/api/v1/contacts/"+c.ID, agent, map[string]any{"time_zone": "UTC", "postal_code": ""})
	expect(t, r, http.StatusOK, "change the zone, clear the code")
	if u := decode[contactJSON](t, r); !eqStr(u.TimeZone, str("UTC")) || u.PostalCode != nil {
		t.Fatalf("updated %+v", u)
	}
	if ev := lastData[contactEventJSON](e, "reos.crm.contact.updated", c.ID); !eqStr(ev.TimeZone, str("UTC")) || ev.PostalCode != nil {
		t.Fatalf("contact.updated data %+v", ev)
	}
	// A lead on the person shows the same details in its contact.
	l := e.createLead(agent, map[string]any{"contact_id": c.ID})
	if !eqStr(l.Contact.TimeZone, str("UTC")) {
		t.Fatalf("lead's contact %+v", l.Contact)
	}
}

// TestLeadTagsAndTheTagFilter: tags are normalised into a set on create
// and update, replaced by an update and cleared by null; a bad tag or too
// many are a 422 naming tags; ?tag= (and search's tag) keeps the leads
// holding the tag, normalised the same way.
func TestLeadTagsAndTheTagFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	a := e.createLead(agent, map[string]any{"email": "a@example.com", "tags": []string{" First-Time  Buyer ", "spanish", "SPANISH", "vip"}})
	want := []string{"first-time buyer", "spanish", "vip"}
	if !slices.Equal(a.Tags, want) {
		t.Fatalf("tags %q, want %q", a.Tags, want)
	}
	b := e.createLead(agent, map[string]any{"email": "b@example.com", "tags": []string{"vip"}})
	c := e.createLead(agent, map[string]any{"email": "c@example.com"})
	if c.Tags == nil || len(c.Tags) != 0 {
		t.Fatalf("a lead without tags reads %v, want []", c.Tags)
	}
	ids := func(path string) []string {
		t.Helper()
		r := e.call(http.MethodGet, path, agent, nil)
		expect(t, r, http.StatusOK, path)
		var out []string
		for _, l := range decode[listJSON[leadJSON]](t, r).Items {
			out = append(out, l.ID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	if got := ids("/api/v1/leads?tag=VIP"); !slices.Equal(got, sorted(a.ID, b.ID)) {
		t.Fatalf("?tag=VIP lists %v", got)
	}
	if got := ids("/api/v1/leads?tag=first-time%20%20buyer"); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("?tag=first-time buyer lists %v", got)
	}
	if got := ids("/api/v1/leads?tag=nobody"); len(got) != 0 {
		t.Fatalf("?tag=nobody lists %v", got)
	}
	expectField(t, e.call(http.MethodGet, "/api/v1/leads?tag=%20", agent, nil), http.StatusUnprocessableEntity, "tag", "a blank tag filter")
	r := e.call(http.MethodPost, "/api/v1/search/leads", agent, map[string]any{"q": "a@example.com", "tag": "spanish"})
	expect(t, r, http.StatusOK, "search by tag")
	if got := decode[listJSON[leadJSON]](t, r).Items; len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("search tag=spanish found %v", got)
	}
	r = e.call(http.MethodPost, "/api/v1/search/leads", agent, map[string]any{"q": "b@example.com", "tag": "spanish"})
	expect(t, r, http.StatusOK, "search by tag")
	if got := decode[listJSON[leadJSON]](t, r).Items; len(got) != 0 {
		t.Fatalf("search for b with tag=spanish found %v", got)
	}

	r = e.call(http.MethodPut, "/api/v1/leads/"+b.ID, agent, map[string]any{"tags": []string{"Hot", "vip"}})
	expect(t, r, http.StatusOK, "replace tags")
	if got := decode[leadJSON](t, r).Tags; !slices.Equal(got, []string{"hot", "vip"}) {
		t.Fatalf("replaced tags %v", got)
	}
	if ev := lastData[leadStateJSON](e, "reos.crm.lead.updated", b.ID); !slices.Equal(ev.Tags, []string{"hot", "vip"}) {
		t.Fatalf("lead.updated tags %v", ev.Tags)
	}
	before := len(e.outboxEvents("reos.crm.lead.updated", b.ID))
	expect(t, e.call(http.MethodPut, "/api/v1/leads/"+b.ID, agent, map[string]any{"tags": []string{"VIP", "hot"}}), http.StatusOK, "same set")
	if n := len(e.outboxEvents("reos.crm.lead.updated", b.ID)); n != before {
		t.Fatalf("the same set written again emitted lead.updated (%d → %d)", before, n)
	}
	r = e.call(http.MethodPut, "/api/v1/leads/"+b.ID, agent, map[string]any{"tags": nil})
	expect(t, r, http.StatusOK, "clear tags")
	if got := decode[leadJSON](t, r).Tags; len(got) != 0 {
		t.Fatalf("cleared tags read %v", got)
	}

	many := make([]string, 21)
	for i := range many {
		many[i] = "tag" + string(rune('a'+i))
	}
	for name, tags := range map[string][]string{
		"empty tag": {"ok", "  "}, "too long": {string(make([]rune, 41))}, "control character": {"a\tb\x07"},
		"too many": many, "format character": {"in\u200bvisible"},
	} {
		expectField(t, e.call(http.MethodPost, "/api/v1/leads", agent, map[string]any{"email": "x@example.com", "tags": tags}),
			http.StatusUnprocessableEntity, "tags", "create: "+name)
		expectField(t, e.call(http.MethodPut, "/api/v1/leads/"+a.ID, agent, map[string]any{"tags": tags}),
			http.StatusUnprocessableEntity, "tags", "update: "+name)
	}
	if got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+a.ID, agent, nil)).Tags; !slices.Equal(got, want) {
		t.Fatalf("refused updates changed the tags: %v", got)
	}
}

// TestLeadEventsCarryTheLeadsState: every lead event — created, updated,
// assigned, scored, archived — carries the lead's whole state with its
// tags and its source's key, as the contract with outreach says, so a read
// model can upsert the lead from any of them.
func TestLeadEventsCarryTheLeadsState(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	other := e.user(agent.OrgID, permsAgent)
	l := e.createLead(agent, map[string]any{"email": "s@example.com", "source": "referral", "tags": []string{"vip"}})
	check := func(typ, sourceKey string, tags []string, assignee *string) {
		t.Helper()
		ev := lastData[leadStateJSON](e, typ, l.ID)
		if ev.LeadID != l.ID || ev.ContactID != l.Contact.ID || !eqStr(ev.SourceKey, str(sourceKey)) ||
			!slices.Equal(ev.Tags, tags) || !eqStr(ev.AssigneeID, assignee) || ev.Score == nil {
			t.Fatalf("%s data %+v, want source_key %s, tags %v, assignee %v", typ, ev, sourceKey, tags, assignee)
		}
	}
	check("reos.crm.lead.created", "referral", []string{"vip"}, nil)

	sources := decode[listJSON[struct{ ID, Key string }]](t, e.call(http.MethodGet, "/api/v1/lead-sources", agent, nil)).Items
	var website string
	for _, s := range sources {
		if s.Key == "website" {
			website = s.ID
		}
	}
	expect(t, e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"source_id": website, "tags": []string{"vip", "new"}}),
		http.StatusOK, "change source and tags")
	check("reos.crm.lead.updated", "website", []string{"new", "vip"}, nil)
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+l.ID+"/assign", agent, map[string]any{"user_id": other.ID}), http.StatusOK, "assign")
	check("reos.crm.lead.assigned", "website", []string{"new", "vip"}, &other.ID)
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+l.ID+"/score", agent, nil), http.StatusOK, "score")
	check("reos.crm.lead.scored", "website", []string{"new", "vip"}, &other.ID)
	expect(t, e.call(http.MethodDelete, "/api/v1/leads/"+l.ID, agent, nil), http.StatusNoContent, "archive")
	check("reos.crm.lead.archived", "website", []string{"new", "vip"}, &other.ID)

	// Clearing the source clears its key.
	m := e.createLead(agent, map[string]any{"email": "t@example.com", "source": "website"})
	expect(t, e.call(http.MethodPut, "/api/v1/leads/"+m.ID, agent, map[string]any{"source_id": nil}), http.StatusOK, "clear source")
	if ev := lastData[leadStateJSON](e, "reos.crm.lead.updated", m.ID); ev.SourceKey != nil {
		t.Fatalf("lead without a source announced source_key %q", *ev.SourceKey)
	}
}

// TestImportAnnouncesItsPeople: a lead import announces the people it
// creates (contact.created) and the ones it fills in (contact.updated,
// with what the contact already held, its time zone among it) beside its
// leads' events, which carry the source's key.
func TestImportAnnouncesItsPeople(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	r := e.call(http.MethodPost, "/api/v1/contacts", agent, map[string]any{"email": "known@example.com", "time_zone": "Europe/Paris"})
	expect(t, r, http.StatusCreated, "contact")
	known := decode[contactJSON](t, r)
	e.importCSV(agent, "email,first_name,source\nknown@example.com,Kim,referral\nfresh@example.com,Fay,website\n", nil)

	filled := lastData[contactEventJSON](e, "reos.crm.contact.updated", known.ID)
	if filled.FirstName != "Kim" || !eqStr(filled.TimeZone, str("Europe/Paris")) || !eqStr(filled.Email, str("known@example.com")) {
		t.Fatalf("filled contact announced as %+v", filled)
	}
	fresh := scalar[string](e, `SELECT id::text FROM crm.contacts WHERE org_id = $1 AND email = 'fresh@example.com'`, agent.OrgID)
	if ev := lastData[contactEventJSON](e, "reos.crm.contact.created", fresh); ev.FirstName != "Fay" || ev.ContactID != fresh {
		t.Fatalf("new contact announced as %+v", ev)
	}
	lead := scalar[string](e, `SELECT id::text FROM crm.leads WHERE contact_id = $1`, fresh)
	if ev := lastData[leadStateJSON](e, "reos.crm.lead.created", lead); !eqStr(ev.SourceKey, str("website")) || ev.Tags == nil {
		t.Fatalf("imported lead announced as %+v", ev)
	}
}
