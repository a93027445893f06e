package app

import (
	"context"
	"encoding/json"
	"time"

	"reos.dev/services/property/internal/domain"
)

// Store opens transactions. InOrg runs fn with app.org_id = orgID, so
// row-level security confines every statement to that organisation.
type Store interface {
	InOrg(ctx context.Context, orgID string, fn func(Tx) error) error
}

// Tx is one transaction's view of the repositories; everything done
// through it commits or rolls back together, events included.
type Tx interface {
	Properties() PropertyRepository
	History() HistoryRepository
	Listings() ListingRepository
	Events() Publisher
}

// PropertyRepository stores properties. Get* return
// domain.ErrPropertyNotFound for a missing (or another org's) row.
type PropertyRepository interface {
	Create(ctx context.Context, p domain.Property) error
	Get(ctx context.Context, id string) (domain.Property, error)
	GetForUpdate(ctx context.Context, id string) (domain.Property, error)
	Update(ctx context.Context, p domain.Property) error
	List(ctx context.Context, q PropertyQuery) (Page[domain.Property], error)
	Search(ctx context.Context, q SearchQuery) (Page[SearchHit], error)
	// ListingKeys returns which of keys are already used in the org.
	ListingKeys(ctx context.Context, keys []string) (map[string]bool, error)
}

// HistoryRepository stores PropertyHistory.
type HistoryRepository interface {
	Append(ctx context.Context, propertyID, actorID string, at time.Time, changes []domain.Change) error
	List(ctx context.Context, propertyID string, limit int, cursor string) (Page[HistoryEntry], error)
}

// ListingRepository stores listings and their snapshots.
type ListingRepository interface {
	Create(ctx context.Context, l domain.Listing) error
	Get(ctx context.Context, id string) (domain.Listing, error)
	GetForUpdate(ctx context.Context, id string) (domain.Listing, error)
	Update(ctx context.Context, l domain.Listing) error
	List(ctx context.Context, q ListingQuery) (Page[domain.Listing], error)
	Snapshot(ctx context.Context, l domain.Listing, actorID string, data json.RawMessage) error
	Snapshots(ctx context.Context, listingID string, limit int, cursor string) (Page[ListingSnapshot], error)
}

// Publisher writes a domain event to the outbox in the transaction.
type Publisher interface {
	Publish(ctx context.Context, eventType, key, orgID string, data any) error
}

// Clock tells the time; tests use a fixed one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Page is one page of a list and the cursor of the next ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}

// HistoryEntry is one recorded field change.
type HistoryEntry struct {
	ID         string
	PropertyID string
	ActorID    *string
	ChangedAt  time.Time
	Field      string
	Old, New   json.RawMessage
}

// ListingSnapshot is a listing as it was at one version.
type ListingSnapshot struct {
	ID        string
	ListingID string
	Version   int
	ActorID   *string
	Snapshot  json.RawMessage
	CreatedAt time.Time
}

// SearchHit is a property found by search with its relevance score.
type SearchHit struct {
	Property domain.Property
	Score    float64
}
