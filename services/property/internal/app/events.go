package app

// EventSource is the CloudEvents source of property's events.
const EventSource = "reos.property"

// Event types (topic reos.property.events, key = aggregate id: the property
// id for property events, the listing id for listing events, and for a
// price change the id of the aggregate whose price changed).
const (
	EventPropertyCreated      = "reos.property.property.created"
	EventPropertyUpdated      = "reos.property.property.updated"
	EventPropertyArchived     = "reos.property.property.archived"
	EventListingCreated       = "reos.property.listing.created"
	EventListingUpdated       = "reos.property.listing.updated"
	EventListingStatusChanged = "reos.property.listing.status_changed"
	EventListingPriceChanged  = "reos.property.listing.price_changed"
)

type propertyEventData struct {
	PropertyID     string   `json:"property_id"`
	OrgID          string   `json:"org_id"`
	ListingKey     *string  `json:"listing_key,omitempty"`
	PropertyType   string   `json:"property_type,omitempty"`
	StandardStatus string   `json:"standard_status,omitempty"`
	ListPriceCents *int64   `json:"list_price_cents,omitempty"`
	City           string   `json:"city,omitempty"`
	PostalCode     *string  `json:"postal_code,omitempty"`
	Fields         []string `json:"fields,omitempty"`
	ActorID        string   `json:"actor_id,omitempty"`
	// ImportID names the bulk import that created the property.
	ImportID string `json:"import_id,omitempty"`
}

type listingEventData struct {
	ListingID      string   `json:"listing_id"`
	PropertyID     string   `json:"property_id"`
	OrgID          string   `json:"org_id"`
	ListPriceCents int64    `json:"list_price_cents"`
	StandardStatus string   `json:"standard_status"`
	Version        int      `json:"version"`
	Fields         []string `json:"fields,omitempty"`
	ActorID        string   `json:"actor_id,omitempty"`
}

type statusChangedData struct {
	ListingID  string `json:"listing_id"`
	PropertyID string `json:"property_id"`
	OrgID      string `json:"org_id"`
	OldStatus  string `json:"old_status"`
	NewStatus  string `json:"new_status"`
	ActorID    string `json:"actor_id,omitempty"`
}

// priceChangedData: ListingID is empty when the change came from the
// property's own list price (source "property").
type priceChangedData struct {
	ListingID     string `json:"listing_id,omitempty"`
	PropertyID    string `json:"property_id"`
	OrgID         string `json:"org_id"`
	Source        string `json:"source"`
	OldPriceCents int64  `json:"old_price_cents"`
	NewPriceCents int64  `json:"new_price_cents"`
	ActorID       string `json:"actor_id,omitempty"`
}

// Valuation events announce a valuation's final outcome (key = the
// property id, so a property's valuations keep their order on the topic).
// A failure a replay may still fix (market_data_unavailable) is not
// announced.
const (
	EventValuationCompleted = "reos.property.valuation.completed"
	EventValuationFailed    = "reos.property.valuation.failed"
)

type valuationCompletedData struct {
	ValuationID   string `json:"valuation_id"`
	PropertyID    string `json:"property_id"`
	OrgID         string `json:"org_id"`
	AsOf          string `json:"as_of"`
	Method        string `json:"method"`
	EstimateCents int64  `json:"estimate_cents"`
	LowCents      int64  `json:"low_cents"`
	HighCents     int64  `json:"high_cents"`
	Confidence    int    `json:"confidence"`
	Comparables   int    `json:"comparables"`
	MemoSHA256    string `json:"memo_sha256"`
}

type valuationFailedData struct {
	ValuationID string `json:"valuation_id"`
	PropertyID  string `json:"property_id"`
	OrgID       string `json:"org_id"`
	AsOf        string `json:"as_of"`
	Reason      string `json:"reason"`
	Message     string `json:"message"`
}
