package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

type propertyRepo struct{ tx pgx.Tx }

const propertyColumns = `id, org_id, listing_key, list_price_cents, bedrooms_total, bathrooms_total_integer,
	living_area, lot_size_acres::text, year_built, property_type, property_sub_type, standard_status,
	unparsed_address, street_number, street_name, unit_number, city, state_or_province, postal_code,
	country, latitude, longitude, public_remarks, created_at, updated_at, archived_at`

const sqlPropertyInsert = `INSERT INTO property.properties (id, org_id, listing_key, list_price_cents, bedrooms_total,
	bathrooms_total_integer, living_area, lot_size_acres, year_built, property_type, property_sub_type,
	standard_status, unparsed_address, street_number, street_name, unit_number, city, state_or_province,
	postal_code, country, latitude, longitude, public_remarks, created_at, updated_at, archived_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`

const sqlPropertyUpdate = `UPDATE property.properties SET listing_key = $3, list_price_cents = $4, bedrooms_total = $5,
	bathrooms_total_integer = $6, living_area = $7, lot_size_acres = $8::numeric, year_built = $9, property_type = $10,
	property_sub_type = $11, standard_status = $12, unparsed_address = $13, street_number = $14, street_name = $15,
	unit_number = $16, city = $17, state_or_province = $18, postal_code = $19, country = $20, latitude = $21,
	longitude = $22, public_remarks = $23, updated_at = $24, archived_at = $25
WHERE id = $1 AND org_id = $2`

const sqlPropertyGet = `SELECT ` + propertyColumns + ` FROM property.properties WHERE id = $1`

const sqlPropertyGetForUpdate = sqlPropertyGet + ` FOR UPDATE`

const sqlPropertyList = `SELECT ` + propertyColumns + ` FROM property.properties WHERE `

const sqlListingKeys = `SELECT listing_key FROM property.properties WHERE listing_key = ANY($1)`

// Search: search_page (migration 6) finds one page of the organisation's
// matches, filters and keyset applied inside its index scans, as
// (property_id, score) best first; the join back to properties applies
// row-level security again and reads the page's rows.
const sqlSearch = `SELECT ` + propertyColumns + `, score FROM (
	SELECT p.*, m.score
	FROM property.search_page($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) m
	JOIN property.properties p ON p.id = m.property_id) s
ORDER BY score DESC, id DESC`

const propertyConstraintListingKey = "properties_org_listing_key_key"

func propertyArgs(p domain.Property) []any {
	return []any{p.ID, p.OrgID, p.ListingKey, p.ListPriceCents, p.BedroomsTotal, p.BathroomsTotalInteger,
		p.LivingArea, p.LotSizeAcres, p.YearBuilt, p.PropertyType, p.PropertySubType, p.StandardStatus,
		p.UnparsedAddress, p.StreetNumber, p.StreetName, p.UnitNumber, p.City, p.StateOrProvince, p.PostalCode,
		p.Country, p.Latitude, p.Longitude, p.PublicRemarks, p.CreatedAt, p.UpdatedAt, p.ArchivedAt}
}

func propertyDest(p *domain.Property) []any {
	return []any{&p.ID, &p.OrgID, &p.ListingKey, &p.ListPriceCents, &p.BedroomsTotal, &p.BathroomsTotalInteger,
		&p.LivingArea, &p.LotSizeAcres, &p.YearBuilt, &p.PropertyType, &p.PropertySubType, &p.StandardStatus,
		&p.UnparsedAddress, &p.StreetNumber, &p.StreetName, &p.UnitNumber, &p.City, &p.StateOrProvince, &p.PostalCode,
		&p.Country, &p.Latitude, &p.Longitude, &p.PublicRemarks, &p.CreatedAt, &p.UpdatedAt, &p.ArchivedAt}
}

func utcProperty(p *domain.Property) {
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	if p.ArchivedAt != nil {
		t := p.ArchivedAt.UTC()
		p.ArchivedAt = &t
	}
}

