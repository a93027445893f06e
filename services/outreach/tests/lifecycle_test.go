package tests

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/testkit"
	pgstore "reos.dev/services/outreach/internal/adapters/postgres"
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/provider"
	"reos.dev/services/outreach/internal/server"
)

// gatedSMS holds the n-th text at the provider until released, so a test
// can act while a step is mid-batch.
type gatedSMS struct {
	provider.SMS
	n       int64
	count   atomic.Int64
	reached chan struct{}
	release chan struct{}
}

func (g *gatedSMS) SendSMS(ctx context.Context, m provider.SMSMessage) (provider.Result, error) {
	if g.count.Add(1) == g.n {
		close(g.reached)
		<-g.release
	}
	return g.SMS.SendSMS(ctx, m)
}

// smsAudience seeds n consenting New York numbers tagged tag.
func (e *env) smsAudience(org, tag string, n, first int) []recipient {
	rs := make([]recipient, n)
	for i := range rs {
		rs[i] = recipient{lead: uuid.NewString(), contact: uuid.NewString(), phone: phoneNo(first + i), zone: "America/New_York", consent: "granted"}
	}
	e.seedAudience(org, rs, tag)
	return rs
}

// TestPauseAndResumeMidStep: a campaign is paused while its step has a
// text at the provider; that text goes (it was already handed over), no
// other after the pause is answered; resume sends the rest, every text
// exactly once, and only then is the campaign completed.
func TestPauseAndResumeMidStep(t *testing.T) {
	t.Parallel()
	var gate *gatedSMS
	e := newEnvWith(t, func(o *server.Options) {
		gate = &gatedSMS{SMS: o.Providers.SMS, n: 5, reached: make(chan struct{}), release: make(chan struct{})}
		o.Providers.SMS = gate
		o.Engine = app.EngineConfig{BatchSize: 10, SendConcurrency: 1, Parallel: 1}
	})
	e.advanceToHourUTC(16)
	org, admin := e.sendingOrg()
	e.smsAudience(org, "pause", 30, 0)
	c := e.campaign(admin, "pause", map[string]any{"channel": "sms", "template_id": e.smsTemplate(admin, "Nudge").ID, "delay_seconds": 0})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	<-gate.reached
	r := e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/pause", admin, nil)
	expect(t, r, http.StatusOK, "pause")
	if p := decode[campaignJSON](t, r); p.Status != "paused" {
		t.Fatalf("paused campaign is %s", p.Status)
	}
	close(gate.release)
	// The step sees the pause before its next text and ends its chain.
	testkit.Eventually(t, 20*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM outreach.outreach_attempts WHERE campaign_id = $1 AND status = 'sending'`, c.ID) == 0 &&
			e.count(`SELECT count(*) FROM outreach.river_job WHERE kind = 'outreach.campaign_step' AND state NOT IN ('completed', 'cancelled', 'discarded')`) == 0
	}, "the step ended")
	if n := len(e.sms.Sent()); n != 5 {
		t.Fatalf("%d texts sent by the pause, want the 5 handed over before it", n)
	}
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusConflict, "launch a paused campaign")
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/resume", admin, nil), http.StatusOK, "resume")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed after resume")
	sent := sentTo(e.sms.Mock, smsTo)
	if len(sent) != 30 || e.sms.Duplicates() != 0 {
		t.Fatalf("%d numbers texted, %d duplicates; want 30 once each", len(sent), e.sms.Duplicates())
	}
	for _, typ := range []string{"reos.outreach.campaign.paused", "reos.outreach.campaign.resumed", "reos.outreach.campaign.completed"} {
		if n := e.count(`SELECT count(*) FROM outreach.outbox WHERE payload::jsonb->>'type' = $1`, typ); n != 1 {
			t.Fatalf("%d %s events", n, typ)
		}
	}
}

// TestMissedScheduleIsHeld: a scheduled campaign whose start passed by
// more than its grace period (the service was down) is held as missed,
// with its event, sending nothing, and waits for a person to launch it;
// one whose start passed within the grace period starts.
func TestMissedScheduleIsHeld(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.advanceToHourUTC(16)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	e.settings(admin)
	e.smsAudience(org, "sched", 3, 0)
	sms := e.smsTemplate(admin, "Nudge")
	create := func(grace int) campaignJSON {
		r := e.call(http.MethodPost, "/api/v1/campaigns", admin, map[string]any{"name": "At " + strconv.Itoa(grace),
			"scheduled_at": e.clock.Now().Add(10 * time.Minute).Format(time.RFC3339), "grace_period_seconds": grace,
			"steps": []map[string]any{{"channel": "sms", "template_id": sms.ID, "delay_seconds": 0}}})
		expect(t, r, http.StatusCreated, "scheduled campaign")
		c := decode[campaignJSON](t, r)
		expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/targets", admin, map[string]any{"filter": map[string]any{"tags": []string{"sched"}}}),
			http.StatusOK, "targets")
		return c
	}
	held, started := create(3600), create(7200)
	// Before the start nothing moves.
	if n, err := e.srv.Service.RunScheduler(t.Context()); err != nil || n != 0 {
		t.Fatalf("scheduler before the start moved %d (%v)", n, err)
	}
	// The service was "down" for 1 h 30 min past the start.
	e.clock.Advance(10*time.Minute + 90*time.Minute)
	if n, err := e.srv.Service.RunScheduler(t.Context()); err != nil || n != 2 {
		t.Fatalf("scheduler moved %d (%v), want both", n, err)
	}
	if st := e.campaignStatus(held.ID); st != "missed" {
		t.Fatalf("campaign past its grace period is %s", st)
	}
	if st := e.campaignStatus(started.ID); st != "running" {
		t.Fatalf("campaign within its grace period is %s", st)
	}
	if n := e.count(`SELECT count(*) FROM outreach.campaign_targets WHERE campaign_id = $1`, held.ID); n != 0 {
		t.Fatalf("the missed campaign froze %d targets", n)
	}
	if n := e.count(`SELECT count(*) FROM outreach.outbox WHERE payload::jsonb->>'type' = 'reos.outreach.campaign.missed'`); n != 1 {
		t.Fatalf("%d missed events", n)
	}
	// Held: the scheduler never fires it late.
	e.clock.Advance(24 * time.Hour)
	if _, err := e.srv.Service.RunScheduler(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := e.campaignStatus(held.ID); st != "missed" {
		t.Fatalf("held campaign became %s by itself", st)
	}
	e.advanceToHourUTC(16)
	e.runEngine()
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+held.ID+"/launch", admin, nil), http.StatusOK, "a person launches it")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(held.ID) == "completed" }, "the launched campaign")
}

// TestLaunchRefusals: an email campaign without the organisation's postal
// address is 422 (CAN-SPAM) and nothing starts; a campaign without steps
// or targets is 422; a running one is 409.
func TestLaunchRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	e.seedAudience(org, []recipient{{lead: uuid.NewString(), contact: uuid.NewString(), email: "a@example.com", consent: "granted"}}, "launch")
	c := e.campaign(admin, "launch", map[string]any{"channel": "email", "template_id": e.emailTemplate(admin, "Hello").ID, "delay_seconds": 0})
	expectField(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusUnprocessableEntity, "postal_address",
		"email campaign without the postal address")
	if st := e.campaignStatus(c.ID); st != "draft" {
		t.Fatalf("refused launch left the campaign %s", st)
	}
	r := e.call(http.MethodPost, "/api/v1/campaigns", admin, map[string]any{"name": "Empty"})
	expect(t, r, http.StatusCreated, "empty campaign")
	empty := decode[campaignJSON](t, r)
	expectField(t, e.call(http.MethodPost, "/api/v1/campaigns/"+empty.ID+"/launch", admin, nil), http.StatusUnprocessableEntity, "steps", "no steps")
	expectField(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, map[string]any{"start_at": "2020-01-01T00:00:00Z"}),
		http.StatusUnprocessableEntity, "start_at", "a start in the past")
	e.settings(admin)
	r = e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, map[string]any{"start_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	expect(t, r, http.StatusOK, "launch later")
	if got := decode[campaignJSON](t, r); got.Status != "scheduled" {
		t.Fatalf("a launch with a future start is %s", got.Status)
	}
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch now")
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusConflict, "launch again")
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/resume", admin, nil), http.StatusConflict, "resume a running campaign")
}

// TestCrashAfterTheProviderCall: a step that died after the provider
// accepted its messages but before it recorded that leaves the attempts
// sending. Through a provider idempotent by key (the mock) they are sent
// again under the same key and the provider takes no second message; an
// SMTP attempt is never sent again (unknown: at most once). A replay of
// the finished step job (the DLQ's replay) sends nothing.
func TestCrashAfterTheProviderCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.advanceToHourUTC(16)
	org, admin := e.sendingOrg()
	rs := e.smsAudience(org, "crash", 4, 0)
	c := e.campaign(admin, "crash", map[string]any{"channel": "sms", "template_id": e.smsTemplate(admin, "Nudge").ID, "delay_seconds": 0})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed")

	// Rewind to the moment after the provider calls: the attempts sending,
	// the targets due on step 1 again, the campaign running.
	ctx := t.Context()
	if _, err := e.admin.Exec(ctx, `UPDATE outreach.outreach_attempts SET status = 'sending', sent_at = NULL WHERE campaign_id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.Exec(ctx, `UPDATE outreach.outreach_attempts SET provider = 'smtp' WHERE campaign_id = $1 AND address = $2`, c.ID, rs[0].phone); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.Exec(ctx, `UPDATE outreach.campaign_targets SET state = 'active', next_step = 1, due_at = $2, last_sent_at = NULL WHERE campaign_id = $1`,
		c.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.Exec(ctx, `UPDATE outreach.campaigns SET status = 'running', completed_at = NULL, next_wake_at = $2 WHERE id = $1`, c.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed again")
	if got := e.attemptsBy(c.ID); got["sent"] != 3 || got["unknown:outcome_unknown"] != 1 {
		t.Fatalf("after the crash: %v", got)
	}
	if n, d := len(e.sms.Sent()), e.sms.Duplicates(); n != 4 || d != 3 {
		t.Fatalf("the provider accepted %d texts and saw %d keys again; want 4 once, the 3 resendable ones repeated by key", n, d)
	}

	// Replay the finished first step (as from the DLQ): nothing is sent.
	r := e.call(http.MethodGet, jobs.APIPath(server.ServiceName)+"?kind=outreach.campaign_step", admin, nil)
	expect(t, r, http.StatusOK, "jobs")
	steps := decode[listJSON[jobs.Job]](t, r).Items
	if len(steps) == 0 {
		t.Fatal("no step jobs")
	}
	oldest := steps[len(steps)-1]
	expect(t, e.call(http.MethodPost, jobs.APIPath(server.ServiceName)+"/"+strconv.FormatInt(oldest.ID, 10)+"/replay", admin, nil), http.StatusCreated, "replay")
	testkit.Eventually(t, 20*time.Second, func() bool {
		return e.count(`SELECT count(*) FROM outreach.river_job WHERE metadata->>'replay_of' = $1 AND state = 'completed'`, strconv.FormatInt(oldest.ID, 10)) == 1
	}, "the replay ran")
	if n, d := len(e.sms.Sent()), e.sms.Duplicates(); n != 4 || d != 3 {
		t.Fatalf("after the replay the provider has %d texts, %d repeats", n, d)
	}
}

// TestComplaintRateAutoPauses: after its first 200 sends a campaign whose
// complaints pass 0.3 % is paused by the guard, with the reason on the
// campaign and an event; its later step waits.
func TestComplaintRateAutoPauses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, admin := e.sendingOrg()
	rs := make([]recipient, 250)
	for i := range rs {
		addr := "p" + strconv.Itoa(i) + "@example.com"
		if i < 2 {
			addr = "complaint-" + strconv.Itoa(i) + "@example.com"
		}
		rs[i] = recipient{lead: uuid.NewString(), contact: uuid.NewString(), email: addr, consent: "granted"}
	}
	e.seedAudience(org, rs, "guard")
	tpl := e.emailTemplate(admin, "Hello")
	c := e.campaign(admin, "guard", map[string]any{"channel": "email", "template_id": tpl.ID, "delay_seconds": 0},
		map[string]any{"channel": "email", "template_id": tpl.ID, "delay_seconds": 86400})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 30*time.Second, func() bool { return e.attemptsBy(c.ID)["sent"] == 250 }, "step 1 recorded sent")
	e.clock.Advance(provider.MockComplaintAfter)
	e.email.DeliverDue(t.Context())
	r := e.call(http.MethodGet, "/api/v1/campaigns/"+c.ID+"/metrics", admin, nil)
	expect(t, r, http.StatusOK, "metrics")
	m := decode[metricsJSON](t, r)
	if m.Status != "paused" || m.PauseReason == nil || *m.PauseReason != "complaint_rate" {
		t.Fatalf("campaign %s (%v) with 2 complaints in 250", m.Status, m.PauseReason)
	}
	if m.Totals.Complained != 2 || m.Totals.BouncedHard+m.Totals.BouncedSoft != 0 {
		t.Fatalf("complaints %d, bounces %d", m.Totals.Complained, m.Totals.BouncedHard+m.Totals.BouncedSoft)
	}
	if n := e.count(`SELECT count(*) FROM outreach.outbox WHERE payload::jsonb->>'type' = 'reos.outreach.campaign.auto_paused'`); n != 1 {
		t.Fatalf("%d auto_paused events", n)
	}
}

// TestStopOnReplyAndSoftBounces: a reply stops the later steps that stop
// on reply; three soft bounces in a row suppress the address, so its next
// step is blocked.
func TestStopOnReplyAndSoftBounces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.advanceToHourUTC(16)
	org, admin := e.sendingOrg()
	rs := e.smsAudience(org, "reply", 2, 0)
	c := e.campaign(admin, "reply", map[string]any{"channel": "sms", "template_id": e.smsTemplate(admin, "First").ID, "delay_seconds": 0},
		map[string]any{"channel": "sms", "template_id": e.smsTemplate(admin, "Second").ID, "delay_seconds": 600})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.attemptsBy(c.ID)["sent"] == 2 }, "step 1 recorded sent")
	expect(t, e.postMockWebhook("/api/v1/outreach/webhooks", testMockSecret, webhooks.Event{Type: webhooks.Inbound, Recipient: rs[0].phone,
		To: "+15555550100", Body: "Yes, call me tomorrow", At: e.clock.Now(), ProviderEventID: "reply-1"}), http.StatusOK, "reply")
	e.clock.Advance(10 * time.Minute)
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed")
	if got := e.count(`SELECT count(*) FROM outreach.campaign_targets WHERE campaign_id = $1 AND stop_reason = 'replied'`, c.ID); got != 1 {
		t.Fatalf("%d targets stopped by their reply", got)
	}
	if n := len(e.sms.Sent()); n != 3 {
		t.Fatalf("%d texts, want 2 + the second step to the one who did not reply", n)
	}

	soft := "bounce-soft@example.com"
	e.seedAudience(org, []recipient{{lead: uuid.NewString(), contact: uuid.NewString(), email: soft, consent: "granted"}}, "soft")
	tpl := e.emailTemplate(admin, "Hello")
	step := func(delay int) map[string]any {
		return map[string]any{"channel": "email", "template_id": tpl.ID, "delay_seconds": delay, "stop_on_reply": false}
	}
	b := e.campaign(admin, "soft", step(0), step(60), step(60), step(60))
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+b.ID+"/launch", admin, nil), http.StatusOK, "launch")
	for i := 1; i <= 3; i++ {
		testkit.Eventually(t, 20*time.Second, func() bool {
			return e.count(`SELECT count(*) FROM outreach.outreach_attempts WHERE campaign_id = $1 AND sent_at IS NOT NULL`, b.ID) == i
		}, "step "+strconv.Itoa(i)+" recorded sent")
		e.clock.Advance(provider.MockBounceAfter)
		e.email.DeliverDue(t.Context())
		e.clock.Advance(time.Minute)
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(b.ID) == "completed" }, "completed")
	if got := e.attemptsBy(b.ID); got["blocked:suppressed"] != 1 || got["bounced:452 4.2.2 mailbox full"] != 3 {
		t.Fatalf("after three soft bounces: %v", got)
	}
	if r := scalar[string](e, `SELECT reason FROM outreach.suppressions WHERE address = $1`, soft); r != "soft_bounces" {
		t.Fatalf("suppressed for %s", r)
	}
}

