package tests

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
	"reos.dev/services/platform/internal/server"
)

// TestWebhookEndpointsCRUD: an endpoint is created with its secret
// (shown then only), read, listed, changed, refused with the field named
// when bad, and deleted.
func TestWebhookEndpointsCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	ep := e.createEndpoint(admin, "https://hooks.example.com/reos", "lead.*", "deal.created")
	if !strings.HasPrefix(ep.Secret, "whsec_") || !ep.Enabled || ep.ID == "" {
		t.Fatalf("created %+v", ep)
	}
	r := e.call(http.MethodGet, "/api/v1/webhooks/"+ep.ID, admin, nil)
	expect(t, r, http.StatusOK, "get")
	if strings.Contains(string(r.Body), "whsec_") {
		t.Errorf("a read shows the secret: %s", r.Body)
	}
	r = e.call(http.MethodGet, "/api/v1/webhooks", admin, nil)
	expect(t, r, http.StatusOK, "list")
	if l := decode[struct{ Items []endpointJSON }](t, r).Items; len(l) != 1 || l[0].ID != ep.ID || strings.Contains(string(r.Body), "whsec_") {
		t.Errorf("list %s", r.Body)
	}
	r = e.call(http.MethodPut, "/api/v1/webhooks/"+ep.ID, admin, map[string]any{"url": "https://hooks.example.com/v2", "event_types": []string{"*"}, "enabled": false})
	expect(t, r, http.StatusOK, "update")
	if got := decode[endpointJSON](t, r); got.URL != "https://hooks.example.com/v2" || got.Enabled || len(got.EventTypes) != 1 {
		t.Errorf("updated %+v", got)
	}
	for _, tc := range []struct {
		name, field string
		body        map[string]any
	}{
		{"not http", "url", map[string]any{"url": "ftp://x.example.com", "event_types": []string{"*"}}},
		{"credentials", "url", map[string]any{"url": "https://u:p@x.example.com", "event_types": []string{"*"}}},
		{"no types", "event_types", map[string]any{"url": "https://x.example.com", "event_types": []string{}}},
		{"bad type", "event_types[1]", map[string]any{"url": "https://x.example.com", "event_types": []string{"lead.*", "Lead.*"}}},
	} {
		testkit.ExpectField(t, e.call(http.MethodPost, "/api/v1/webhooks", admin, tc.body), http.StatusUnprocessableEntity, tc.field, tc.name)
	}
	expect(t, e.call(http.MethodDelete, "/api/v1/webhooks/"+ep.ID, admin, nil), http.StatusNoContent, "delete")
	expect(t, e.call(http.MethodGet, "/api/v1/webhooks/"+ep.ID, admin, nil), http.StatusNotFound, "deleted")
}

