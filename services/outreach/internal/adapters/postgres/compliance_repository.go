package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

const (
	sqlUnsubscribe = `INSERT INTO outreach.unsubscribes (org_id, channel, address, contact_id, lead_id, campaign_id, source, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, channel, address) DO NOTHING`
	sqlIsUnsubscribed = `SELECT EXISTS (SELECT 1 FROM outreach.unsubscribes WHERE channel = $1 AND address = $2)`
	sqlAddDNC         = `INSERT INTO outreach.dnc_entries (id, org_id, phone, reason, added_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (org_id, phone) DO NOTHING`
	sqlGetDNC    = `SELECT id::text, phone, reason, added_by::text, created_at FROM outreach.dnc_entries WHERE phone = $1`
	sqlRemoveDNC = `DELETE FROM outreach.dnc_entries WHERE phone = $1`
	sqlListDNC   = `SELECT d.id::text, d.phone, d.reason, d.added_by::text, d.created_at FROM outreach.dnc_entries d
WHERE ($1::timestamptz IS NULL OR (d.created_at, d.id) < ($1, $2::uuid)) ORDER BY d.created_at DESC, d.id DESC LIMIT $3`
	sqlAppendConsent = `INSERT INTO outreach.consent_log (id, org_id, channel, address, contact_id, lead_id, action, source, proof,
    actor_id, occurred_at, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	consentCols = `l.id::text, l.channel, l.address, l.contact_id::text, l.lead_id::text, l.action, l.source, l.proof, l.actor_id::text,
l.occurred_at, l.recorded_at`
)

func (r complianceRepo) Unsubscribe(ctx context.Context, orgID string, u domain.Unsubscribe) (bool, error) {
	tag, err := r.tx.Exec(ctx, sqlUnsubscribe, orgID, u.Channel, u.Address, u.ContactID, u.LeadID, u.CampaignID, u.Source, u.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("unsubscribe: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (r complianceRepo) IsUnsubscribed(ctx context.Context, ch compliance.Channel, address string) (bool, error) {
	var yes bool
	if err := r.tx.QueryRow(ctx, sqlIsUnsubscribed, ch, address).Scan(&yes); err != nil {
		return false, fmt.Errorf("is unsubscribed: %w", err)
	}
	return yes, nil
}

// AddDNC inserts e unless the number is listed; either way e ends as the
// entry on the list (the existing one when it was there).
func (r complianceRepo) AddDNC(ctx context.Context, orgID string, e domain.DNCEntry) (domain.DNCEntry, bool, error) {
	tag, err := r.tx.Exec(ctx, sqlAddDNC, e.ID, orgID, e.Phone, e.Reason, e.AddedBy, e.CreatedAt)
	if err != nil {
		return e, false, fmt.Errorf("add dnc: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return e, true, nil
	}
	existing, err := r.getDNC(ctx, e.Phone)
	return existing, false, err
}

func (r complianceRepo) RemoveDNC(ctx context.Context, phone string) error {
	tag, err := r.tx.Exec(ctx, sqlRemoveDNC, phone)
	if err != nil {
		return fmt.Errorf("remove dnc: %w", err)
	}
	return expectOne(tag, domain.ReasonDNCNotFound, "do-not-call entry")
}

// getDNC returns a listed number's entry.
func (r complianceRepo) getDNC(ctx context.Context, phone string) (domain.DNCEntry, error) {
	rows, _ := r.tx.Query(ctx, sqlGetDNC, phone)
	e, err := pgx.CollectExactlyOneRow(rows, scanDNC)
	return e, notFound(err, domain.ReasonDNCNotFound, "do-not-call entry")
}

func scanDNC(row pgx.CollectableRow) (domain.DNCEntry, error) {
	var e domain.DNCEntry
	err := row.Scan(&e.ID, &e.Phone, &e.Reason, &e.AddedBy, &e.CreatedAt)
	return e, err
}

var dncKeyset = newestFirst("d")

func (r complianceRepo) ListDNC(ctx context.Context, pr app.PageRequest) (app.Page[domain.DNCEntry], error) {
	p, err := dncKeyset.Page(pr.Cursor, pr.Limit)
	if err != nil {
		return app.Page[domain.DNCEntry]{}, err
	}
	v, id, n := p.Args()
	rows, err := r.tx.Query(ctx, sqlListDNC, v, id, n)
	if err != nil {
		return app.Page[domain.DNCEntry]{}, fmt.Errorf("list dnc: %w", err)
	}
	return collectPage(p, rows, scanDNC, func(e domain.DNCEntry) (any, string) { return e.CreatedAt, e.ID })
}

func (r complianceRepo) AppendConsent(ctx context.Context, orgID string, e domain.ConsentEntry) error {
	if _, err := r.tx.Exec(ctx, sqlAppendConsent, e.ID, orgID, e.Channel, e.Address, e.ContactID, e.LeadID, e.Action, e.Source,
		e.Proof, e.ActorID, e.OccurredAt, e.RecordedAt); err != nil {
		return fmt.Errorf("append consent: %w", err)
	}
	return nil
}

var consentKeyset = newestFirst("l")

func scanConsent(row pgx.CollectableRow) (domain.ConsentEntry, error) {
	var e domain.ConsentEntry
	var ch string
	err := row.Scan(&e.ID, &ch, &e.Address, &e.ContactID, &e.LeadID, &e.Action, &e.Source, &e.Proof, &e.ActorID, &e.OccurredAt, &e.RecordedAt)
	e.Channel = compliance.Channel(ch)
	return e, err
}

// ListConsent pages the log newest recorded first (created_at in the
// keyset is the recording time).
func (r complianceRepo) ListConsent(ctx context.Context, q app.ConsentQuery) (app.Page[domain.ConsentEntry], error) {
	ks := consentKeyset
	ks.Expr = "l.recorded_at"
	p, err := ks.Page(q.Page.Cursor, q.Page.Limit)
	if err != nil {
		return app.Page[domain.ConsentEntry]{}, err
	}
	lq := newListQuery(`SELECT ` + consentCols + ` FROM outreach.consent_log l WHERE true`)
	if q.Channel != "" {
		lq.and("l.channel = " + lq.arg(string(q.Channel)))
	}
	if q.Address != "" {
		lq.and("l.address = " + lq.arg(q.Address))
	}
	if q.ContactID != "" {
		lq.and("l.contact_id = " + lq.arg(q.ContactID) + "::uuid")
	}
	return listPage(ctx, r.tx, lq, p, "list consent", scanConsent, func(e domain.ConsentEntry) (any, string) { return e.RecordedAt, e.ID })
}

// sqlRecipientFacts reads every list's answer for each recipient in one
// query: each subquery is a lookup on its list's primary key or the
// consent log's (channel, address, occurred_at, recorded_at) index.
const sqlRecipientFacts = `SELECT r.ch, r.addr,
    EXISTS (SELECT 1 FROM outreach.unsubscribes u WHERE u.channel = r.ch AND u.address = r.addr),
    r.ch = 'sms' AND EXISTS (SELECT 1 FROM outreach.dnc_entries d WHERE d.phone = r.addr),
    coalesce((SELECT s.reason FROM outreach.suppressions s WHERE s.channel = r.ch AND s.address = r.addr), ''),
    coalesce((SELECT l.action FROM outreach.consent_log l WHERE l.channel = r.ch AND l.address = r.addr
              ORDER BY l.occurred_at DESC, l.recorded_at DESC LIMIT 1), '')
FROM (SELECT DISTINCT ch, addr FROM unnest($1::text[], $2::text[]) AS x(ch, addr)) r`

func (r complianceRepo) Facts(ctx context.Context, rs []app.Recipient) (map[app.Recipient]app.RecipientFacts, error) {
	out := make(map[app.Recipient]app.RecipientFacts, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	chs, addrs := make([]string, len(rs)), make([]string, len(rs))
	for i, rc := range rs {
		chs[i], addrs[i] = string(rc.Channel), rc.Address
	}
	rows, err := r.tx.Query(ctx, sqlRecipientFacts, chs, addrs)
	if err != nil {
		return nil, fmt.Errorf("recipient facts: %w", err)
	}
	var ch, addr, consent string
	var f app.RecipientFacts
	_, err = pgx.ForEachRow(rows, []any{&ch, &addr, &f.Unsubscribed, &f.DoNotCall, &f.Suppressed, &consent}, func() error {
		f.Consent = compliance.ConsentState(consent)
		out[app.Recipient{Channel: compliance.Channel(ch), Address: addr}] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recipient facts: %w", err)
	}
	return out, nil
}
