package webhooks

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func postmarkRequest(body []byte, user, pass string) *http.Request {
	r := post("/api/v1/outreach/webhooks/postmark", body)
	if user != "" || pass != "" {
		r.SetBasicAuth(user, pass)
	}
	return r
}

func TestPostmarkMapsTheDocumentedRecords(t *testing.T) {
	t.Parallel()
	d, err := NewPostmark("postmark", "s3cret-pass")
	wantErr(t, err, nil)
	when, _ := time.Parse(time.RFC3339Nano, "2019-11-05T16:33:54.9070259Z")
	tests := []struct {
		fixture string
		want    Event
	}{
		{"postmark/delivery.json", Event{Type: Delivered, ProviderMessageID: "00000000-0000-0000-0000-000000000000", Recipient: "john@example.com", Detail: "Test delivery webhook details", At: when}},
		{"postmark/bounce_hard.json", Event{ProviderEventID: "bounce:4323372036854775807", Type: BouncedHard, ProviderMessageID: "883953f4-6105-42a2-a16a-77a8eac79483", Recipient: "john@example.com", Detail: "HardBounce: The server was unable to deliver your message (ex: unknown user, mailbox not found).", At: when}},
		{"postmark/bounce_soft.json", Event{ProviderEventID: "bounce:42", Type: BouncedSoft, ProviderMessageID: "883953f4-6105-42a2-a16a-77a8eac79483", Recipient: "john@example.com", Detail: "SoftBounce: Unable to temporarily deliver this email.", At: when}},
		{"postmark/spam_complaint.json", Event{ProviderEventID: "bounce:42", Type: Complained, ProviderMessageID: "00000000-0000-0000-0000-000000000000", Recipient: "john@example.com", Detail: "SpamComplaint: ", At: when}},
		{"postmark/open.json", Event{Type: Opened, ProviderMessageID: "00000000-0000-0000-0000-000000000000", Recipient: "john@example.com", At: when}},
		{"postmark/click.json", Event{Type: Clicked, ProviderMessageID: "00000000-0000-0000-0000-000000000000", Recipient: "john@example.com", URL: "https://example.com", At: when}},
		{"postmark/subscription_change.json", Event{Type: Unsubscribe, ProviderMessageID: "883953f4-6105-42a2-a16a-77a8eac79483", Recipient: "bounced-address@wildbit.com", Detail: "ManualSuppression", At: time.Date(2020, 2, 1, 10, 53, 34, 416071000, time.UTC)}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			body := fixture(t, tc.fixture)
			got, err := d.Decode(context.Background(), postmarkRequest(body, "postmark", "s3cret-pass"), body)
			wantErr(t, err, nil)
			if len(got) != 1 {
				t.Fatalf("got %+v, want one event", got)
			}
			g, w := got[0], tc.want
			w.Provider, w.MessageKey = "postmark", "cmp1:tgt1:1:email"
			if w.ProviderEventID == "" { // Postmark gives these no id: any stable non-empty one
				if g.ProviderEventID == "" {
					t.Fatal("no ProviderEventID")
				}
				w.ProviderEventID = g.ProviderEventID
			}
			if g != w {
				t.Fatalf("\n got %+v\nwant %+v", g, w)
			}
			again, _ := d.Decode(context.Background(), postmarkRequest(body, "postmark", "s3cret-pass"), body)
			if again[0].ProviderEventID != g.ProviderEventID {
				t.Fatalf("a redelivery has another id: %q then %q", g.ProviderEventID, again[0].ProviderEventID)
			}
		})
	}
}

