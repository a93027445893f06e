package tests

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/testkit"
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/provider"
)

// postMockWebhook posts evs as the mock provider would, signed with
// secret (testMockSecret: a good signature), to path.
func (e *env) postMockWebhook(path, secret string, evs ...webhooks.Event) response {
	e.t.Helper()
	body, err := webhooks.EncodeMock(evs)
	if err != nil {
		e.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		if err := webhooks.SignStandard(req.Header, secret, "msg_"+uuid.NewString(), time.Now(), body); err != nil {
			e.t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	e.srv.Handler.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header()}
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	return scalar[int](e, query, args...)
}

// TestMockWebhookSignature: through the endpoint, an unsigned or badly
// signed mock webhook is 401 and records nothing; a provider that is not
// enabled is 404; a signed one is applied (the delivery recorded, once
// however often it is redelivered).
func TestMockWebhookSignature(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, admin := e.sendingOrg()
	r := recipient{lead: uuid.NewString(), contact: uuid.NewString(), email: "ann@example.com", consent: "granted"}
	e.seedAudience(org, []recipient{r}, "hook")
	c := e.campaign(admin, "hook", map[string]any{"channel": "email", "template_id": e.emailTemplate(admin, "Hello").ID, "delay_seconds": 0})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "sent")
	key := e.email.Sent()[0].Message.Key
	delivered := webhooks.Event{Type: webhooks.Delivered, MessageKey: key, Recipient: r.email, At: e.clock.Now(), ProviderEventID: "evt-1"}

	for _, tc := range []struct {
		name, path, secret string
		want               int
	}{
		{"unsigned", "/api/v1/outreach/webhooks", "", http.StatusUnauthorized},
		{"another secret", "/api/v1/outreach/webhooks/mock", "whsec_" + "c29tZW9uZSBlbHNlJ3Mgc2VjcmV0IGtleSBoZXJl", http.StatusUnauthorized},
		{"not enabled", "/api/v1/outreach/webhooks/sendgrid", testMockSecret, http.StatusNotFound},
		{"not enabled by query", "/api/v1/outreach/webhooks?provider=postmark", testMockSecret, http.StatusNotFound},
	} {
		expect(t, e.postMockWebhook(tc.path, tc.secret, delivered), tc.want, tc.name)
		if n := e.count(`SELECT count(*) FROM outreach.deliverability_events`); n != 0 {
			t.Fatalf("%s: %d events recorded", tc.name, n)
		}
	}
	for range 2 {
		expect(t, e.postMockWebhook("/api/v1/outreach/webhooks", testMockSecret, delivered), http.StatusOK, "signed (and redelivered)")
	}
	if n := e.count(`SELECT count(*) FROM outreach.deliverability_events WHERE type = 'delivered'`); n != 1 {
		t.Fatalf("%d deliveries recorded", n)
	}
	if st := scalar[string](e, `SELECT status FROM outreach.outreach_attempts WHERE message_key = $1`, key); st != "delivered" {
		t.Fatalf("attempt %s", st)
	}
	if n := e.count(`SELECT count(*) FROM outreach.outbox WHERE payload::jsonb->>'type' = 'reos.outreach.message.delivered'`); n != 1 {
		t.Fatalf("%d delivered events", n)
	}
}