// TestCampaignStatusReadIsScoped: the engine's one-round-trip status read
// (the organisation set and the read in one implicit transaction) sees the
// organisation's campaign, not another's, and leaves no organisation set
// on the pooled connection.
func TestCampaignStatusReadIsScoped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, other := newOrg(), newOrg()
	r := e.call(http.MethodPost, "/api/v1/campaigns", e.user(org, permsAdmin), map[string]any{"name": "Mine"})
	expect(t, r, http.StatusCreated, "campaign")
	c := decode[campaignJSON](t, r)
	store, err := pgstore.NewStore(e.pool, "outreach", e.srv.Queue)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the pool hands the same connections out again
		if st, found, err := store.CampaignStatus(t.Context(), org, c.ID); err != nil || !found || st != "draft" {
			t.Fatalf("own campaign: %q %v %v", st, found, err)
		}
		if st, found, err := store.CampaignStatus(t.Context(), other, c.ID); err != nil || found {
			t.Fatalf("another org's campaign: %q %v %v", st, found, err)
		}
		var setting string
		if err := e.pool.QueryRow(t.Context(), `SELECT coalesce(current_setting('app.org_id', true), '')`).Scan(&setting); err != nil || setting != "" {
			t.Fatalf("app.org_id left %q on a pooled connection (%v)", setting, err)
		}
	}
}

