package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"reos.dev/services/property/internal/domain"
)

// Store opens transactions. InOrg runs fn with app.org_id = orgID, so
// row-level security confines every statement to that organisation.
type Store interface {
	InOrg(ctx context.Context, orgID string, fn func(Tx) error) error
	// SetJobProgress records a running job's progress where the jobs API
	// shows it, at once (outside any transaction).
	SetJobProgress(ctx context.Context, jobID int64, progress any) error
}

// Tx is one transaction's view of the repositories; everything done
// through it commits or rolls back together, events included.
type Tx interface {
	Properties() PropertyRepository
	History() HistoryRepository
	Listings() ListingRepository
	Events() Publisher
	// Valuations and Jobs: automated valuations (valuations.go).
	Valuations() ValuationRepository
	Jobs() Jobs
	// Images and Documents: a property's files (media.go).
	Images() ImageRepository
	Documents() DocumentRepository
	// Imports: bulk imports (imports.go).
	Imports() ImportRepository
	// Users: the read model of identity's users (users.go).
	Users() UserRepository
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

// Jobs is the job queue as one transaction sees it: a job enqueued here
// exists exactly when the transaction commits, and a running job's effect
// claim and its completion commit with the effect (ARCHITECTURE rule 4).
type Jobs interface {
	// Enqueue queues job and returns its id.
	Enqueue(ctx context.Context, job Job) (int64, error)
	// Schedule queues job to run at at (not before) and returns its id.
	Schedule(ctx context.Context, job Job, at time.Time) (int64, error)
	// ClaimEffect records that the effect key happens for run. False: it
	// already happened (an earlier attempt, or the job run replays) and
	// must not happen again.
	ClaimEffect(ctx context.Context, run JobRun, key string) (bool, error)
	// Complete marks run's job completed.
	Complete(ctx context.Context, run JobRun) error
	// Continue ends run's step of long work: it enqueues the job's
	// successor, same arguments, and completes run's job, so the successor
	// exists exactly when the transaction's checkpoint commits (pkg/jobs
	// Continue). It returns the successor's id.
	Continue(ctx context.Context, run JobRun) (int64, error)
}

// Job is a background job's arguments (stored as JSON): its kind, the
// organisation it works for and the queue it runs on (pkg/jobs' queues).
type Job interface {
	Kind() string
	Org() uuid.UUID
	Queue() string
}

// JobRun is one attempt of a job, as the queue's worker hands it to the
// use case that does the job's work.
type JobRun interface {
	JobID() int64
	// LastAttempt reports whether a failure of this attempt dead-letters
	// the job.
	LastAttempt() bool
	// StepOver reports whether the attempt working in ctx has worked its
	// share of long work: it should then commit what it has with
	// Jobs.Continue and end (pkg/jobs StepOver).
	StepOver(ctx context.Context) bool
}

// Publisher writes a domain event to the outbox in the transaction.
type Publisher interface {
	Publish(ctx context.Context, eventType, key, orgID string, data any) error
	// PublishAll writes one event of eventType per item in one round trip,
	// for bulk writers (imports).
	PublishAll(ctx context.Context, eventType, orgID string, items []EventData) error
}

// EventData is one event's message key (the aggregate id) and data.
type EventData struct {
	Key  string
	Data any
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