// TestStopByWebhookBlocksTheNextMessage: a text of one campaign is
// answered STOP through the provider's webhook; the number's SMS consent
// is withdrawn and it is unsubscribed, one confirmation text goes out
// (not a second for the redelivered webhook), and the very next message to
// it — another campaign's — is blocked.
func TestStopByWebhookBlocksTheNextMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.advanceToHourUTC(16)
	org, admin := e.sendingOrg()
	r := recipient{lead: uuid.NewString(), contact: uuid.NewString(), phone: phoneNo(7), zone: "America/New_York", consent: "granted"}
	e.seedAudience(org, []recipient{r}, "stop")
	sms := e.smsTemplate(admin, "Nudge")
	step := map[string]any{"channel": "sms", "template_id": sms.ID, "delay_seconds": 0}
	first := e.campaign(admin, "stop", step)
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+first.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(first.ID) == "completed" }, "first campaign")

	stop := webhooks.Event{Type: webhooks.Inbound, Recipient: r.phone, To: "+15555550100", Body: "stop", At: e.clock.Now(),
		ProviderEventID: "in-1", ProviderMessageID: "SM-in-1"}
	for range 2 {
		expect(t, e.postMockWebhook("/api/v1/outreach/webhooks/mock", testMockSecret, stop), http.StatusOK, "STOP")
	}
	if st := scalar[string](e, `SELECT action FROM outreach.consent_log WHERE address = $1 ORDER BY occurred_at DESC, recorded_at DESC LIMIT 1`, r.phone); st != "withdrawn" {
		t.Fatalf("consent %s after STOP", st)
	}
	if n := e.count(`SELECT count(*) FROM outreach.unsubscribes WHERE channel = 'sms' AND address = $1 AND source = 'sms_stop'`, r.phone); n != 1 {
		t.Fatal("STOP did not unsubscribe the number")
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return len(e.sms.Sent()) == 2 }, "the confirmation text")

	second := e.campaign(admin, "stop", step)
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+second.ID+"/launch", admin, nil), http.StatusOK, "launch another")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(second.ID) == "completed" }, "second campaign")
	if got := e.attemptsBy(second.ID); got["blocked:unsubscribed"] != 1 || len(got) != 1 {
		t.Fatalf("the next message after STOP: %v", got)
	}
	sent := e.sms.Sent()
	if len(sent) != 2 || sent[1].Message.Body != "You are unsubscribed and will receive no more messages. Reply START to resubscribe." {
		t.Fatalf("texts after STOP: %d, the last %q", len(sent), sent[len(sent)-1].Message.Body)
	}
	for _, typ := range []string{"reos.outreach.contact.unsubscribed", "reos.outreach.consent.withdrawn"} {
		if n := e.count(`SELECT count(*) FROM outreach.outbox WHERE payload::jsonb->>'type' = $1`, typ); n != 1 {
			t.Fatalf("%d %s events", n, typ)
		}
	}
}