// TestDeliveryFromTheDomainTopic: an event on reos.crm.events reaches the
// endpoints whose filters select it (a wildcard), not the others, signed
// so that an independent check of the spec's scheme accepts it; the
// attempt is logged; a manual redelivery sends the same webhook-id again.
func TestDeliveryFromTheDomainTopic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	leads, deals := newReceiver(t), newReceiver(t)
	epLeads := e.createEndpoint(admin, leads.srv.URL+"/hook", "lead.*")
	e.createEndpoint(admin, deals.srv.URL+"/hook", "deal.created")
	e.runDelivery(t)
	ev := publish(t, "crm", "reos.crm.lead.created", admin.OrgID, map[string]any{"lead_id": "l-1"})

	testkit.Eventually(t, 30*time.Second, func() bool { return len(leads.requests()) == 1 }, "the lead endpoint's delivery")
	got := leads.requests()[0]
	if !verifyIndependently(t, got, epLeads.Secret) {
		t.Fatalf("signature %q does not verify under the endpoint's secret", got.header.Get("webhook-signature"))
	}
	var body struct {
		Type    string          `json:"type"`
		EventID string          `json:"event_id"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(got.body, &body); err != nil || body.Type != "lead.created" || body.EventID != ev.ID || !strings.Contains(string(body.Data), "l-1") {
		t.Errorf("body %s", got.body)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return len(e.logs(admin, epLeads.ID)) == 1 }, "the attempt's log")
	logs := e.logs(admin, epLeads.ID)
	if l := logs[0]; l.Verdict != "delivered" || l.Status == nil || *l.Status != 200 || l.Attempt != 1 || l.MessageID != got.header.Get("webhook-id") {
		t.Errorf("log %+v", l)
	}
	if n := len(deals.requests()); n != 0 {
		t.Errorf("the deal endpoint got %d requests for a lead event", n)
	}

	r := e.call(http.MethodPost, "/api/v1/webhooks/"+epLeads.ID+"/messages/"+logs[0].MessageID+"/redeliver", admin, nil)
	expect(t, r, http.StatusAccepted, "redeliver")
	testkit.Eventually(t, 10*time.Second, func() bool { return len(leads.requests()) == 2 }, "the redelivery")
	if again := leads.requests()[1]; again.header.Get("webhook-id") != got.header.Get("webhook-id") || !verifyIndependently(t, again, epLeads.Secret) {
		t.Errorf("redelivery id %q, want %q, signed", again.header.Get("webhook-id"), got.header.Get("webhook-id"))
	}
}

// TestRetriesKeepTheIDAndGoneDisables: a receiver failing once gets the
// retry with the same webhook-id (after the schedule's 5 s); one that
// answers 410 has its endpoint disabled after the first attempt.
func TestRetriesKeepTheIDAndGoneDisables(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	flaky, gone := newReceiver(t, http.StatusBadGateway, http.StatusOK), newReceiver(t, http.StatusGone)
	epFlaky := e.createEndpoint(admin, flaky.srv.URL, "*")
	epGone := e.createEndpoint(admin, gone.srv.URL, "*")
	e.runDelivery(t)
	publish(t, "property", "reos.property.property.created", admin.OrgID, map[string]any{"property_id": "p-1"})

	testkit.Eventually(t, 40*time.Second, func() bool { return len(flaky.requests()) == 2 }, "the retry")
	first, second := flaky.requests()[0], flaky.requests()[1]
	if first.header.Get("webhook-id") != second.header.Get("webhook-id") || first.header.Get("webhook-id") == "" {
		t.Errorf("the retry's webhook-id %q differs from the first's %q", second.header.Get("webhook-id"), first.header.Get("webhook-id"))
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return len(e.logs(admin, epFlaky.ID)) == 2 }, "both attempts logged")
	logs := e.logs(admin, epFlaky.ID) // newest first
	if logs[0].Attempt != 2 || logs[0].Verdict != "delivered" || logs[1].Attempt != 1 || logs[1].Verdict != "retry" || *logs[1].Status != 502 {
		t.Errorf("logs %+v", logs)
	}

	testkit.Eventually(t, 10*time.Second, func() bool {
		r := e.call(http.MethodGet, "/api/v1/webhooks/"+epGone.ID, admin, nil)
		return r.Status == http.StatusOK && !decode[endpointJSON](t, r).Enabled
	}, "the 410 endpoint disabled")
	if n := len(gone.requests()); n != 1 {
		t.Errorf("the 410 receiver got %d requests, want 1", n)
	}
	var events int
	if err := e.db.Pool(t, "").QueryRow(t.Context(), "SELECT count(*) FROM platform.outbox WHERE payload->>'type' = $1",
		"reos.platform.webhook.endpoint.disabled").Scan(&events); err != nil || events != 1 {
		t.Errorf("webhook.endpoint.disabled events in the outbox: %d (%v), want 1", events, err)
	}
}

// TestRotationSendsBothSignatures: after a rotation, a (test) delivery
// carries a signature under the new secret and one under the old.
func TestRotationSendsBothSignatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	rcv := newReceiver(t)
	ep := e.createEndpoint(admin, rcv.srv.URL, "*")
	r := e.call(http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/rotate-secret", admin, nil)
	expect(t, r, http.StatusOK, "rotate")
	rotated := decode[endpointJSON](t, r)
	if rotated.Secret == ep.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("rotated secret %q", rotated.Secret)
	}
	r = e.call(http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/test", admin, nil)
	expect(t, r, http.StatusOK, "test delivery")
	if l := decode[logJSON](t, r); l.Verdict != "delivered" || l.EventType != "webhook.test" {
		t.Errorf("test log %+v", l)
	}
	got := rcv.requests()
	if len(got) != 1 || len(strings.Fields(got[0].header.Get("webhook-signature"))) != 2 {
		t.Fatalf("requests %+v, want one with two signatures", got)
	}
	if !verifyIndependently(t, got[0], rotated.Secret) || !verifyIndependently(t, got[0], ep.Secret) {
		t.Errorf("the signatures do not verify under both the new and the old secret")
	}
}

// TestInternalTargetsAreRefused: without the dev allow-list, a test
// delivery to loopback (by address or by a name resolving to it), a
// private or the metadata address is refused at connect time and logged.
func TestInternalTargetsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *server.Options) { o.WebhookAllow = []netip.Prefix{} })
	admin := e.user(newOrg(), permsAdmin...)
	rcv := newReceiver(t)
	port := rcv.srv.URL[strings.LastIndex(rcv.srv.URL, ":"):]
	for _, host := range []string{"127.0.0.1", "localhost", "10.0.0.1", "169.254.169.254"} {
		ep := e.createEndpoint(admin, "http://"+host+port+"/hook", "*")
		r := e.call(http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/test", admin, nil)
		expect(t, r, http.StatusOK, host)
		if l := decode[logJSON](t, r); l.Verdict != "retry" || l.Status != nil || !strings.Contains(l.Error, "not allowed") {
			t.Errorf("%s: log %+v, want refused", host, l)
		}
	}
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
}

// TestFailingForFiveDaysDisables: an endpoint whose attempts have all
// failed since more than 5 days is disabled by its next failure, with
// the webhook.endpoint.disabled event; one failing for less is retried.
func TestFailingForFiveDaysDisables(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	old, recent := newReceiver(t, http.StatusInternalServerError), newReceiver(t, http.StatusInternalServerError)
	epOld := e.createEndpoint(admin, old.srv.URL, "lead.*")
	epRecent := e.createEndpoint(admin, recent.srv.URL, "lead.*")
	su := e.db.Pool(t, "")
	for id, since := range map[string]time.Duration{epOld.ID: 5*24*time.Hour + time.Minute, epRecent.ID: 4 * 24 * time.Hour} {
		if _, err := su.Exec(t.Context(), "UPDATE platform.webhook_endpoints SET failing_since = now() - $2::interval WHERE id = $1",
			id, since.String()); err != nil {
			t.Fatal(err)
		}
	}
	e.runDelivery(t)
	publish(t, "crm", "reos.crm.lead.created", admin.OrgID, map[string]any{"lead_id": "l-1"})
	get := func(id string) endpointJSON {
		return decode[endpointJSON](t, expectStatus(t, e.call(http.MethodGet, "/api/v1/webhooks/"+id, admin, nil), http.StatusOK))
	}
	testkit.Eventually(t, 30*time.Second, func() bool { return !get(epOld.ID).Enabled }, "the endpoint failing for 5 days disabled")
	if got := get(epOld.ID); got.DisabledReason == "" {
		t.Errorf("disabled without a reason: %+v", got)
	}
	testkit.Eventually(t, 30*time.Second, func() bool { return len(e.logs(admin, epRecent.ID)) == 1 }, "the recent one's attempt")
	if !get(epRecent.ID).Enabled {
		t.Error("an endpoint failing for 4 days was disabled")
	}
	var events int
	if err := su.QueryRow(t.Context(), "SELECT count(*) FROM platform.outbox WHERE payload->>'type' = $1 AND payload->'data'->>'endpoint_id' = $2",
		"reos.platform.webhook.endpoint.disabled", epOld.ID).Scan(&events); err != nil || events != 1 {
		t.Errorf("disabled events of the endpoint: %d (%v), want 1", events, err)
	}
}
