package app

import (
	"fmt"
	"slices"

	"reos.dev/pkg/apperr"
	"reos.dev/services/property/internal/domain"
)

// PropertyFilter narrows property lists and searches. Nil fields do not
// filter. Every range is inclusive.
type PropertyFilter struct {
	Statuses        []string
	Types           []string
	City            *string
	PostalCode      *string
	MinPriceCents   *int64
	MaxPriceCents   *int64
	MinBeds         *int
	MaxBeds         *int
	MinBaths        *int
	MaxBaths        *int
	BBox            *BBox
	IncludeArchived bool
}

// BBox is a geographic bounding box in degrees (WGS 84), west-south to
// east-north; MinLon > MaxLon is refused (no antimeridian crossing).
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// Sort fields of GET /properties (the keyset indexes exist for these).
const (
	SortCreatedAt = "created_at"
	SortListPrice = "list_price"
)

// SortFields lists the whitelisted sort fields.
func SortFields() []string { return []string{SortCreatedAt, SortListPrice} }

// PropertyQuery is a property list request.
type PropertyQuery struct {
	Filter PropertyFilter
	Sort   string
	Desc   bool
	Limit  int
	Cursor string
}

// SearchQuery is a ranked full-text search with filters.
type SearchQuery struct {
	Query  domain.SearchQuery
	Filter PropertyFilter
	Limit  int
	Cursor string
}

// ListingQuery is a listing list request.
type ListingQuery struct {
	PropertyID  *string
	Statuses    []string
	AgentUserID *string
	Sort        string
	Desc        bool
	Limit       int
	Cursor      string
}

// validate checks the filter values; names are the query parameter names.
func (f PropertyFilter) validate() error {
	var errs apperr.Fields
	for _, s := range f.Statuses {
		if !domain.ValidStandardStatus(s) {
			errs.Add("status", fmt.Sprintf("%q is not a RESO StandardStatus", s))
		}
	}
	for _, s := range f.Types {
		if !domain.ValidPropertyType(s) {
			errs.Add("type", fmt.Sprintf("%q is not a RESO PropertyType", s))
		}
	}
	rng := func(lo, hi *int64, field string) {
		if lo != nil && *lo < 0 {
			errs.Add("min_"+field, "must not be negative")
		}
		if hi != nil && *hi < 0 {
			errs.Add("max_"+field, "must not be negative")
		}
		if lo != nil && hi != nil && *lo > *hi {
			errs.Add("min_"+field, "must not exceed max_"+field)
		}
	}
	i64 := func(p *int) *int64 {
		if p == nil {
			return nil
		}
		v := int64(*p)
		return &v
	}
	rng(f.MinPriceCents, f.MaxPriceCents, "price_cents")
	rng(i64(f.MinBeds), i64(f.MaxBeds), "beds")
	rng(i64(f.MinBaths), i64(f.MaxBaths), "baths")
	if b := f.BBox; b != nil {
		switch {
		case b.MinLon < -180 || b.MaxLon > 180 || b.MinLat < -90 || b.MaxLat > 90:
			errs.Add("bbox", "coordinates out of range (longitude -180..180, latitude -90..90)")
		case b.MinLon > b.MaxLon || b.MinLat > b.MaxLat:
			errs.Add("bbox", "must be minLon,minLat,maxLon,maxLat with min <= max")
		}
	}
	return errs.Err()
}

func validateSort(field string) error {
	if !slices.Contains(SortFields(), field) {
		return apperr.BadRequest("sort", "must be one of created_at, list_price (prefix - for descending)")
	}
	return nil
}
