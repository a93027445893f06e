package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

const (
	attemptCols = `a.id::text, a.org_id::text, a.message_key, a.campaign_id::text, a.step, a.lead_id::text, a.contact_id::text,
a.template_id::text, a.channel, a.address, a.status, a.reason, a.detail, a.bounce, a.subject, a.provider, a.provider_message_id,
a.not_before, a.tries, a.queued_at, a.sent_at, a.delivered_at, a.opened_at, a.clicked_at, a.replied_at, a.bounced_at,
a.complained_at, a.updated_at`
	// sqlEnsureAttempts inserts the attempts whose keys are new (either
	// unique key: the deterministic one or the message key); the ones
	// already there are left as they are, and read back by key.
	sqlEnsureAttempts = `INSERT INTO outreach.outreach_attempts (id, org_id, message_key, campaign_id, step, lead_id, contact_id, template_id,
    channel, address, status, tries, queued_at, updated_at)
SELECT u.id, $1, u.key, u.campaign_id, u.step, u.lead_id, u.contact_id, u.template_id, u.channel, u.address, 'queued', 0, $2, $2
FROM unnest($3::uuid[], $4::text[], $5::uuid[], $6::int[], $7::uuid[], $8::uuid[], $9::uuid[], $10::text[], $11::text[])
    AS u(id, key, campaign_id, step, lead_id, contact_id, template_id, channel, address)
ON CONFLICT DO NOTHING`
	sqlAttemptsByKey = `SELECT ` + attemptCols + ` FROM outreach.outreach_attempts a WHERE a.message_key = ANY($1::text[])`
	// sqlSaveAttempts writes the attempts' state; a provider's event that
	// came in while the send's answer was being recorded (a fast webhook)
	// is kept: an outcome is never undone by "sent", and the events'
	// times are never cleared.
	sqlSaveAttempts = `UPDATE outreach.outreach_attempts a
SET status = CASE WHEN u.status = 'sent' AND a.status IN ('delivered', 'bounced', 'complained') THEN a.status ELSE u.status END,
    reason = CASE WHEN u.status = 'sent' AND a.status IN ('delivered', 'bounced', 'complained') THEN a.reason ELSE u.reason END,
    detail = u.detail, bounce = coalesce(u.bounce, a.bounce), subject = u.subject, provider = u.provider,
    provider_message_id = coalesce(u.provider_message_id, a.provider_message_id), not_before = u.not_before, tries = u.tries,
    sent_at = u.sent_at, delivered_at = coalesce(u.delivered_at, a.delivered_at), opened_at = coalesce(u.opened_at, a.opened_at),
    clicked_at = coalesce(u.clicked_at, a.clicked_at), replied_at = coalesce(u.replied_at, a.replied_at),
    bounced_at = coalesce(u.bounced_at, a.bounced_at), complained_at = coalesce(u.complained_at, a.complained_at), updated_at = u.updated_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
    $10::int[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[], $16::timestamptz[],
    $17::timestamptz[], $18::timestamptz[])
    AS u(id, status, reason, detail, bounce, subject, provider, provider_message_id, not_before, tries, sent_at, delivered_at,
         opened_at, clicked_at, replied_at, bounced_at, complained_at, updated_at)
WHERE a.id = u.id`
	sqlGetAttempt          = `SELECT ` + attemptCols + ` FROM outreach.outreach_attempts a WHERE a.id = $1`
	sqlAttemptByProviderID = `SELECT ` + attemptCols + ` FROM outreach.outreach_attempts a WHERE a.provider = $1 AND a.provider_message_id = $2 LIMIT 1`
	sqlLatestAttemptTo     = `SELECT ` + attemptCols + ` FROM outreach.outreach_attempts a
WHERE a.channel = $1 AND a.address = $2 AND a.sent_at IS NOT NULL ORDER BY a.queued_at DESC LIMIT 1`
	sqlAttemptMetrics = `SELECT coalesce(a.step, 0), count(*) FILTER (WHERE a.status = 'queued'), count(*) FILTER (WHERE a.status = 'sending'),
    count(a.sent_at), count(a.delivered_at), count(*) FILTER (WHERE a.bounce = 'hard'), count(*) FILTER (WHERE a.bounce = 'soft'),
    count(a.complained_at), count(a.opened_at), count(a.clicked_at), count(a.replied_at), count(*) FILTER (WHERE a.status = 'blocked'),
    count(*) FILTER (WHERE a.status = 'deferred'), count(*) FILTER (WHERE a.status = 'failed'), count(*) FILTER (WHERE a.status = 'unknown')
FROM outreach.outreach_attempts a WHERE a.campaign_id = $1 GROUP BY 1 ORDER BY 1`
	sqlAttemptReasons = `SELECT coalesce(a.step, 0), a.status, coalesce(a.reason, ''), count(*) FROM outreach.outreach_attempts a
WHERE a.campaign_id = $1 AND a.status IN ('blocked', 'deferred') GROUP BY 1, 2, 3`
	sqlCampaignUnsubscribed = `SELECT count(*) FROM outreach.unsubscribes WHERE campaign_id = $1`
	sqlAttemptRates         = `SELECT count(*) FILTER (WHERE status IN ('sent', 'delivered', 'bounced', 'complained')),
    count(*) FILTER (WHERE status = 'bounced' AND bounce = 'hard'), count(*) FILTER (WHERE complained_at IS NOT NULL)
FROM outreach.outreach_attempts WHERE campaign_id = $1`
)

