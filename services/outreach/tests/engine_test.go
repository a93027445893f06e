package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/testkit"
)

// recipient is one lead of a bulk-seeded audience and what the compliance
// lists say about it.
type recipient struct {
	lead, contact, email, phone, zone string
	consent                           string // "granted", "withdrawn" or "" (none)
	unsubscribed, dnc, suppressed     bool
}

// seedAudience writes the leads, their contacts and their list entries
// straight into org's tables (as the superuser: fixture data, the read
// model's consumer is tested in audience_test.go).
func (e *env) seedAudience(org string, rs []recipient, tag string) {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	for _, r := range rs {
		var email, phone, zone any
		if r.email != "" {
			email = r.email
		}
		if r.phone != "" {
			phone = r.phone
		}
		if r.zone != "" {
			zone = r.zone
		}
		if _, err := e.admin.Exec(ctx, `INSERT INTO outreach.audience_contacts (org_id, contact_id, first_name, last_name, email, phone, time_zone, updated_at)
VALUES ($1, $2, 'Pat', 'Lee', $3, $4, $5, $6)`, org, r.contact, email, phone, zone, now); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.admin.Exec(ctx, `INSERT INTO outreach.audience_leads (org_id, lead_id, contact_id, status, tags, updated_at)
VALUES ($1, $2, $3, 'new', $4, $5)`, org, r.lead, r.contact, []string{tag}, now); err != nil {
			e.t.Fatal(err)
		}
		for _, ch := range []struct{ name, addr string }{{"email", r.email}, {"sms", r.phone}} {
			if ch.addr == "" {
				continue
			}
			if r.consent != "" {
				if _, err := e.admin.Exec(ctx, `INSERT INTO outreach.consent_log (id, org_id, channel, address, contact_id, action, source, proof, occurred_at, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, 'web_form', 'form-1', $7, $7)`, uuid.NewString(), org, ch.name, ch.addr, r.contact, r.consent, now.Add(-time.Hour)); err != nil {
					e.t.Fatal(err)
				}
			}
			if r.unsubscribed {
				if _, err := e.admin.Exec(ctx, `INSERT INTO outreach.unsubscribes (org_id, channel, address, source, created_at) VALUES ($1, $2, $3, 'api', $4)`,
					org, ch.name, ch.addr, now); err != nil {
					e.t.Fatal(err)
				}
			}
			if r.suppressed {
				if _, err := e.admin.Exec(ctx, `INSERT INTO outreach.suppressions (org_id, channel, address, reason, created_at) VALUES ($1, $2, $3, 'hard_bounce', $4)`,
					org, ch.name, ch.addr, now); err != nil {
					e.t.Fatal(err)
				}
			}
		}
		if r.dnc && r.phone != "" {
			if _, err := e.admin.Exec(ctx, `INSERT INTO outreach.dnc_entries (id, org_id, phone, created_at) VALUES ($1, $2, $3, $4)`,
				uuid.NewString(), org, r.phone, now); err != nil {
				e.t.Fatal(err)
			}
		}
	}
}

// bulkAudience writes consenting email recipients in three statements
// (fixtures for benchmarks).
func (e *env) bulkAudience(org string, rs []recipient, tag string) {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	leads, contacts, emails := make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		leads[i], contacts[i], emails[i] = r.lead, r.contact, r.email
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO outreach.audience_contacts (org_id, contact_id, first_name, last_name, email, updated_at)
SELECT $1, c, 'Pat', 'Lee', m, $4 FROM unnest($2::uuid[], $3::text[]) AS x(c, m)`, []any{org, contacts, emails, now}},
		{`INSERT INTO outreach.audience_leads (org_id, lead_id, contact_id, status, tags, updated_at)
SELECT $1, l, c, 'new', ARRAY[$4::text], $5 FROM unnest($2::uuid[], $3::uuid[]) AS x(l, c)`, []any{org, leads, contacts, tag, now}},
		{`INSERT INTO outreach.consent_log (id, org_id, channel, address, action, source, proof, occurred_at, recorded_at)
SELECT gen_random_uuid(), $1, 'email', m, 'granted', 'import', 'bench', $3, $3 FROM unnest($2::text[]) AS x(m)`, []any{org, emails, now}},
	} {
		if _, err := e.admin.Exec(ctx, q.sql, q.args...); err != nil {
			e.t.Fatal(err)
		}
	}
}

// settings saves org's sending settings (a postal address, New York).
func (e *env) settings(admin user) {
	e.t.Helper()
	expect(e.t, e.call(http.MethodPut, "/api/v1/outreach/settings", admin, map[string]any{"sender_name": "Acme Realty",
		"sender_email": "agent@acme.example", "postal_address": "1 Main St, Springfield", "help_text": "Acme Realty: call 555-0100",
		"time_zone": "America/New_York"}), http.StatusOK, "settings")
}

// sendingOrg is a new organisation whose admin has saved its sending
// settings, with the engine running.
func (e *env) sendingOrg() (string, user) {
	e.t.Helper()
	org := newOrg()
	admin := e.user(org, permsAdmin)
	e.settings(admin)
	e.runEngine()
	return org, admin
}

// campaign creates a campaign of steps over the leads tagged tag.
func (e *env) campaign(u user, tag string, steps ...map[string]any) campaignJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/campaigns", u, map[string]any{"name": "Campaign " + uuid.NewString()[:8], "steps": steps})
	expect(e.t, r, http.StatusCreated, "create campaign")
	c := decode[campaignJSON](e.t, r)
	expect(e.t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/targets", u, map[string]any{"filter": map[string]any{"tags": []string{tag}}}),
		http.StatusOK, "targets")
	return c
}

func (e *env) campaignStatus(id string) string {
	return scalar[string](e, `SELECT status FROM outreach.campaigns WHERE id = $1`, id)
}

// attemptsBy counts the campaign's attempts by status and reason.
func (e *env) attemptsBy(campaignID string) map[string]int {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT status || coalesce(':' || reason, ''), count(*) FROM outreach.outreach_attempts
WHERE campaign_id = $1 GROUP BY 1`, campaignID)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			e.t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// at moves the test's clock forward to the next t o'clock UTC.
func (e *env) advanceToHourUTC(hour int) {
	now := e.clock.Now()
	next := time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, time.UTC)
	if !next.After(now) {
		next = next.Add(24 * time.Hour)
	}
	e.clock.Advance(next.Sub(now))
}

