package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// TestTemplateErrorsNameLineAndColumn: an unknown merge field and a syntax
// error are 422 naming the field with the line and column of the problem;
// a valid template saves, a taken name is 409.
func TestTemplateErrorsNameLineAndColumn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales := e.user(newOrg(), permsSales)
	r := e.call(http.MethodPost, "/api/v1/templates/email", sales, map[string]any{"name": "Bad", "subject": "Hi",
		"html": "<p>Hello</p>\n<p>{{ .contact.shoe_size }}</p>"})
	expectField(t, r, http.StatusUnprocessableEntity, "html", "unknown field")
	p := decode[testkit.Problem](t, r)
	if !strings.HasSuffix(p.Type, "/invalid_template") || p.Errors[0].Line != 2 || p.Errors[0].Column < 4 {
		t.Fatalf("problem %+v", p)
	}
	r = e.call(http.MethodPost, "/api/v1/templates/sms", sales, map[string]any{"name": "Bad", "body": "Hi {{ .contact.first_name "})
	expectField(t, r, http.StatusUnprocessableEntity, "body", "syntax error")
	if p := decode[testkit.Problem](t, r); p.Errors[0].Line != 1 || p.Errors[0].Column == 0 {
		t.Fatalf("problem %+v", p)
	}
	e.emailTemplate(sales, "Good")
	r = e.call(http.MethodPost, "/api/v1/templates/email", sales, map[string]any{"name": "Good", "subject": "Hi",
		"html": "<p>{{ .org.postal_address }} {{ .unsubscribe_url }}</p>"})
	expectField(t, r, http.StatusConflict, "name", "taken name")
}

// TestTemplatePreview: sample data by default; a real lead's data from the
// audience read model, HTML-escaped in the email and counted in segments
// for the SMS; another organisation's lead is 422 naming lead_id.
func TestTemplatePreview(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales := e.user(newOrg(), permsSales)
	email, sms := e.emailTemplate(sales, "Preview"), e.smsTemplate(sales, "Preview")
	l := newLead("new")
	e.seedLead(sales.OrgID, l)
	at := e.clock.Now().Add(time.Second)
	e.apply(crmEvent(t, "reos.crm.contact.updated", sales.OrgID, "contact/"+l.Contact, at, map[string]any{
		"contact_id": l.Contact, "first_name": `<script>alert(1)</script>`, "last_name": "Lee", "email": l.Email, "phone": l.Phone, "updated_at": at}))

	r := e.call(http.MethodPost, "/api/v1/templates/email/"+email.ID+"/preview", sales, nil)
	expect(t, r, http.StatusOK, "sample preview")
	if got := decode[map[string]string](t, r); got["subject"] != "Hello Jordan" || !strings.Contains(got["text"], "Jordan") {
		t.Fatalf("sample preview %v", got)
	}
	// A real lead's email needs the organisation's postal address.
	expectField(t, e.call(http.MethodPost, "/api/v1/templates/email/"+email.ID+"/preview", sales, map[string]any{"lead_id": l.Lead}),
		http.StatusUnprocessableEntity, "postal_address", "preview without the org's postal address")
	admin := e.user(sales.OrgID, permsAdmin)
	expect(t, e.call(http.MethodPut, "/api/v1/outreach/settings", admin, map[string]any{"sender_name": "Bayview",
		"postal_address": "100 Market St, San Francisco", "time_zone": "UTC"}), http.StatusOK, "settings")
	r = e.call(http.MethodPost, "/api/v1/templates/email/"+email.ID+"/preview", sales, map[string]any{"lead_id": l.Lead})
	expect(t, r, http.StatusOK, "lead preview")
	got := decode[map[string]string](t, r)
	if strings.Contains(got["html"], "<script>") || !strings.Contains(got["html"], "&lt;script&gt;") || !strings.Contains(got["html"], "100 Market St") {
		t.Fatalf("merge data not escaped: %s", got["html"])
	}
	r = e.call(http.MethodPost, "/api/v1/templates/sms/"+sms.ID+"/preview", sales, map[string]any{"lead_id": l.Lead})
	expect(t, r, http.StatusOK, "sms preview")
	sp := decode[struct {
		Body     string `json:"body"`
		Segments struct {
			Encoding string `json:"encoding"`
			Count    int    `json:"count"`
		} `json:"segments"`
	}](t, r)
	if !strings.HasPrefix(sp.Body, "Hi <script>") || sp.Segments.Count != 1 {
		t.Fatalf("sms preview %+v", sp)
	}
	stranger := newLead("new")
	e.seedLead(newOrg(), stranger)
	expectField(t, e.call(http.MethodPost, "/api/v1/templates/sms/"+sms.ID+"/preview", sales, map[string]any{"lead_id": stranger.Lead}),
		http.StatusUnprocessableEntity, "lead_id", "another org's lead")
}

// TestSettings: defaults before any are saved; only an admin saves them;
// bad values name their field.
func TestSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin, sales := e.user(org, permsAdmin), e.user(org, permsSales)
	r := e.call(http.MethodGet, "/api/v1/outreach/settings", sales, nil)
	expect(t, r, http.StatusOK, "defaults")
	if got := decode[map[string]any](t, r); got["time_zone"] != "America/New_York" || got["postal_address"] != nil || got["updated_at"] != nil {
		t.Fatalf("defaults %v", got)
	}
	body := map[string]any{"sender_name": "Bayview Realty", "sender_email": "Hello@Bayview.example", "sms_from": "+14155550100",
		"postal_address": "100 Market St, San Francisco, CA 94105", "help_text": "Reply STOP to opt out.", "time_zone": "America/Los_Angeles"}
	expect(t, e.call(http.MethodPut, "/api/v1/outreach/settings", sales, body), http.StatusForbidden, "sales saves settings")
	expect(t, e.call(http.MethodPut, "/api/v1/outreach/settings", admin, body), http.StatusOK, "admin saves settings")
	got := decode[map[string]any](t, e.call(http.MethodGet, "/api/v1/outreach/settings", sales, nil))
	if got["sender_email"] != "hello@bayview.example" || got["time_zone"] != "America/Los_Angeles" || got["updated_by"] != admin.ID {
		t.Fatalf("saved %v", got)
	}
	for field, v := range map[string]any{"time_zone": "Mars/Olympus", "sms_from": "555", "sender_email": "nope"} {
		b := map[string]any{"time_zone": "UTC"}
		b[field] = v
		expectField(t, e.call(http.MethodPut, "/api/v1/outreach/settings", admin, b), http.StatusUnprocessableEntity, field, "bad "+field)
	}
}
