package app

import (
	"context"
	"errors"

	"reos.dev/pkg/events"
	"reos.dev/services/crm/internal/domain"
)

// SnapshotStore is what `crm republish` reads through: the organisations
// and, in one transaction per batch, their contacts and leads.
type SnapshotStore interface {
	// OrgIDs lists at most limit ids of organisations that have contacts
	// (every lead has one), after `after` ("" for the first), in id
	// order, across tenants.
	OrgIDs(ctx context.Context, after string, limit int) ([]string, error)
	// InOrg runs fn in one transaction scoped to orgID.
	InOrg(ctx context.Context, orgID string, fn func(SnapshotTx) error) error
}

// SnapshotTx reads a batch of contacts or leads (with their source's key)
// and writes their events, in one transaction. Each read returns at most
// limit rows after `after` ("" for the first) in id order and holds them
// FOR SHARE until the transaction ends, so a change that would announce
// another state (any UPDATE of the row) either committed before the read
// — its event is earlier in the outbox — or waits and follows the
// snapshot. New rows do not wait.
type SnapshotTx interface {
	Contacts(ctx context.Context, after string, limit int) ([]domain.Contact, error)
	Leads(ctx context.Context, after string, limit int) ([]LeadRow, error)
	Publisher
}

// Republisher is `crm republish`: every contact of each organisation as
// contact.updated, then every lead (archived ones too) as lead.updated,
// with the same data as the live events — the contract's snapshot, from
// which outreach's audience read model can be rebuilt.
func Republisher(store SnapshotStore) (events.Republisher, error) {
	if store == nil {
		return events.Republisher{}, errors.New("app: Republisher: nil store")
	}
	contacts := func(ctx context.Context, org, after string, limit int) (string, int, error) {
		return snapshotBatch(ctx, store, org, func(tx SnapshotTx) ([]Event, string, error) {
			cs, err := tx.Contacts(ctx, after, limit)
			if err != nil || len(cs) == 0 {
				return nil, "", err
			}
			return contactEvents(nil, cs), cs[len(cs)-1].ID, nil
		})
	}
	leads := func(ctx context.Context, org, after string, limit int) (string, int, error) {
		return snapshotBatch(ctx, store, org, func(tx SnapshotTx) ([]Event, string, error) {
			rows, err := tx.Leads(ctx, after, limit)
			if err != nil || len(rows) == 0 {
				return nil, "", err
			}
			evs := make([]Event, len(rows))
			for i, r := range rows {
				evs[i] = newEvent(EventLeadUpdated, r.Lead.ID, leadEvent(r))
			}
			return evs, rows[len(rows)-1].Lead.ID, nil
		})
	}
	return events.Republisher{Orgs: store.OrgIDs, Kinds: []events.SnapshotKind{
		{Name: "contacts", Batch: contacts}, {Name: "leads", Batch: leads},
	}}, nil
}

// snapshotBatch runs one batch of org: read returns the batch's events and
// the id of its last row; they are published in the same transaction.
func snapshotBatch(ctx context.Context, store SnapshotStore, org string,
	read func(SnapshotTx) ([]Event, string, error)) (last string, n int, err error) {
	err = store.InOrg(ctx, org, func(tx SnapshotTx) error {
		evs, id, err := read(tx)
		if err != nil || len(evs) == 0 {
			return err
		}
		last, n = id, len(evs)
		return tx.Publish(ctx, org, evs...)
	})
	return last, n, err
}
