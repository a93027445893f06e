package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

type valuationRepo struct{ tx pgx.Tx }

const valuationColumns = `id, org_id, property_id, status, requested_by, requested_at, as_of, job_id, completed_at,
	method, estimate_cents, low_cents, high_cents, confidence, price_per_sqft_cents, market_region, market_month,
	market_index, comparables, memo, memo_sha256, failure_reason, failure_message`

const sqlValuationInsert = `INSERT INTO property.property_valuations (id, org_id, property_id, status, requested_by,
	requested_at, as_of, job_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

const sqlValuationGet = `SELECT ` + valuationColumns + ` FROM property.property_valuations WHERE id = $1 AND property_id = $2`

const sqlValuationList = `SELECT ` + valuationColumns + ` FROM property.property_valuations
WHERE property_id = $1 AND ($2::timestamptz IS NULL OR (requested_at, id) < ($2, $3::uuid))
ORDER BY requested_at DESC, id DESC LIMIT $4`

const sqlValuationRecord = `UPDATE property.property_valuations SET status = $2, job_id = $3, completed_at = $4,
	method = $5, estimate_cents = $6, low_cents = $7, high_cents = $8, confidence = $9, price_per_sqft_cents = $10,
	market_region = $11, market_month = $12, market_index = $13, comparables = $14, memo = $15, memo_sha256 = $16,
	failure_reason = $17, failure_message = $18
WHERE id = $1`

// sqlCandidates finds a subject's possible comparables: the org's other
// properties of its type, not archived, with a living area, near it (inside
// the box around its coordinates; in its postal code or city when either
// side has none), nearest first, then by id. Only the nearest $14 are
// priced, which bounds the per-row price lookups however many properties a
// city has. The price is the latest Closed listing's when there is one,
// otherwise the property's own; it was set when that listing last changed,
// or at the last change of list_price_cents in the history (its creation
// when never changed). Those priced inside the window are returned.
// Parameters: $1 subject id, $2 type, $3/$4 subject latitude/longitude
// (NULL: no box), $5–$8 box, $9 postal code, $10 city key, $11/$12 price
// window, $13 limit, $14 how many nearest to price.
const sqlCandidates = `SELECT id, unparsed_address, city, postal_code, living_area, bedrooms_total,
	bathrooms_total_integer, year_built, latitude, longitude, price_cents, price_source, priced_at
