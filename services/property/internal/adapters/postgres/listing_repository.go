package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

type listingRepo struct{ tx pgx.Tx }

const listingColumns = `id, org_id, property_id, list_price_cents, standard_status, listing_contract_date::text,
	expiration_date::text, agent_user_id, remarks, version, created_at, updated_at`

const sqlListingInsert = `INSERT INTO property.listings (id, org_id, property_id, list_price_cents, standard_status,
	listing_contract_date, expiration_date, agent_user_id, remarks, version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8, $9, $10, $11, $12)`

const sqlListingUpdate = `UPDATE property.listings SET list_price_cents = $3, standard_status = $4,
	listing_contract_date = $5::date, expiration_date = $6::date, agent_user_id = $7, remarks = $8,
	version = $9, updated_at = $10
WHERE id = $1 AND org_id = $2`

const sqlListingGet = `SELECT ` + listingColumns + ` FROM property.listings WHERE id = $1`

const sqlListingList = `SELECT ` + listingColumns + ` FROM property.listings WHERE `

const sqlSnapshotInsert = `INSERT INTO property.listing_snapshots (id, org_id, listing_id, version, actor_id, snapshot, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

const sqlSnapshotList = `SELECT id, listing_id, version, actor_id, snapshot, created_at FROM property.listing_snapshots
WHERE listing_id = $1 AND ($2::int IS NULL OR version < $2) ORDER BY version DESC LIMIT $3`

func listingDest(l *domain.Listing) []any {
	return []any{&l.ID, &l.OrgID, &l.PropertyID, &l.ListPriceCents, &l.StandardStatus, &l.ListingContractDate,
		&l.ExpirationDate, &l.AgentUserID, &l.Remarks, &l.Version, &l.CreatedAt, &l.UpdatedAt}
}

func (r listingRepo) Create(ctx context.Context, l domain.Listing) error {
	_, err := r.tx.Exec(ctx, sqlListingInsert, l.ID, l.OrgID, l.PropertyID, l.ListPriceCents, l.StandardStatus,
		l.ListingContractDate, l.ExpirationDate, l.AgentUserID, l.Remarks, l.Version, l.CreatedAt, l.UpdatedAt)
	if _, ok := postgres.IsForeignKeyViolation(err); ok {
		return domain.ErrPropertyNotFound()
	}
	if err != nil {
		return fmt.Errorf("insert listing: %w", err)
	}
	return nil
}

func (r listingRepo) Update(ctx context.Context, l domain.Listing) error {
	tag, err := r.tx.Exec(ctx, sqlListingUpdate, l.ID, l.OrgID, l.ListPriceCents, l.StandardStatus,
		l.ListingContractDate, l.ExpirationDate, l.AgentUserID, l.Remarks, l.Version, l.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update listing: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return domain.ErrListingNotFound()
	}
	return nil
}

func (r listingRepo) get(ctx context.Context, query, id string) (domain.Listing, error) {
	var l domain.Listing
	err := r.tx.QueryRow(ctx, query, id).Scan(listingDest(&l)...)
	if postgres.IsNoRows(err) {
		return l, domain.ErrListingNotFound()
	}
	if err != nil {
		return l, fmt.Errorf("get listing: %w", err)
	}
	l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
	return l, nil
}

func (r listingRepo) Get(ctx context.Context, id string) (domain.Listing, error) {
	return r.get(ctx, sqlListingGet, id)
}

func (r listingRepo) GetForUpdate(ctx context.Context, id string) (domain.Listing, error) {
	return r.get(ctx, sqlListingGet+" FOR UPDATE", id)
}

func (r listingRepo) List(ctx context.Context, q app.ListingQuery) (app.Page[domain.Listing], error) {
	k, err := listKeyset(q.Sort, q.Desc)
	if err != nil {
		return app.Page[domain.Listing]{}, fmt.Errorf("list listings: %w", err)
	}
	page, err := k.Page(q.Cursor, q.Limit)
	if err != nil {
		return app.Page[domain.Listing]{}, err
	}
	var b builder
	if q.PropertyID != nil {
		b.where("property_id = %s", *q.PropertyID)
	}
	if len(q.Statuses) > 0 {
		b.where("standard_status = ANY(%s)", q.Statuses)
	}
	if q.AgentUserID != nil {
		b.where("agent_user_id = %s", *q.AgentUserID)
	}
	tail := b.seek(page)
	rows, err := r.tx.Query(ctx, sqlListingList+b.clause()+tail, b.args...)
	if err != nil {
		return app.Page[domain.Listing]{}, fmt.Errorf("list listings: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (domain.Listing, error) {
		var l domain.Listing
		err := row.Scan(listingDest(&l)...)
		l.CreatedAt, l.UpdatedAt = l.CreatedAt.UTC(), l.UpdatedAt.UTC()
		return l, err
	}, func(l domain.Listing) (any, string) { return sortValue(k, l.CreatedAt, l.ListPriceCents), l.ID })
	if err != nil {
		return app.Page[domain.Listing]{}, fmt.Errorf("list listings: %w", err)
	}
	return out, nil
}

func (r listingRepo) Snapshot(ctx context.Context, l domain.Listing, actorID string, data json.RawMessage) error {
	var actor *string
	if actorID != "" {
		actor = &actorID
	}
	_, err := r.tx.Exec(ctx, sqlSnapshotInsert, uuid.Must(uuid.NewV7()).String(), l.OrgID, l.ID, l.Version, actor, []byte(data), l.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert listing snapshot: %w", err)
	}
	return nil
}

// snapshotKeyset is the order of a listing's snapshots, newest version
// first.
var snapshotKeyset = postgres.Keyset{Sort: "version", Kind: postgres.Integer}

func (r listingRepo) Snapshots(ctx context.Context, listingID string, limit int, cursorText string) (app.Page[app.ListingSnapshot], error) {
	page, err := snapshotKeyset.Page(cursorText, limit)
	if err != nil {
		return app.Page[app.ListingSnapshot]{}, err
	}
	// A listing's versions are unique: the version alone seeks.
	before, _, fetch := page.Args()
	rows, err := r.tx.Query(ctx, sqlSnapshotList, listingID, before, fetch)
	if err != nil {
		return app.Page[app.ListingSnapshot]{}, fmt.Errorf("list snapshots: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (app.ListingSnapshot, error) {
		var s app.ListingSnapshot
		var data []byte
		err := row.Scan(&s.ID, &s.ListingID, &s.Version, &s.ActorID, &data, &s.CreatedAt)
		s.Snapshot, s.CreatedAt = data, s.CreatedAt.UTC()
		return s, err
	}, func(s app.ListingSnapshot) (any, string) { return s.Version, s.ID })
	if err != nil {
		return app.Page[app.ListingSnapshot]{}, fmt.Errorf("list snapshots: %w", err)
	}
	return out, nil
}