func scanAttempt(row pgx.CollectableRow) (domain.Attempt, error) {
	var a domain.Attempt
	var ch, st string
	err := row.Scan(&a.ID, &a.OrgID, &a.MessageKey, &a.CampaignID, &a.Step, &a.LeadID, &a.ContactID, &a.TemplateID, &ch, &a.Address,
		&st, &a.Reason, &a.Detail, &a.Bounce, &a.Subject, &a.Provider, &a.ProviderMessageID, &a.NotBefore, &a.Tries, &a.QueuedAt,
		&a.SentAt, &a.DeliveredAt, &a.OpenedAt, &a.ClickedAt, &a.RepliedAt, &a.BouncedAt, &a.ComplainedAt, &a.UpdatedAt)
	a.Channel, a.Status = compliance.Channel(ch), domain.AttemptStatus(st)
	return a, err
}

func (r attemptRepo) Ensure(ctx context.Context, orgID string, as []domain.Attempt) ([]domain.Attempt, error) {
	n := len(as)
	ids, keys, campaigns, steps := make([]string, n), make([]string, n), make([]*string, n), make([]*int, n)
	leads, contacts, templates, channels, addrs := make([]*string, n), make([]*string, n), make([]*string, n), make([]string, n), make([]*string, n)
	for i, a := range as {
		ids[i], keys[i], campaigns[i], steps[i] = a.ID, a.MessageKey, a.CampaignID, a.Step
		leads[i], contacts[i], templates[i], channels[i], addrs[i] = a.LeadID, a.ContactID, a.TemplateID, string(a.Channel), a.Address
	}
	if _, err := r.tx.Exec(ctx, sqlEnsureAttempts, orgID, as[0].QueuedAt, ids, keys, campaigns, steps, leads, contacts, templates,
		channels, addrs); err != nil {
		return nil, fmt.Errorf("record attempts: %w", err)
	}
	rows, err := r.tx.Query(ctx, sqlAttemptsByKey, keys)
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	found, err := pgx.CollectRows(rows, scanAttempt)
	if err != nil {
		return nil, fmt.Errorf("read attempts: %w", err)
	}
	byKey := make(map[string]domain.Attempt, len(found))
	for _, a := range found {
		byKey[a.MessageKey] = a
	}
	out := make([]domain.Attempt, n)
	for i, k := range keys {
		a, ok := byKey[k]
		if !ok {
			// The deterministic key matched an attempt under another
			// message key: cannot happen with keys derived from it.
			return nil, fmt.Errorf("record attempts: key %q neither inserted nor found", k)
		}
		out[i] = a
	}
	return out, nil
}

func (r attemptRepo) Save(ctx context.Context, as []domain.Attempt) error {
	n := len(as)
	ids, sts := make([]string, n), make([]string, n)
	reasons, details, bounces, subjects, provs, pids := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	nb, sent, dlv, opn, clk, rep, bnc, cmp, upd := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n),
		make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n), make([]time.Time, n)
	tries := make([]int, n)
	for i, a := range as {
		ids[i], sts[i], reasons[i], details[i], bounces[i], subjects[i], provs[i], pids[i] = a.ID, string(a.Status), a.Reason, a.Detail, a.Bounce,
			a.Subject, a.Provider, a.ProviderMessageID
		nb[i], tries[i], sent[i], dlv[i], opn[i], clk[i], rep[i], bnc[i], cmp[i], upd[i] = a.NotBefore, a.Tries, a.SentAt, a.DeliveredAt, a.OpenedAt,
			a.ClickedAt, a.RepliedAt, a.BouncedAt, a.ComplainedAt, a.UpdatedAt
	}
	if _, err := r.tx.Exec(ctx, sqlSaveAttempts, ids, sts, reasons, details, bounces, subjects, provs, pids, nb, tries, sent, dlv, opn, clk,
		rep, bnc, cmp, upd); err != nil {
		return fmt.Errorf("save attempts: %w", err)
	}
	return nil
}

