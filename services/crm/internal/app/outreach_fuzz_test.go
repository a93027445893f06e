package app_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"reos.dev/pkg/events"
	"reos.dev/services/crm/internal/app"
)

// FuzzParseOutreachEvent: whatever outreach's topic carries, the parser
// either refuses it (ErrBadOutreachEvent), ignores it, or gives an entry
// crm can store and show: a non-empty one-line summary within its bound,
// a JSON object detail without NUL (PostgreSQL's jsonb refuses \u0000),
// canonical ids, and a time in the range the timeline keyset reads.
func FuzzParseOutreachEvent(f *testing.F) {
	org := "0190c0de-0000-7000-8000-000000000001"
	lead := "0190c0de-0000-7000-8000-0000000000aa"
	for _, s := range []struct{ typ, data string }{
		{"reos.outreach.message.sent", `{"lead_id":"` + lead + `","channel":"email","subject":"Hi","occurred_at":"2026-01-02T03:04:05Z"}`},
		{"reos.outreach.message.blocked", `{"lead_id":"` + strings.ToUpper(lead) + `","channel":"sms","reason":"do_not_call"}`},
		{"reos.outreach.message.bounced", `{"contact_id":"` + lead + `","channel":"email","bounce":"hard","reason":"a\u0000b\r\nc"}`},
		{"reos.outreach.contact.unsubscribed", `{"contact_id":"` + lead + `","channel":"email","source":"one_click"}`},
		{"reos.outreach.consent.granted", `{"lead_id":"` + lead + `","channel":"sms","source":"api","step":3}`},
		{"reos.outreach.campaign.launched", `{"campaign_id":"x"}`},
		{"reos.outreach.message.sent", `{"lead_id":"nope","channel":"email"}`},
		{"reos.outreach.message.sent", `[]`},
		{"reos.outreach.message", `{}`},
	} {
		f.Add(s.typ, s.data, org)
	}
	f.Fuzz(func(t *testing.T, typ, data, orgID string) {
		ev := events.Event{ID: "ev-1", Type: typ, OrgID: orgID, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Data: json.RawMessage(data)}
		e, ok, err := app.ParseOutreachEvent(ev)
		if err != nil {
			if !errors.Is(err, app.ErrBadOutreachEvent) {
				t.Fatalf("error %v does not wrap ErrBadOutreachEvent", err)
			}
			return
		}
		if !ok {
			return
		}
		if e.Summary == "" || utf8.RuneCountInString(e.Summary) > 200 || !utf8.ValidString(e.Summary) ||
			strings.ContainsFunc(e.Summary, unicode.IsControl) {
			t.Fatalf("summary %q", e.Summary)
		}
		var detail map[string]any
		if err := json.Unmarshal(e.Detail, &detail); err != nil || strings.Contains(string(e.Detail), `\u0000`) {
			t.Fatalf("detail %s: %v", e.Detail, err)
		}
		for _, id := range []*string{e.LeadID, e.ContactID} {
			if id != nil && (len(*id) != 36 || strings.ToLower(*id) != *id) {
				t.Fatalf("id %q is not canonical", *id)
			}
		}
		if e.LeadID == nil && e.ContactID == nil {
			t.Fatal("an entry naming no one")
		}
		if y := e.OccurredAt.Year(); y < 1000 || y > 9999 || e.OccurredAt.Location() != time.UTC {
			t.Fatalf("occurred_at %v", e.OccurredAt)
		}
	})
}