// TestPostmarkBounceTypes: every documented bounce type, classified here
// independently of the code's tables.
func TestPostmarkBounceTypes(t *testing.T) {
	t.Parallel()
	const none Type = ""
	for _, tc := range []struct {
		typ      string
		inactive bool
		want     Type
	}{
		{"HardBounce", true, BouncedHard},
		{"HardBounce", false, BouncedHard},
		{"BadEmailAddress", false, BouncedHard},
		{"ManuallyDeactivated", true, BouncedHard},
		{"SoftBounce", false, BouncedSoft},
		{"Transient", false, BouncedSoft},
		{"DnsError", false, BouncedSoft},
		{"Blocked", false, BouncedSoft},
		{"Blocked", true, BouncedHard}, // Postmark deactivated the address: it will not send to it again
		{"DMARCPolicy", false, BouncedSoft},
		{"SpamNotification", false, BouncedSoft},
		{"ChallengeVerification", false, BouncedSoft},
		{"VirusNotification", false, BouncedSoft},
		{"Unconfirmed", false, BouncedSoft},
		{"Unknown", false, BouncedSoft},
		{"SMTPApiError", false, BouncedSoft},
		{"InboundError", false, BouncedSoft},
		{"TemplateRenderingFailed", false, BouncedSoft},
		{"SpamComplaint", true, Complained},
		{"Unsubscribe", false, Unsubscribe},
		{"AutoResponder", false, none},
		{"AddressChange", false, none},
		{"OpenRelayTest", false, none},
		{"Subscribe", false, none},
	} {
		got, ok := postmarkBounceType(postmarkRecord{RecordType: "Bounce", Type: tc.typ, Inactive: tc.inactive})
		if !ok {
			got = none
		}
		if got != tc.want {
			t.Errorf("%s (inactive %v): %q, want %q", tc.typ, tc.inactive, got, tc.want)
		}
	}
}

func TestPostmarkRefusesWrongCredentials(t *testing.T) {
	t.Parallel()
	d, _ := NewPostmark("postmark", "s3cret-pass")
	body := fixture(t, "postmark/bounce_hard.json")
	for name, r := range map[string]*http.Request{
		"none":           postmarkRequest(body, "", ""),
		"wrong password": postmarkRequest(body, "postmark", "s3cret-pasS"),
		"wrong user":     postmarkRequest(body, "postmarK", "s3cret-pass"),
		"prefix":         postmarkRequest(body, "postmark", "s3cret"),
		"swapped":        postmarkRequest(body, "s3cret-pass", "postmark"),
		"bearer": func() *http.Request {
			r := post("/", body)
			r.Header.Set("Authorization", "Bearer s3cret-pass")
			return r
		}(),
	} {
		got, err := d.Decode(context.Background(), r, body)
		if !errIs(err, ErrUnauthorized) || got != nil {
			t.Errorf("%s: %v, %+v; want ErrUnauthorized and nothing", name, err, got)
		}
	}
	if _, err := NewPostmark("postmark", ""); err == nil {
		t.Error("NewPostmark accepted an empty password")
	}
}

func TestPostmarkSignedButMalformed(t *testing.T) {
	t.Parallel()
	d, _ := NewPostmark("u", "p")
	for name, body := range map[string]string{
		"not JSON":          "RecordType=Bounce",
		"a list":            `[{"RecordType":"Bounce"}]`,
		"no record type":    `{"MessageID":"m"}`,
		"bounce without ID": `{"RecordType":"Bounce","Type":"HardBounce","MessageID":"m","Email":"a@example.com","BouncedAt":"2019-11-05T16:33:54Z"}`,
		"ID not a number":   `{"RecordType":"Bounce","ID":1.5,"Type":"HardBounce","MessageID":"m","BouncedAt":"2019-11-05T16:33:54Z"}`,
		"bad time":          `{"RecordType":"Delivery","MessageID":"m","Recipient":"a@example.com","DeliveredAt":"yesterday"}`,
		"no message":        `{"RecordType":"Open","Recipient":"a@example.com","ReceivedAt":"2019-11-05T16:33:54Z"}`,
		"metadata a list":   `{"RecordType":"Open","MessageID":"m","Metadata":["k"],"ReceivedAt":"2019-11-05T16:33:54Z"}`,
	} {
		got, err := d.Decode(context.Background(), postmarkRequest([]byte(body), "u", "p"), []byte(body))
		if !errIs(err, ErrMalformed) || got != nil {
			t.Errorf("%s: %v, %+v; want ErrMalformed", name, err, got)
		}
	}
}