func (r attemptRepo) one(ctx context.Context, q string, args ...any) (domain.Attempt, bool, error) {
	rows, _ := r.tx.Query(ctx, q, args...)
	a, err := pgx.CollectExactlyOneRow(rows, scanAttempt)
	if postgres.IsNoRows(err) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("read attempt: %w", err)
	}
	return a, true, nil
}

func (r attemptRepo) Get(ctx context.Context, id string) (domain.Attempt, error) {
	a, found, err := r.one(ctx, sqlGetAttempt, id)
	if err == nil && !found {
		err = domain.ErrNotFound(domain.ReasonAttemptNotFound, "attempt")
	}
	return a, err
}

func (r attemptRepo) ByKey(ctx context.Context, key string) (domain.Attempt, bool, error) {
	rows, err := r.tx.Query(ctx, sqlAttemptsByKey, []string{key})
	if err != nil {
		return domain.Attempt{}, false, fmt.Errorf("read attempt: %w", err)
	}
	as, err := pgx.CollectRows(rows, scanAttempt)
	if err != nil || len(as) == 0 {
		return domain.Attempt{}, false, err
	}
	return as[0], true, nil
}

func (r attemptRepo) ByProviderID(ctx context.Context, provider, id string) (domain.Attempt, bool, error) {
	return r.one(ctx, sqlAttemptByProviderID, provider, id)
}

func (r attemptRepo) LatestTo(ctx context.Context, ch compliance.Channel, address string) (domain.Attempt, bool, error) {
	return r.one(ctx, sqlLatestAttemptTo, ch, address)
}

var attemptKeyset = postgres.SortKeyset("queued_at", true, postgres.Timestamptz, "a.queued_at", "a.id")

func (r attemptRepo) List(ctx context.Context, f app.AttemptQuery) (app.Page[domain.Attempt], error) {
	p, err := attemptKeyset.Page(f.Page.Cursor, f.Page.Limit)
	if err != nil {
		return app.Page[domain.Attempt]{}, err
	}
	q := newListQuery(`SELECT ` + attemptCols + ` FROM outreach.outreach_attempts a WHERE true`)
	if f.CampaignID != "" {
		q.and("a.campaign_id = " + q.arg(f.CampaignID) + "::uuid")
	}
	if f.LeadID != "" {
		q.and("a.lead_id = " + q.arg(f.LeadID) + "::uuid")
	}
	if f.Channel != "" {
		q.and("a.channel = " + q.arg(string(f.Channel)))
	}
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			st[i] = string(s)
		}
		q.and("a.status = ANY(" + q.arg(st) + "::text[])")
	}
	return listPage(ctx, r.tx, q, p, "list attempts", scanAttempt, func(a domain.Attempt) (any, string) { return a.QueuedAt, a.ID })
}

func (r attemptRepo) Metrics(ctx context.Context, campaignID string) ([]app.StepCounts, error) {
	rows, err := r.tx.Query(ctx, sqlAttemptMetrics, campaignID)
	if err != nil {
		return nil, fmt.Errorf("attempt metrics: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.StepCounts, error) {
		c := app.StepCounts{BlockedBy: map[string]int{}, DeferredBy: map[string]int{}}
		err := row.Scan(&c.Step, &c.Queued, &c.Sending, &c.Sent, &c.Delivered, &c.BouncedHard, &c.BouncedSoft, &c.Complained, &c.Opened,
			&c.Clicked, &c.Replied, &c.Blocked, &c.Deferred, &c.Failed, &c.Unknown)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("attempt metrics: %w", err)
	}
	at := make(map[int]int, len(out))
	for i, c := range out {
		at[c.Step] = i
	}
	rows, err = r.tx.Query(ctx, sqlAttemptReasons, campaignID)
	if err != nil {
		return nil, fmt.Errorf("attempt metrics: %w", err)
	}
	var step, n int
	var st, reason string
	_, err = pgx.ForEachRow(rows, []any{&step, &st, &reason, &n}, func() error {
		c := &out[at[step]]
		if st == string(domain.AttemptBlocked) {
			c.BlockedBy[reason] = n
		} else {
			c.DeferredBy[reason] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("attempt metrics: %w", err)
	}
	return out, nil
}

func (r attemptRepo) Unsubscribed(ctx context.Context, campaignID string) (int, error) {
	var n int
	if err := r.tx.QueryRow(ctx, sqlCampaignUnsubscribed, campaignID).Scan(&n); err != nil {
		return 0, fmt.Errorf("campaign unsubscribes: %w", err)
	}
	return n, nil
}

func (r attemptRepo) Rates(ctx context.Context, campaignID string) (int, int, int, error) {
	var sent, hard, complaints int
	if err := r.tx.QueryRow(ctx, sqlAttemptRates, campaignID).Scan(&sent, &hard, &complaints); err != nil {
		return 0, 0, 0, fmt.Errorf("attempt rates: %w", err)
	}
	return sent, hard, complaints, nil
}