FROM (
	SELECT p.id, p.unparsed_address, p.city, p.postal_code, p.living_area, p.bedrooms_total,
		p.bathrooms_total_integer, p.year_built, p.latitude, p.longitude, p.nearness,
		coalesce(c.list_price_cents, p.list_price_cents) AS price_cents,
		CASE WHEN c.id IS NOT NULL THEN 'closed_listing' WHEN p.standard_status = 'Closed' THEN 'closed' ELSE 'list_price' END AS price_source,
		coalesce(c.updated_at, h.changed_at, p.created_at) AS priced_at
	FROM (
		SELECT p.*, CASE WHEN p.latitude IS NULL OR $3::float8 IS NULL THEN NULL
			ELSE (p.latitude - $3::float8) ^ 2 + ((p.longitude - $4::float8) * cos(radians($3::float8))) ^ 2 END AS nearness
		FROM property.properties p
		WHERE p.id <> $1 AND p.archived_at IS NULL AND p.property_type = $2 AND p.living_area > 0
			AND (($3::float8 IS NOT NULL AND p.latitude BETWEEN $5 AND $6 AND p.longitude BETWEEN $7 AND $8)
				OR (($3::float8 IS NULL OR p.latitude IS NULL) AND (p.postal_code = $9 OR p.city_key = $10)))
		ORDER BY nearness NULLS LAST, p.id
		LIMIT $14
	) p
	LEFT JOIN LATERAL (
		SELECT l.id, l.list_price_cents, l.updated_at FROM property.listings l
		WHERE l.org_id = p.org_id AND l.property_id = p.id AND l.standard_status = 'Closed'
		ORDER BY l.updated_at DESC, l.id DESC LIMIT 1
	) c ON true
	LEFT JOIN LATERAL (
		SELECT max(ph.changed_at) AS changed_at FROM property.property_history ph
		WHERE ph.property_id = p.id AND ph.field = 'list_price_cents'
	) h ON true
) cand
WHERE price_cents > 0 AND priced_at >= $11 AND priced_at < $12
ORDER BY nearness NULLS LAST, id
LIMIT $13`

// candidateScan is how many times the limit of nearest candidates are
// priced before the price window filters them.
const candidateScan = 5

// comparableJSON is a comparable as stored in the comparables column.
type comparableJSON struct {
	PropertyID                string  `json:"property_id"`
	Address                   string  `json:"address"`
	City                      string  `json:"city"`
	PostalCode                *string `json:"postal_code"`
	DistanceMeters            *int64  `json:"distance_meters"`
	LivingArea                int64   `json:"living_area"`
	Beds                      *int    `json:"bedrooms_total"`
	Baths                     *int    `json:"bathrooms_total_integer"`
	YearBuilt                 *int    `json:"year_built"`
	PriceCents                int64   `json:"price_cents"`
	PriceSource               string  `json:"price_source"`
	PriceMonth                string  `json:"price_month"`
	PricePerSqftCents         int64   `json:"price_per_sqft_cents"`
	IndexFactorBP             int64   `json:"index_factor_bp"`
	AdjustedPricePerSqftCents int64   `json:"adjusted_price_per_sqft_cents"`
	Similarity                int     `json:"similarity"`
	WeightBP                  int64   `json:"weight_bp"`
}

func (r valuationRepo) Create(ctx context.Context, v domain.Valuation) error {
	_, err := r.tx.Exec(ctx, sqlValuationInsert, v.ID, v.OrgID, v.PropertyID, v.Status, v.RequestedBy,
		v.RequestedAt, v.AsOf, v.JobID)
	if err != nil {
		return fmt.Errorf("insert valuation: %w", err)
	}
	return nil
}

func (r valuationRepo) Record(ctx context.Context, v domain.Valuation) error {
	var (
		method, region, month, memo, sha *string
		estimate, low, high, ppsf, index *int64
		confidence                       *int
		comps                            []byte
	)
	if res := v.Result; res != nil {
		m := res.Market.Month.String()
		method, region, month, memo, sha = &res.Method, &res.Market.Region, &m, &res.Memo, &res.MemoSHA256
		estimate, low, high, ppsf, index = &res.EstimateCents, &res.LowCents, &res.HighCents, &res.PricePerSqftCents, &res.Market.Index
		confidence = &res.Confidence
		stored := make([]comparableJSON, len(res.Comparables))
		for i, c := range res.Comparables {
			stored[i] = comparableJSON{PropertyID: c.PropertyID, Address: c.Address, City: c.City, PostalCode: c.PostalCode,
				DistanceMeters: c.DistanceMeters, LivingArea: c.LivingArea, Beds: c.Beds, Baths: c.Baths, YearBuilt: c.YearBuilt,
				PriceCents: c.PriceCents, PriceSource: c.PriceSource, PriceMonth: c.PriceMonth.String(),
				PricePerSqftCents: c.PricePerSqftCents, IndexFactorBP: c.IndexFactorBP,
				AdjustedPricePerSqftCents: c.AdjustedPricePerSqftCents, Similarity: c.Similarity, WeightBP: c.WeightBP}
		}
		b, err := json.Marshal(stored)
		if err != nil {
			return fmt.Errorf("encode comparables: %w", err)
		}
		comps = b
	}
	tag, err := r.tx.Exec(ctx, sqlValuationRecord, v.ID, v.Status, v.JobID, v.CompletedAt, method, estimate, low, high,
		confidence, ppsf, region, month, index, comps, memo, sha, v.FailureReason, v.FailureMessage)
	if err != nil {
		return fmt.Errorf("record valuation: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return domain.ErrValuationNotFound()
	}
	return nil
}

func scanValuation(row pgx.Row) (domain.Valuation, error) {
	var v domain.Valuation
	var (
		method, region, month, memo, sha *string
		estimate, low, high, ppsf, index *int64
		confidence                       *int
		comps                            []byte
	)
	err := row.Scan(&v.ID, &v.OrgID, &v.PropertyID, &v.Status, &v.RequestedBy, &v.RequestedAt, &v.AsOf, &v.JobID,
		&v.CompletedAt, &method, &estimate, &low, &high, &confidence, &ppsf, &region, &month, &index, &comps, &memo, &sha,
		&v.FailureReason, &v.FailureMessage)
	if err != nil {
		return v, err
	}
	v.RequestedAt, v.AsOf = v.RequestedAt.UTC(), domain.Day(v.AsOf)
	if v.CompletedAt != nil {
		t := v.CompletedAt.UTC()
		v.CompletedAt = &t
	}
	if v.Status != domain.ValuationCompleted {
		return v, nil
	}
	if method == nil || estimate == nil || low == nil || high == nil || confidence == nil || ppsf == nil ||
		region == nil || month == nil || index == nil || memo == nil || sha == nil {
		return v, fmt.Errorf("valuation %s: completed without its result", v.ID) // the CHECK constraint forbids it
	}
	m, err := domain.ParseMonth(*month)
	if err != nil {
		return v, fmt.Errorf("valuation %s: %w", v.ID, err)
	}
	var stored []comparableJSON
	if err := json.Unmarshal(comps, &stored); err != nil {
		return v, fmt.Errorf("valuation %s: comparables: %w", v.ID, err)
	}
	res := &domain.ValuationResult{Method: *method, EstimateCents: *estimate, LowCents: *low, HighCents: *high,
		Confidence: *confidence, PricePerSqftCents: *ppsf, Memo: *memo, MemoSHA256: *sha,
		Market:      domain.MarketContext{Region: *region, Month: m, Index: *index},
		Comparables: make([]domain.Comparable, len(stored))}
	for i, c := range stored {
		pm, err := domain.ParseMonth(c.PriceMonth)
		if err != nil {
			return v, fmt.Errorf("valuation %s: comparable %d: %w", v.ID, i, err)
		}
		res.Comparables[i] = domain.Comparable{PropertyID: c.PropertyID, Address: c.Address, City: c.City,
			PostalCode: c.PostalCode, DistanceMeters: c.DistanceMeters, LivingArea: c.LivingArea, Beds: c.Beds,
			Baths: c.Baths, YearBuilt: c.YearBuilt, PriceCents: c.PriceCents, PriceSource: c.PriceSource, PriceMonth: pm,
			PricePerSqftCents: c.PricePerSqftCents, IndexFactorBP: c.IndexFactorBP,
			AdjustedPricePerSqftCents: c.AdjustedPricePerSqftCents, Similarity: c.Similarity, WeightBP: c.WeightBP}
	}
	v.Result = res
	return v, nil
}

func (r valuationRepo) Get(ctx context.Context, propertyID, id string) (domain.Valuation, error) {
	v, err := scanValuation(r.tx.QueryRow(ctx, sqlValuationGet, id, propertyID))
	if postgres.IsNoRows(err) {
		return v, domain.ErrValuationNotFound()
	}
	if err != nil {
		return v, fmt.Errorf("get valuation: %w", err)
	}
	return v, nil
}

// valuationKeyset is the order of a property's valuations, newest request
// first.
var valuationKeyset = postgres.Keyset{Sort: "valuations", Kind: postgres.Timestamptz}

func (r valuationRepo) List(ctx context.Context, propertyID string, limit int, cursorText string) (app.Page[domain.Valuation], error) {
	page, err := valuationKeyset.Page(cursorText, limit)
	if err != nil {
		return app.Page[domain.Valuation]{}, err
	}
	at, id, fetch := page.Args()
	rows, err := r.tx.Query(ctx, sqlValuationList, propertyID, at, id, fetch)
	if err != nil {
		return app.Page[domain.Valuation]{}, fmt.Errorf("list valuations: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (domain.Valuation, error) { return scanValuation(row) },
		func(v domain.Valuation) (any, string) { return v.RequestedAt, v.ID })
	if err != nil {
		return app.Page[domain.Valuation]{}, fmt.Errorf("list valuations: %w", err)
	}
	return out, nil
}

func (r valuationRepo) Candidates(ctx context.Context, q domain.CompSearch) ([]domain.CompCandidate, error) {
	var minLat, maxLat, minLon, maxLon *float64
	if b := q.Box; b != nil {
		minLat, maxLat, minLon, maxLon = &b.MinLat, &b.MaxLat, &b.MinLon, &b.MaxLon
	}
	var lat, lon *float64
	if q.Box != nil {
		lat, lon = q.Latitude, q.Longitude
	}
	rows, err := r.tx.Query(ctx, sqlCandidates, q.SubjectID, q.Type, lat, lon, minLat, maxLat, minLon, maxLon,
		q.PostalCode, q.CityKey, q.PricedFrom, q.PricedBefore, q.Limit, q.Limit*candidateScan)
	if err != nil {
		return nil, fmt.Errorf("comparable candidates: %w", err)
	}
	defer rows.Close()
	var out []domain.CompCandidate
	for rows.Next() {
		var c domain.CompCandidate
		if err := rows.Scan(&c.ID, &c.Address, &c.City, &c.PostalCode, &c.LivingArea, &c.Beds, &c.Baths, &c.YearBuilt,
			&c.Latitude, &c.Longitude, &c.PriceCents, &c.PriceSource, &c.PricedAt); err != nil {
			return nil, fmt.Errorf("scan candidate: %w", err)
		}
		c.PricedAt = c.PricedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
