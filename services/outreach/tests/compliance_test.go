package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"reos.dev/services/outreach/internal/domain/unsubscribe"
)

// unsubscribeURL is the link a message carries for claims.
func (e *env) unsubscribeURL(c unsubscribe.Claims) (string, string) {
	e.t.Helper()
	tok, err := e.signer.Sign(c)
	if err != nil {
		e.t.Fatal(err)
	}
	return "/api/v1/compliance/unsubscribe?" + url.Values{"token": {tok}}.Encode(), tok
}

func (e *env) unsubscribed(org, channel, address string) bool {
	e.t.Helper()
	return scalar[bool](e, `SELECT EXISTS (SELECT 1 FROM outreach.unsubscribes WHERE org_id = $1 AND channel = $2 AND address = $3)`, org, channel, address)
}

// TestUnsubscribeLink: the link's GET shows a page with a button that
// posts back and unsubscribes nobody (scanners follow links); a tampered
// token is 400 naming token; the page's POST and RFC 8058 one-click
// unsubscribe at once, each with its event in the outbox, and a second
// unsubscribe changes nothing and announces nothing.
func TestUnsubscribeLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, contact, lead := newOrg(), uuid.NewString(), uuid.NewString()
	link, tok := e.unsubscribeURL(unsubscribe.Claims{OrgID: org, Channel: "email", Address: "jo@example.com", ContactID: contact, LeadID: lead})

	for range 2 {
		r := e.call(http.MethodGet, link, user{}, nil)
		expect(t, r, http.StatusOK, "unsubscribe page")
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("page Content-Type %q", ct)
		}
		if body := string(r.Body); !strings.Contains(body, `method="post"`) || !strings.Contains(body, "j•••@example.com") || strings.Contains(body, "jo@example.com") {
			t.Fatalf("page: %s", body)
		}
	}
	if e.unsubscribed(org, "email", "jo@example.com") || len(e.outboxTypes()) != 0 {
		t.Fatal("GET of the link unsubscribed")
	}

	// Tampering: one character of the claims or of the MAC changed, and
	// no token at all.
	parts := strings.Split(tok, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[3] == 'A' {
			b[3] = 'B'
		} else {
			b[3] = 'A'
		}
		return string(b)
	}
	for name, bad := range map[string]string{"claims": parts[0] + "." + flip(parts[1]) + "." + parts[2], "mac": parts[0] + "." + parts[1] + "." + flip(parts[2]), "none": ""} {
		q := "/api/v1/compliance/unsubscribe?" + url.Values{"token": {bad}}.Encode()
		expectField(t, e.call(http.MethodGet, q, user{}, nil), http.StatusBadRequest, "token", "GET with a tampered token ("+name+")")
		expectField(t, e.call(http.MethodPost, q, user{}, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded"),
			http.StatusBadRequest, "token", "one-click with a tampered token ("+name+")")
	}
	if e.unsubscribed(org, "email", "jo@example.com") {
		t.Fatal("a tampered token unsubscribed")
	}

	// RFC 8058 one-click: a form POST to the link itself.
	r := e.call(http.MethodPost, link, user{}, "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded")
	expect(t, r, http.StatusOK, "one-click")
	if got := decode[map[string]any](t, r); got["unsubscribed"] != true || got["already"] != false || got["channel"] != "email" {
		t.Fatalf("one-click answer %v", got)
	}
	if !e.unsubscribed(org, "email", "jo@example.com") {
		t.Fatal("one-click did not unsubscribe")
	}
	typ, data := e.lastEvent()
	if typ != "reos.outreach.contact.unsubscribed" || data["source"] != "one_click" || data["contact_id"] != contact || data["lead_id"] != lead || data["channel"] != "email" {
		t.Fatalf("event %s %v", typ, data)
	}
	// Again, by the page's button: 200 with the done page, no new event.
	r = e.call(http.MethodPost, link, user{}, "", "Content-Type", "application/x-www-form-urlencoded")
	expect(t, r, http.StatusOK, "page button after one-click")
	if !strings.Contains(string(r.Body), "will receive no more emails") {
		t.Fatalf("done page: %s", r.Body)
	}
	if n := len(e.outboxTypes()); n != 1 {
		t.Fatalf("%d events after a repeated unsubscribe, want the first one only", n)
	}

	// The page's button for another address: source link.
	link2, _ := e.unsubscribeURL(unsubscribe.Claims{OrgID: org, Channel: "sms", Address: "+14155550100"})
	expect(t, e.call(http.MethodPost, link2, user{}, "", "Content-Type", "application/x-www-form-urlencoded"), http.StatusOK, "page button")
	if typ, data := e.lastEvent(); typ != "reos.outreach.contact.unsubscribed" || data["source"] != "link" || data["contact_id"] != nil {
		t.Fatalf("event %s %v", typ, data)
	}
	if !e.unsubscribed(org, "sms", "+14155550100") {
		t.Fatal("the page's button did not unsubscribe")
	}
	expect(t, e.call(http.MethodPost, link2, user{}, "x", "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "text body")
}

// TestDNCList: add (201, then 200 with the entry as it was), list, remove
// (204, then 404); numbers are E.164 and another org's list is its own.
func TestDNCList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales, other := e.user(newOrg(), permsSales), e.user(newOrg(), permsSales)
	r := e.call(http.MethodPost, "/api/v1/compliance/dnc-add", sales, map[string]any{"phone": "(415) 555-0100", "reason": "asked on a call"})
	expectField(t, r, http.StatusUnprocessableEntity, "phone", "a number without its country code")
	r = e.call(http.MethodPost, "/api/v1/compliance/dnc-add", sales, map[string]any{"phone": "+14155550100", "reason": "asked on a call"})
	expect(t, r, http.StatusCreated, "dnc add")
	// The same number written with spaces and punctuation is the same entry.
	r = e.call(http.MethodPost, "/api/v1/compliance/dnc-add", sales, map[string]any{"phone": "+1 (415) 555-0100", "reason": "again"})
	expect(t, r, http.StatusOK, "dnc add again")
	if got := decode[map[string]any](t, r); got["reason"] != "asked on a call" || got["added_by"] != sales.ID {
		t.Fatalf("repeated add changed the entry: %v", got)
	}
	list := func(u user) []map[string]any {
		r := e.call(http.MethodGet, "/api/v1/compliance/dnc-list", u, nil)
		expect(t, r, http.StatusOK, "dnc list")
		return decode[listJSON[map[string]any]](t, r).Items
	}
	if l := list(sales); len(l) != 1 || l[0]["phone"] != "+14155550100" {
		t.Fatalf("list %v", l)
	}
	if l := list(other); len(l) != 0 {
		t.Fatalf("another org sees %v", l)
	}
	expect(t, e.call(http.MethodDelete, "/api/v1/compliance/dnc-remove?phone=%2B14155550100", other, nil), http.StatusNotFound, "remove from another org")
	expect(t, e.call(http.MethodDelete, "/api/v1/compliance/dnc-remove?phone=%2B14155550100", sales, nil), http.StatusNoContent, "remove")
	expect(t, e.call(http.MethodDelete, "/api/v1/compliance/dnc-remove?phone=%2B14155550100", sales, nil), http.StatusNotFound, "remove again")
	expectField(t, e.call(http.MethodDelete, "/api/v1/compliance/dnc-remove", sales, nil), http.StatusBadRequest, "phone", "no phone")
}

// TestConsent: a grant names who, when, how and proof; the address comes
// from the lead's contact; contacts and leads are checked against the
// caller's organisation; each entry emits its event.
func TestConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales := e.user(newOrg(), permsSales)
	l := newLead("new")
	e.seedLead(sales.OrgID, l)
	stranger := newLead("new")
	e.seedLead(newOrg(), stranger)

	post := func(body map[string]any) response {
		return e.call(http.MethodPost, "/api/v1/compliance/consent", sales, body)
	}
	expectField(t, post(map[string]any{"channel": "sms", "lead_id": l.Lead, "action": "granted", "source": "web_form"}),
		http.StatusUnprocessableEntity, "proof", "a grant without proof")
	expectField(t, post(map[string]any{"channel": "sms", "lead_id": stranger.Lead, "action": "granted", "source": "web_form", "proof": "form 1"}),
		http.StatusUnprocessableEntity, "lead_id", "another org's lead")
	expectField(t, post(map[string]any{"channel": "sms", "contact_id": stranger.Contact, "action": "granted", "source": "web_form", "proof": "form 1"}),
		http.StatusUnprocessableEntity, "contact_id", "another org's contact")
	expectField(t, post(map[string]any{"channel": "fax", "address": "x", "action": "granted", "source": "web_form", "proof": "p"}),
		http.StatusUnprocessableEntity, "channel", "unknown channel")
	expectField(t, post(map[string]any{"channel": "email", "address": "not an email", "action": "withdrawn", "source": "verbal"}),
		http.StatusUnprocessableEntity, "address", "bad address")

	r := post(map[string]any{"channel": "sms", "lead_id": l.Lead, "action": "granted", "source": "web_form", "proof": "submission 42"})
	expect(t, r, http.StatusCreated, "grant")
	got := decode[map[string]any](t, r)
	if got["address"] != l.Phone || got["contact_id"] != l.Contact || got["actor_id"] != sales.ID || got["proof"] != "submission 42" {
		t.Fatalf("entry %v", got)
	}
	if typ, data := e.lastEvent(); typ != "reos.outreach.consent.granted" || data["lead_id"] != l.Lead || data["contact_id"] != l.Contact || data["channel"] != "sms" || data["source"] != "web_form" {
		t.Fatalf("event %s %v", typ, data)
	}
	r = post(map[string]any{"channel": "email", "address": "Someone@Example.com", "action": "withdrawn", "source": "verbal"})
	expect(t, r, http.StatusCreated, "withdraw by address")
	if typ, _ := e.lastEvent(); typ != "reos.outreach.consent.withdrawn" {
		t.Fatalf("event %s", typ)
	}
	r = e.call(http.MethodGet, "/api/v1/compliance/consent-log?channel=email&address=someone%40example.com", sales, nil)
	expect(t, r, http.StatusOK, "log by address")
	if items := decode[listJSON[map[string]any]](t, r).Items; len(items) != 1 || items[0]["action"] != "withdrawn" {
		t.Fatalf("log %v", items)
	}
}

