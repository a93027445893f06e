package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// Bulk loading of generated properties (cmd/property-benchdata). Rows go
// in as the service role inside postgres.InOrgTx, through the same
// INSERT INTO properties as the service's own writes, so row-level
// security checks every row, the generated columns are computed and the
// search trigger fills property_search: the loaded state is the state the
// API would have produced. Only the per-row history and the
// property.created events are left out; search and lists read neither,
// and a million events would keep the relay busy during a benchmark.

// sqlBulkStaging is a temporary table of properties' writable columns
// (lot size as text, as the domain keeps it); COPY is not allowed into a
// table with row-level security, so rows are copied here first.
const sqlBulkStaging = `CREATE TEMP TABLE bulk_properties ON COMMIT DROP AS
SELECT id, org_id, listing_key, list_price_cents, bedrooms_total, bathrooms_total_integer, living_area,
	lot_size_acres::text AS lot_size_acres, year_built, property_type, property_sub_type, standard_status,
	unparsed_address, street_number, street_name, unit_number, city, state_or_province, postal_code, country,
	latitude, longitude, public_remarks, created_at, updated_at, archived_at
FROM property.properties WITH NO DATA`

var bulkColumns = []string{"id", "org_id", "listing_key", "list_price_cents", "bedrooms_total",
	"bathrooms_total_integer", "living_area", "lot_size_acres", "year_built", "property_type", "property_sub_type",
	"standard_status", "unparsed_address", "street_number", "street_name", "unit_number", "city", "state_or_province",
	"postal_code", "country", "latitude", "longitude", "public_remarks", "created_at", "updated_at", "archived_at"}

const sqlBulkInsert = `INSERT INTO property.properties (id, org_id, listing_key, list_price_cents, bedrooms_total,
	bathrooms_total_integer, living_area, lot_size_acres, year_built, property_type, property_sub_type,
	standard_status, unparsed_address, street_number, street_name, unit_number, city, state_or_province,
	postal_code, country, latitude, longitude, public_remarks, created_at, updated_at, archived_at)
SELECT id, org_id, listing_key, list_price_cents, bedrooms_total, bathrooms_total_integer, living_area,
	lot_size_acres::numeric, year_built, property_type, property_sub_type, standard_status, unparsed_address,
	street_number, street_name, unit_number, city, state_or_province, postal_code, country, latitude, longitude,
	public_remarks, created_at, updated_at, archived_at
FROM pg_temp.bulk_properties ORDER BY created_at, id`

const sqlBulkCount = `SELECT count(*) FROM property.properties WHERE id = ANY($1::uuid[])`

// BulkInsertProperties stores props, all of orgID, in one transaction.
func BulkInsertProperties(ctx context.Context, pool *pgxpool.Pool, orgID string, props []domain.Property) error {
	return postgres.InOrgTx(ctx, pool, orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlBulkStaging); err != nil {
			return fmt.Errorf("bulk staging table: %w", err)
		}
		rows := make([][]any, len(props))
		for i, p := range props {
			rows[i] = propertyArgs(p)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bulk_properties"}, bulkColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy properties: %w", err)
		}
		if _, err := tx.Exec(ctx, sqlBulkInsert); err != nil {
			return fmt.Errorf("insert properties: %w", err)
		}
		return nil
	})
}

// CountProperties counts which of ids orgID has.
func CountProperties(ctx context.Context, pool *pgxpool.Pool, orgID string, ids []string) (int, error) {
	var n int
	err := postgres.InOrgTx(ctx, pool, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, sqlBulkCount, ids).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count properties: %w", err)
	}
	return n, nil
}

// SettleProperties vacuums and analyses the tables a bulk load filled, as
// autovacuum would soon after: fresh statistics for the planner, the
// visibility map for index-only scans and the GIN pending lists merged.
// It needs the tables' owner (the migration role), not the service role.
func SettleProperties(ctx context.Context, ownerPool *pgxpool.Pool) error {
	if _, err := ownerPool.Exec(ctx, `VACUUM (ANALYZE) property.properties, property.property_search`); err != nil {
		return fmt.Errorf("vacuum properties: %w", err)
	}
	return nil
}

// RunListPage runs a property list page in orgID's transaction, through
// the repository the service uses, and discards it: the benchmark captures
// the plans with auto_explain (which also shows what search_page's EXECUTE
// runs, hidden from EXPLAIN of the outer query).
func RunListPage(ctx context.Context, pool *pgxpool.Pool, orgID string, q app.PropertyQuery) error {
	return postgres.InOrgTx(ctx, pool, orgID, func(tx pgx.Tx) error {
		_, err := propertyRepo{tx: tx}.List(ctx, q)
		return err
	})
}

// RunSearchPage is RunListPage for a search page.
func RunSearchPage(ctx context.Context, pool *pgxpool.Pool, orgID string, q app.SearchQuery) error {
	return postgres.InOrgTx(ctx, pool, orgID, func(tx pgx.Tx) error {
		_, err := propertyRepo{tx: tx}.Search(ctx, q)
		return err
	})
}