func phoneNo(i int) string { return fmt.Sprintf("+1415%07d", 2000000+i) }

// TestCampaignSendsExactlyTheEligible: an SMS campaign of 1,000 targets
// of which some are unsubscribed, on the DNC list, without consent or
// with it withdrawn, suppressed, without a number, or in a zone where it
// is night. Exactly the eligible ones are sent, each once; the others are
// blocked with their reason or deferred; the campaign is not completed
// while the deferred wait, and they go out when their window opens (the
// clock moved), after which it completes.
func TestCampaignSendsExactlyTheEligible(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.advanceToHourUTC(16) // noon in New York, 01:00 in Tokyo
	org, admin := e.sendingOrg()

	const n = 1000
	type class struct {
		from, to int
		want     string
		set      func(*recipient)
	}
	classes := []class{
		{0, 100, "blocked:unsubscribed", func(r *recipient) { r.unsubscribed = true }},
		{100, 200, "blocked:do_not_call", func(r *recipient) { r.dnc = true }},
		{200, 280, "blocked:no_consent", func(r *recipient) { r.consent = "" }},
		{280, 330, "blocked:consent_withdrawn", func(r *recipient) { r.consent = "withdrawn" }},
		{330, 420, "blocked:suppressed", func(r *recipient) { r.suppressed = true }},
		{420, 440, "blocked:no_address", func(r *recipient) { r.phone = "" }},
		{440, 540, "deferred:quiet_hours", func(r *recipient) { r.zone = "Asia/Tokyo" }},
		{540, n, "sent", func(*recipient) {}},
	}
	rs := make([]recipient, n)
	want := map[string]int{}
	eligible := map[string]bool{}
	for _, c := range classes {
		for i := c.from; i < c.to; i++ {
			rs[i] = recipient{lead: uuid.NewString(), contact: uuid.NewString(), phone: phoneNo(i), zone: "America/New_York", consent: "granted"}
			c.set(&rs[i])
			if c.want == "sent" {
				eligible[rs[i].phone] = true
			}
		}
		want[c.want] += c.to - c.from
	}
	e.seedAudience(org, rs, "spring")
	sms := e.smsTemplate(admin, "Nudge")
	c := e.campaign(admin, "spring", map[string]any{"channel": "sms", "template_id": sms.ID, "delay_seconds": 0})

	r := e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil)
	expect(t, r, http.StatusOK, "launch")
	if got := decode[campaignJSON](t, r); got.Status != "running" {
		t.Fatalf("launched campaign is %s", got.Status)
	}
	settled := func(w map[string]int) func() bool {
		return func() bool {
			got := e.attemptsBy(c.ID)
			for k, v := range w {
				if got[k] != v {
					return false
				}
			}
			return true
		}
	}
	testkit.Eventually(t, 60*time.Second, settled(want), "every target decided")
	// The night-time texts wait: the campaign is not complete.
	testkit.Eventually(t, 10*time.Second, func() bool {
		return scalar[bool](e, `SELECT next_wake_at IS NOT NULL FROM outreach.campaigns WHERE id = $1`, c.ID)
	}, "the campaign sleeps until the window opens")
	if st := e.campaignStatus(c.ID); st != "running" {
		t.Fatalf("campaign %s while 100 texts are deferred", st)
	}
	got := sentTo(e.sms.Mock, smsTo)
	if len(got) != len(eligible) {
		t.Fatalf("%d numbers got a text, want the %d eligible", len(got), len(eligible))
	}
	for num, k := range got {
		if !eligible[num] || k != 1 {
			t.Fatalf("%s got %d texts (eligible %v)", num, k, eligible[num])
		}
	}
	nb := scalar[time.Time](e, `SELECT min(not_before) FROM outreach.outreach_attempts WHERE campaign_id = $1 AND status = 'deferred'`, c.ID)
	if tokyo := nb.In(time.FixedZone("JST", 9*3600)); tokyo.Hour() != 8 || tokyo.Minute() != 0 {
		t.Fatalf("deferred until %s, want 08:00 in Tokyo", tokyo)
	}

	// 08:00 in Tokyo: the deferred ones go out, and the campaign completes.
	e.clock.Advance(nb.Sub(e.clock.Now()))
	want["sent"] += want["deferred:quiet_hours"]
	delete(want, "deferred:quiet_hours")
	testkit.Eventually(t, 30*time.Second, settled(want), "the deferred texts sent when their window opened")
	testkit.Eventually(t, 10*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed")
	if d := e.sms.Duplicates(); d != 0 {
		t.Fatalf("%d texts sent twice", d)
	}
	if n := len(sentTo(e.sms.Mock, smsTo)); n != len(eligible)+100 {
		t.Fatalf("%d numbers got a text, want %d", n, len(eligible)+100)
	}
	if k := scalar[int](e, `SELECT count(*) FROM outreach.outbox WHERE payload::jsonb->>'type' = 'reos.outreach.campaign.completed'`); k != 1 {
		t.Fatalf("%d completed events", k)
	}
}