// TestConsentLogIsAppendOnly: the service role may insert and read the
// log but neither update nor delete it, and the trigger refuses both even
// to the owner.
func TestConsentLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales := e.user(newOrg(), permsSales)
	expect(t, e.call(http.MethodPost, "/api/v1/compliance/consent", sales, map[string]any{
		"channel": "email", "address": "a@example.com", "action": "granted", "source": "paper_form", "proof": "scan 7"}), http.StatusCreated, "grant")
	ctx := t.Context()
	for _, stmt := range []string{`UPDATE outreach.consent_log SET proof = 'forged'`, `DELETE FROM outreach.consent_log`} {
		tx, err := e.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, sales.OrgID); err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(ctx, stmt)
		_ = tx.Rollback(ctx)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the service role: %v, want permission denied", stmt, err)
		}
		if _, err := e.admin.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s as the owner: %v, want the append-only trigger", stmt, err)
		}
	}
	if _, err := e.admin.Exec(ctx, `TRUNCATE outreach.consent_log`); err == nil {
		t.Error("TRUNCATE of the consent log succeeded")
	}
	if n := scalar[int](e, `SELECT count(*) FROM outreach.consent_log WHERE proof = 'scan 7'`); n != 1 {
		t.Fatalf("%d entries after the refused changes", n)
	}
}
