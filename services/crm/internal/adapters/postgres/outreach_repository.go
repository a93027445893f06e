package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/services/crm/internal/app"
)

const (
	sqlLeadKnown    = `SELECT EXISTS (SELECT 1 FROM crm.leads WHERE id = $1)`
	sqlContactKnown = `SELECT EXISTS (SELECT 1 FROM crm.contacts WHERE id = $1)`
	// An event already recorded (a redelivery past the inbox, a replay
	// under another consumer name) changes nothing.
	sqlRecordOutreach = `INSERT INTO crm.outreach_events (id, org_id, event_id, type, lead_id, contact_id, summary, detail, occurred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (org_id, event_id) DO NOTHING`
)

// outreachTimeline is app.OutreachTimeline over the consumer's transaction.
type outreachTimeline struct{ tx pgx.Tx }

var _ app.OutreachTimeline = outreachTimeline{}

func (m outreachTimeline) LeadKnown(ctx context.Context, id string) (bool, error) {
	return m.exists(ctx, sqlLeadKnown, id)
}

func (m outreachTimeline) ContactKnown(ctx context.Context, id string) (bool, error) {
	return m.exists(ctx, sqlContactKnown, id)
}

func (m outreachTimeline) exists(ctx context.Context, sql, id string) (bool, error) {
	var ok bool
	if err := m.tx.QueryRow(ctx, sql, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("outreach timeline lookup: %w", err)
	}
	return ok, nil
}

func (m outreachTimeline) Record(ctx context.Context, orgID, id string, e app.OutreachEntry) error {
	_, err := m.tx.Exec(ctx, sqlRecordOutreach, id, orgID, e.EventID, e.Type, e.LeadID, e.ContactID, e.Summary, e.Detail, e.OccurredAt)
	if err != nil {
		return fmt.Errorf("record outreach event: %w", err)
	}
	return nil
}

// OutreachEventHandler is the events.Handler of the lead timeline's
// outreach entries: app.ApplyOutreachEvent writing through the consumer's
// transaction (in which app.org_id is the event's organisation).
func OutreachEventHandler() events.Handler {
	return func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
		return app.ApplyOutreachEvent(ctx, outreachTimeline{tx: tx}, ev)
	}
}
