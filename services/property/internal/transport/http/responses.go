package http

import (
	"encoding/json"
	"time"

	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// propertyDTO is a property on the wire: RESO names in snake_case, money as
// integer cents, lot_size_acres as a decimal string, times RFC 3339 UTC.
type propertyDTO struct {
	ID                    string     `json:"id"`
	OrgID                 string     `json:"org_id"`
	ListingKey            *string    `json:"listing_key"`
	ListPriceCents        int64      `json:"list_price_cents"`
	BedroomsTotal         *int       `json:"bedrooms_total"`
	BathroomsTotalInteger *int       `json:"bathrooms_total_integer"`
	LivingArea            *int64     `json:"living_area"`
	LotSizeAcres          *string    `json:"lot_size_acres"`
	YearBuilt             *int       `json:"year_built"`
	PropertyType          string     `json:"property_type"`
	PropertySubType       *string    `json:"property_sub_type"`
	StandardStatus        string     `json:"standard_status"`
	UnparsedAddress       string     `json:"unparsed_address"`
	StreetNumber          *string    `json:"street_number"`
	StreetName            *string    `json:"street_name"`
	UnitNumber            *string    `json:"unit_number"`
	City                  string     `json:"city"`
	StateOrProvince       *string    `json:"state_or_province"`
	PostalCode            *string    `json:"postal_code"`
	Country               string     `json:"country"`
	Latitude              *float64   `json:"latitude"`
	Longitude             *float64   `json:"longitude"`
	PublicRemarks         *string    `json:"public_remarks"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
	ArchivedAt            *time.Time `json:"archived_at"`
}

func toProperty(p domain.Property) propertyDTO {
	return propertyDTO{
		ID: p.ID, OrgID: p.OrgID, ListingKey: p.ListingKey, ListPriceCents: p.ListPriceCents,
		BedroomsTotal: p.BedroomsTotal, BathroomsTotalInteger: p.BathroomsTotalInteger, LivingArea: p.LivingArea,
		LotSizeAcres: p.LotSizeAcres, YearBuilt: p.YearBuilt, PropertyType: p.PropertyType,
		PropertySubType: p.PropertySubType, StandardStatus: p.StandardStatus, UnparsedAddress: p.UnparsedAddress,
		StreetNumber: p.StreetNumber, StreetName: p.StreetName, UnitNumber: p.UnitNumber, City: p.City,
		StateOrProvince: p.StateOrProvince, PostalCode: p.PostalCode, Country: p.Country,
		Latitude: p.Latitude, Longitude: p.Longitude, PublicRemarks: p.PublicRemarks,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, ArchivedAt: p.ArchivedAt,
	}
}

// searchHitDTO is a property with its relevance score (higher is better).
type searchHitDTO struct {
	propertyDTO
	Score float64 `json:"score"`
}

type historyDTO struct {
	ID         string          `json:"id"`
	PropertyID string          `json:"property_id"`
	ActorID    *string         `json:"actor_id"`
	ChangedAt  time.Time       `json:"changed_at"`
	Field      string          `json:"field"`
	OldValue   json.RawMessage `json:"old_value"`
	NewValue   json.RawMessage `json:"new_value"`
}

func toHistory(e app.HistoryEntry) historyDTO {
	return historyDTO{ID: e.ID, PropertyID: e.PropertyID, ActorID: e.ActorID, ChangedAt: e.ChangedAt,
		Field: e.Field, OldValue: e.Old, NewValue: e.New}
}

type listingDTO struct {
	ID                  string    `json:"id"`
	OrgID               string    `json:"org_id"`
	PropertyID          string    `json:"property_id"`
	ListPriceCents      int64     `json:"list_price_cents"`
	StandardStatus      string    `json:"standard_status"`
	ListingContractDate *string   `json:"listing_contract_date"`
	ExpirationDate      *string   `json:"expiration_date"`
	AgentUserID         *string   `json:"agent_user_id"`
	Remarks             *string   `json:"remarks"`
	Version             int       `json:"version"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

func toListing(l domain.Listing) listingDTO {
	return listingDTO{ID: l.ID, OrgID: l.OrgID, PropertyID: l.PropertyID, ListPriceCents: l.ListPriceCents,
		StandardStatus: l.StandardStatus, ListingContractDate: l.ListingContractDate, ExpirationDate: l.ExpirationDate,
		AgentUserID: l.AgentUserID, Remarks: l.Remarks, Version: l.Version, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
}

type snapshotDTO struct {
	ID        string          `json:"id"`
	ListingID string          `json:"listing_id"`
	Version   int             `json:"version"`
	ActorID   *string         `json:"actor_id"`
	Listing   json.RawMessage `json:"listing"`
	CreatedAt time.Time       `json:"created_at"`
}

func toSnapshot(s app.ListingSnapshot) snapshotDTO {
	return snapshotDTO{ID: s.ID, ListingID: s.ListingID, Version: s.Version, ActorID: s.ActorID, Listing: s.Snapshot, CreatedAt: s.CreatedAt}
}

func mapItems[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}