func (r propertyRepo) Create(ctx context.Context, p domain.Property) error {
	if _, err := r.tx.Exec(ctx, sqlPropertyInsert, propertyArgs(p)...); err != nil {
		if c, ok := postgres.IsUniqueViolation(err); ok && c == propertyConstraintListingKey {
			return domain.ErrListingKeyTaken()
		}
		return fmt.Errorf("insert property: %w", err)
	}
	return nil
}

func (r propertyRepo) Update(ctx context.Context, p domain.Property) error {
	args := propertyArgs(p)[:23] // every column up to public_remarks; created_at never changes
	tag, err := r.tx.Exec(ctx, sqlPropertyUpdate, append(args, p.UpdatedAt, p.ArchivedAt)...)
	if err != nil {
		if c, ok := postgres.IsUniqueViolation(err); ok && c == propertyConstraintListingKey {
			return domain.ErrListingKeyTaken()
		}
		return fmt.Errorf("update property: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return domain.ErrPropertyNotFound()
	}
	return nil
}

func (r propertyRepo) get(ctx context.Context, query, id string) (domain.Property, error) {
	var p domain.Property
	err := r.tx.QueryRow(ctx, query, id).Scan(propertyDest(&p)...)
	if postgres.IsNoRows(err) {
		return p, domain.ErrPropertyNotFound()
	}
	if err != nil {
		return p, fmt.Errorf("get property: %w", err)
	}
	utcProperty(&p)
	return p, nil
}

func (r propertyRepo) Get(ctx context.Context, id string) (domain.Property, error) {
	return r.get(ctx, sqlPropertyGet, id)
}

func (r propertyRepo) GetForUpdate(ctx context.Context, id string) (domain.Property, error) {
	return r.get(ctx, sqlPropertyGetForUpdate, id)
}

func (r propertyRepo) ListingKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	rows, err := r.tx.Query(ctx, sqlListingKeys, keys)
	if err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		have[k] = true
	}
	return have, rows.Err()
}

// filter adds the conditions of f (fixed fragments, values as parameters).
// Every operator here is LEAKPROOF (text, integer, float and timestamp
// comparisons), which is what lets PostgreSQL use the indexes under
// row-level security; keep it that way when adding a filter.
func filter(b *builder, f app.PropertyFilter) {
	if !f.IncludeArchived {
		b.where("archived_at IS NULL")
	}
	switch {
	case len(f.Statuses) == 1:
		// Equality, not = ANY: PostgreSQL 15 reads an index in order only
		// without an array condition, and the status-then-sort indexes
		// (migration 6) stop after a page only when read in order.
		b.where("standard_status = %s", f.Statuses[0])
	case len(f.Statuses) > 1:
		b.where("standard_status = ANY(%s)", f.Statuses)
	}
	if len(f.Types) > 0 {
		b.where("property_type = ANY(%s)", f.Types)
	}
	if f.City != nil {
		// A parameter, not lower($n): a function call would keep the
		// condition off the index under row-level security (migration 2).
		b.where("city_key = %s", strings.ToLower(*f.City))
	}
	if f.PostalCode != nil {
		b.where("postal_code = %s", *f.PostalCode)
	}
	if f.MinPriceCents != nil {
		b.where("list_price_cents >= %s", *f.MinPriceCents)
	}
	if f.MaxPriceCents != nil {
		b.where("list_price_cents <= %s", *f.MaxPriceCents)
	}
	if f.MinBeds != nil {
		b.where("bedrooms_total >= %s", *f.MinBeds)
	}
	if f.MaxBeds != nil {
		b.where("bedrooms_total <= %s", *f.MaxBeds)
	}
	if f.MinBaths != nil {
		b.where("bathrooms_total_integer >= %s", *f.MinBaths)
	}
	if f.MaxBaths != nil {
		b.where("bathrooms_total_integer <= %s", *f.MaxBaths)
	}
	if bb := f.BBox; bb != nil {
		b.where("latitude BETWEEN %s AND %s AND longitude BETWEEN %s AND %s", bb.MinLat, bb.MaxLat, bb.MinLon, bb.MaxLon)
	}
}

// pageSQL is one page's query: its SQL and parameters, and the page the
// caller cuts its rows into.
type pageSQL struct {
	sql  string
	args []any // a pgx.QueryExecMode first, when the query needs its own
	page postgres.Page
}