// TestProviderOutcomesSuppressAndCount: the mock's outcomes arrive
// through its Notify hook (the webhook path): a hard bounce and a
// complaint suppress their address at once, a first soft bounce does not;
// the metrics count hard and soft bounces and complaints apart.
func TestProviderOutcomesSuppressAndCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, admin := e.sendingOrg()
	addrs := []string{"bounce-hard@example.com", "bounce-soft@example.com", "complaint@example.com", "fine@example.com"}
	rs := make([]recipient, len(addrs))
	for i, a := range addrs {
		rs[i] = recipient{lead: uuid.NewString(), contact: uuid.NewString(), email: a, consent: "granted"}
	}
	e.seedAudience(org, rs, "outcomes")
	c := e.campaign(admin, "outcomes", map[string]any{"channel": "email", "template_id": e.emailTemplate(admin, "Hello").ID, "delay_seconds": 0})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "sent")
	e.clock.Advance(provider.MockComplaintAfter)
	if n := e.email.DeliverDue(context.Background()); n != 5 {
		t.Fatalf("%d mock events due, want 5 (2 deliveries, a bounce of each kind, a complaint)", n)
	}
	got := map[string]string{}
	rows, err := e.admin.Query(t.Context(), `SELECT address, reason FROM outreach.suppressions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a, reason string
		if err := rows.Scan(&a, &reason); err != nil {
			t.Fatal(err)
		}
		got[a] = reason
	}
	if len(got) != 2 || got["bounce-hard@example.com"] != "hard_bounce" || got["complaint@example.com"] != "complaint" {
		t.Fatalf("suppressions %v", got)
	}
	r := e.call(http.MethodGet, "/api/v1/campaigns/"+c.ID+"/metrics", admin, nil)
	expect(t, r, http.StatusOK, "metrics")
	m := decode[metricsJSON](t, r)
	if m.Totals.Sent != 4 || m.Totals.Delivered != 2 || m.Totals.BouncedHard != 1 || m.Totals.BouncedSoft != 1 || m.Totals.Complained != 1 {
		t.Fatalf("metrics %+v", m.Totals)
	}
	if m.Progress.Done != 4 || m.Progress.Total != 4 {
		t.Fatalf("progress %+v", m.Progress)
	}
}

type countsJSON struct {
	Step        *int           `json:"step"`
	Sent        int            `json:"sent"`
	Delivered   int            `json:"delivered"`
	BouncedHard int            `json:"bounced_hard"`
	BouncedSoft int            `json:"bounced_soft"`
	Complained  int            `json:"complained"`
	Replied     int            `json:"replied"`
	Blocked     int            `json:"blocked"`
	BlockedBy   map[string]int `json:"blocked_by_reason"`
	Deferred    int            `json:"deferred"`
	Queued      int            `json:"queued"`
	Unknown     int            `json:"unknown"`
}

type metricsJSON struct {
	Status      string  `json:"status"`
	PauseReason *string `json:"pause_reason"`
	Progress    struct {
		Total, Active, Done, Stopped int
		Percent                      float64
	} `json:"progress"`
	Totals countsJSON   `json:"totals"`
	Steps  []countsJSON `json:"steps"`
}

// TestSingleSendIsIdempotent: the same single send twice is one message
// (the key derived from campaign, lead, template and step when no
// Idempotency-Key is given); another Idempotency-Key is another message;
// a text to a number without consent is blocked with its reason, and an
// unknown lead is 422 naming lead_id.
func TestSingleSendIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.advanceToHourUTC(16)
	org, admin := e.sendingOrg()
	rs := e.smsAudience(org, "single", 1, 0)
	other := recipient{lead: uuid.NewString(), contact: uuid.NewString(), phone: phoneNo(99)}
	e.seedAudience(org, []recipient{other}, "single-none")
	tpl := e.smsTemplate(admin, "Hi")
	body := map[string]any{"lead_id": rs[0].lead, "template_id": tpl.ID}
	first := decode[idJSON](t, e.call(http.MethodPost, "/api/v1/outreach/sms", admin, body))
	again := decode[idJSON](t, e.call(http.MethodPost, "/api/v1/outreach/sms", admin, body))
	if first.ID == "" || first.ID != again.ID || first.Status != "sent" || len(e.sms.Sent()) != 1 {
		t.Fatalf("twice: %+v then %+v, %d texts", first, again, len(e.sms.Sent()))
	}
	keyed := decode[idJSON](t, e.call(http.MethodPost, "/api/v1/outreach/sms", admin, body, "Idempotency-Key", "retry-7"))
	keyedAgain := decode[idJSON](t, e.call(http.MethodPost, "/api/v1/outreach/sms", admin, body, "Idempotency-Key", "retry-7"))
	if keyed.ID == first.ID || keyed.ID != keyedAgain.ID || len(e.sms.Sent()) != 2 {
		t.Fatalf("with a key: %+v then %+v, %d texts", keyed, keyedAgain, len(e.sms.Sent()))
	}
	r := e.call(http.MethodPost, "/api/v1/outreach/sms", admin, map[string]any{"lead_id": other.lead, "template_id": tpl.ID})
	expect(t, r, http.StatusOK, "send without consent")
	if a := decode[attemptJSONT](t, r); a.Status != "blocked" || a.Reason == nil || *a.Reason != "no_consent" {
		t.Fatalf("without consent: %+v", a)
	}
	expectField(t, e.call(http.MethodPost, "/api/v1/outreach/sms", admin, map[string]any{"lead_id": uuid.NewString(), "template_id": tpl.ID}),
		http.StatusUnprocessableEntity, "lead_id", "unknown lead")
	if n := len(e.sms.Sent()); n != 2 {
		t.Fatalf("%d texts", n)
	}
}

type attemptJSONT struct {
	ID     string  `json:"id"`
	Status string  `json:"status"`
	Reason *string `json:"reason"`
}