// hookedSMS calls before for every text, before the provider answers.
type hookedSMS struct {
	provider.SMS
	before func(m provider.SMSMessage)
}

func (h hookedSMS) SendSMS(ctx context.Context, m provider.SMSMessage) (provider.Result, error) {
	r, err := h.SMS.SendSMS(ctx, m)
	h.before(m)
	return r, err
}

// TestOutcomeBeforeTheAnswerIsRecorded: the provider's bounce for a text
// arrives (its webhook) before the engine has recorded the provider's
// answer; recording "sent" afterwards does not undo the bounce.
func TestOutcomeBeforeTheAnswerIsRecorded(t *testing.T) {
	t.Parallel()
	var svc app.Service
	e := newEnvWith(t, func(o *server.Options) {
		o.Providers.SMS = hookedSMS{SMS: o.Providers.SMS, before: func(m provider.SMSMessage) {
			if err := svc.HandleProviderEvents(context.Background(), []webhooks.Event{{Provider: "mock", Type: webhooks.BouncedHard,
				MessageKey: m.Key, Recipient: m.To, Detail: "30005 unknown destination handset", ProviderEventID: "fast-" + m.Key, At: time.Now()}}); err != nil {
				t.Error(err)
			}
		}}
	})
	svc = e.srv.Service
	e.advanceToHourUTC(16)
	org, admin := e.sendingOrg()
	rs := e.smsAudience(org, "fast", 1, 0)
	c := e.campaign(admin, "fast", map[string]any{"channel": "sms", "template_id": e.smsTemplate(admin, "Nudge").ID, "delay_seconds": 0})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 20*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed")
	if got := e.attemptsBy(c.ID); got["bounced:30005 unknown destination handset"] != 1 {
		t.Fatalf("attempts %v: the bounce was undone", got)
	}
	if n := e.count(`SELECT count(*) FROM outreach.outreach_attempts WHERE campaign_id = $1 AND sent_at IS NOT NULL AND bounced_at IS NOT NULL`, c.ID); n != 1 {
		t.Fatal("sent_at or bounced_at lost")
	}
	if r := scalar[string](e, `SELECT reason FROM outreach.suppressions WHERE address = $1`, rs[0].phone); r != "hard_bounce" {
		t.Fatalf("suppressed for %q", r)
	}
}