// listExecMode plans every list query with its values: a cached prepared
// statement turns generic after five runs, and a generic plan cannot tell
// a city's Closed rows (tens of thousands) from its Active ones, so it
// picked a price range scan plus sort where the created_at index stops
// after a page (measured at 1M rows: 190 ms instead of 11 ms). The
// statement description is still cached: one round trip.
const listExecMode = pgx.QueryExecModeCacheDescribe

// listSQL builds the query of a property list page.
func listSQL(q app.PropertyQuery) (pageSQL, error) {
	k, err := listKeyset(q.Sort, q.Desc)
	if err != nil {
		return pageSQL{}, fmt.Errorf("list properties: %w", err)
	}
	page, err := k.Page(q.Cursor, q.Limit)
	if err != nil {
		return pageSQL{}, err
	}
	var b builder
	filter(&b, q.Filter)
	tail := b.seek(page)
	args := append([]any{listExecMode}, b.args...)
	return pageSQL{sql: sqlPropertyList + b.clause() + tail, args: args, page: page}, nil
}

func (r propertyRepo) List(ctx context.Context, q app.PropertyQuery) (app.Page[domain.Property], error) {
	ps, err := listSQL(q)
	if err != nil {
		return app.Page[domain.Property]{}, err
	}
	rows, err := r.tx.Query(ctx, ps.sql, ps.args...)
	if err != nil {
		return app.Page[domain.Property]{}, fmt.Errorf("list properties: %w", err)
	}
	page, err := collectPage(ps.page, rows, func(row pgx.CollectableRow) (domain.Property, error) {
		var p domain.Property
		err := row.Scan(propertyDest(&p)...)
		utcProperty(&p)
		return p, err
	}, func(p domain.Property) (any, string) {
		return sortValue(ps.page.Keyset, p.CreatedAt, p.ListPriceCents), p.ID
	})
	if err != nil {
		return app.Page[domain.Property]{}, fmt.Errorf("list properties: %w", err)
	}
	return page, nil
}

// searchKeyset is the order of search pages, best score first; the
// position binds search_page's after_score and after_id.
var searchKeyset = postgres.Keyset{Sort: "score", Kind: postgres.Double}

// searchSQL builds the query of a search page: the terms and every filter
// as search_page's parameters (NULL: no filter).
func searchSQL(q app.SearchQuery) (pageSQL, error) {
	page, err := searchKeyset.Page(q.Cursor, q.Limit)
	if err != nil {
		return pageSQL{}, err
	}
	afterScore, afterID, fetch := page.Args()
	f := q.Filter
	var city *string
	if f.City != nil {
		lower := strings.ToLower(*f.City)
		city = &lower
	}
	var bbox []float64
	if b := f.BBox; b != nil {
		bbox = []float64{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}
	}
	args := []any{q.Query.Text, f.Statuses, f.Types, city, f.PostalCode, f.MinPriceCents, f.MaxPriceCents,
		f.MinBeds, f.MaxBeds, f.MinBaths, f.MaxBaths, bbox, f.IncludeArchived, afterScore, afterID, fetch}
	return pageSQL{sql: sqlSearch, args: args, page: page}, nil
}

func (r propertyRepo) Search(ctx context.Context, q app.SearchQuery) (app.Page[app.SearchHit], error) {
	ps, err := searchSQL(q)
	if err != nil {
		return app.Page[app.SearchHit]{}, err
	}
	rows, err := r.tx.Query(ctx, ps.sql, ps.args...)
	if err != nil {
		return app.Page[app.SearchHit]{}, fmt.Errorf("search properties: %w", err)
	}
	page, err := collectPage(ps.page, rows, func(row pgx.CollectableRow) (app.SearchHit, error) {
		var h app.SearchHit
		err := row.Scan(append(propertyDest(&h.Property), &h.Score)...)
		utcProperty(&h.Property)
		return h, err
	}, func(h app.SearchHit) (any, string) { return h.Score, h.Property.ID })
	if err != nil {
		return app.Page[app.SearchHit]{}, fmt.Errorf("search properties: %w", err)
	}
	return page, nil
}
