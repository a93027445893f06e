package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain/compliance"
)

const (
	sqlRecordEvent = `INSERT INTO outreach.deliverability_events (id, org_id, attempt_id, provider, provider_event_id, type, recipient,
    recipient_domain, detail, url, occurred_at, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (org_id, provider, provider_event_id) DO NOTHING`
	sqlSuppress = `INSERT INTO outreach.suppressions (org_id, channel, address, reason, detail, attempt_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, channel, address) DO NOTHING`
	sqlSoftBounce = `INSERT INTO outreach.bounce_streaks (org_id, channel, address, soft_bounces, updated_at) VALUES ($1, $2, $3, 1, $4)
ON CONFLICT (org_id, channel, address) DO UPDATE SET soft_bounces = outreach.bounce_streaks.soft_bounces + 1, updated_at = EXCLUDED.updated_at
RETURNING soft_bounces`
	sqlResetBounces = `DELETE FROM outreach.bounce_streaks WHERE channel = $1 AND address = $2`
	sqlResubscribe  = `DELETE FROM outreach.unsubscribes WHERE channel = $1 AND address = $2`
	// sqlDeliverability counts, per recipient domain (the attempt's
	// address's for email; "sms" for texts) and provider, the accepted
	// sends and the providers' events by type.
	sqlDeliverability = `WITH a AS (
    SELECT a.id, coalesce(a.provider, '') AS provider,
        CASE WHEN a.channel = 'sms' THEN 'sms' ELSE lower(split_part(coalesce(a.address, ''), '@', 2)) END AS domain,
        a.status IN ('sent', 'delivered', 'bounced', 'complained') AS accepted
    FROM outreach.outreach_attempts a WHERE ($1::uuid IS NULL OR a.campaign_id = $1) AND a.provider IS NOT NULL)
SELECT a.domain, a.provider, '', count(*) FILTER (WHERE a.accepted) FROM a GROUP BY 1, 2
UNION ALL
SELECT a.domain, a.provider, e.type, count(*) FROM a JOIN outreach.deliverability_events e ON e.attempt_id = a.id GROUP BY 1, 2, 3
ORDER BY 1, 2, 3`
)

func (r deliverabilityRepo) Record(ctx context.Context, orgID string, e app.DeliverabilityEvent) (bool, error) {
	tag, err := r.tx.Exec(ctx, sqlRecordEvent, e.ID, orgID, e.AttemptID, e.Provider, e.ProviderEventID, e.Type, e.Recipient,
		e.RecipientDomain, e.Detail, e.URL, e.OccurredAt, e.ReceivedAt)
	if err != nil {
		return false, fmt.Errorf("record deliverability event: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (r deliverabilityRepo) Suppress(ctx context.Context, orgID string, ch compliance.Channel, address, reason, detail string,
	attemptID *string, now time.Time) (bool, error) {
	var d *string
	if detail != "" {
		d = &detail
	}
	tag, err := r.tx.Exec(ctx, sqlSuppress, orgID, ch, address, reason, d, attemptID, now)
	if err != nil {
		return false, fmt.Errorf("suppress: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (r deliverabilityRepo) SoftBounce(ctx context.Context, orgID string, ch compliance.Channel, address string, now time.Time) (int, error) {
	var n int
	if err := r.tx.QueryRow(ctx, sqlSoftBounce, orgID, ch, address, now).Scan(&n); err != nil {
		return 0, fmt.Errorf("soft bounce: %w", err)
	}
	return n, nil
}

func (r deliverabilityRepo) ResetBounces(ctx context.Context, ch compliance.Channel, address string) error {
	if _, err := r.tx.Exec(ctx, sqlResetBounces, ch, address); err != nil {
		return fmt.Errorf("reset bounces: %w", err)
	}
	return nil
}

func (r deliverabilityRepo) Resubscribe(ctx context.Context, ch compliance.Channel, address string) (bool, error) {
	tag, err := r.tx.Exec(ctx, sqlResubscribe, ch, address)
	if err != nil {
		return false, fmt.Errorf("resubscribe: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

func (r deliverabilityRepo) Report(ctx context.Context, campaignID string) ([]app.DeliverabilityRow, error) {
	var cid *string
	if campaignID != "" {
		cid = &campaignID
	}
	rows, err := r.tx.Query(ctx, sqlDeliverability, cid)
	if err != nil {
		return nil, fmt.Errorf("deliverability: %w", err)
	}
	var out []app.DeliverabilityRow
	var dom, prov, typ string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&dom, &prov, &typ, &n}, func() error {
		if len(out) == 0 || out[len(out)-1].Domain != dom || out[len(out)-1].Provider != prov {
			out = append(out, app.DeliverabilityRow{Domain: dom, Provider: prov, ByType: map[string]int{}})
		}
		row := &out[len(out)-1]
		if typ == "" {
			row.Sent = n
		} else {
			row.ByType[typ] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deliverability: %w", err)
	}
	return out, nil
}
