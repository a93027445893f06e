package app

import (
	"context"
	"time"

	"reos.dev/services/crm/internal/domain"
)

// Clock tells the time; scoring and timestamps read it so tests are
// deterministic.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Store opens transactions over crm's data. Every read and write happens in
// InOrg, where row-level security shows one organisation only.
type Store interface {
	// InOrg runs fn in one transaction scoped to orgID; fn's error rolls back.
	InOrg(ctx context.Context, orgID string, fn func(Tx) error) error
}

// Tx is the repository of one transaction. Lookups of a missing row return
// an apperr not-found error (another organisation's rows are missing too).
type Tx interface {
	// EnsureDefaults inserts the default lead sources and deal stages of the
	// organisation if they are missing (idempotent).
	EnsureDefaults(ctx context.Context, orgID string, now time.Time) error

	FindContacts(ctx context.Context, email, phone *string) ([]domain.Contact, error)
	// InsertContact inserts c unless its email or phone is already taken
	// (then inserted is false and nothing changed).
	InsertContact(ctx context.Context, orgID string, c domain.Contact) (inserted bool, err error)
	UpdateContact(ctx context.Context, c domain.Contact) error
	// GetContact returns the contact if scope sees it (else not found).
	GetContact(ctx context.Context, id string, scope Scope) (domain.Contact, error)
	ListContacts(ctx context.Context, q ContactQuery) ([]domain.Contact, error)

	ListSources(ctx context.Context) ([]domain.LeadSource, error)
	InsertSource(ctx context.Context, orgID string, s domain.LeadSource, now time.Time) error
	GetSource(ctx context.Context, id string) (domain.LeadSource, error)

	ListStages(ctx context.Context) ([]domain.Stage, error)
	InsertStage(ctx context.Context, orgID string, s domain.Stage, now time.Time) error

	// KnownProperties looks ids up in the property read model of this
	// organisation: known ids map to their archived flag, unknown ones are
	// absent.
	KnownProperties(ctx context.Context, ids []string) (map[string]bool, error)

	InsertLead(ctx context.Context, orgID string, l domain.Lead) error
	// GetLead returns the lead with its contact if scope sees it (else not
	// found); forUpdate locks the row.
	GetLead(ctx context.Context, id string, scope Scope, forUpdate bool) (LeadRow, error)
	UpdateLead(ctx context.Context, l domain.Lead) error
	ListLeads(ctx context.Context, q LeadQuery) ([]LeadRow, error)
	InsertChange(ctx context.Context, orgID string, c Change) error
	InsertActivity(ctx context.Context, orgID string, a domain.Activity) error
	InsertNote(ctx context.Context, orgID string, n domain.Note) error
	// ActivityStats counts the lead's activities since a time.
	ActivityStats(ctx context.Context, leadID string, since time.Time) (ActivityStats, error)
	InsertScore(ctx context.Context, orgID, leadID, id string, s domain.Score, at time.Time) error
	LeadTimeline(ctx context.Context, leadID string, after *TimelineCursor, limit int) ([]TimelineItem, error)

	InsertDeal(ctx context.Context, orgID string, d domain.Deal) error
	// GetDeal returns the deal if scope sees it (else not found); forUpdate
	// locks the row.
	GetDeal(ctx context.Context, id string, scope Scope, forUpdate bool) (domain.Deal, error)
	UpdateDeal(ctx context.Context, d domain.Deal) error
	ListDeals(ctx context.Context, q DealQuery) ([]domain.Deal, error)
	InsertStageChange(ctx context.Context, orgID string, h StageChange) error
	InsertDealChange(ctx context.Context, orgID string, c DealFieldChange) error
	// DealTimeline merges the deal's stage history, documents and field
	// changes, newest first.
	DealTimeline(ctx context.Context, dealID string, after *TimelineCursor, limit int) ([]TimelineItem, error)

	// Events writes domain events to the outbox of this transaction.
	Events() Publisher

	// Lead assignment, the users read model and background rescoring
	// (assignment.go, users.go, rescoring.go).
	AssignmentStore
	UserDirectory
	RescoreQueue
	ScoreHistory

	// Lead imports and deal documents (imports.go, deal_documents.go).
	ImportStore
	DealDocumentStore
}

// Publisher writes domain events to the transaction's outbox, in order:
// an event exists exactly when the change it announces commits.
type Publisher interface {
	Publish(ctx context.Context, orgID string, evs ...Event) error
}

// Event is a domain event as the app announces it: what happened (Type,
// events.go), to which aggregate (Aggregate, its kind: "lead", "deal" …;
// ID) and the facts (Data, JSON-encoded). The CloudEvents envelope (source,
// subject, id, time, trace context) is the publisher's, not the app's.
// ID keys the message, so one aggregate's events keep their order.
type Event struct {
	Type      string
	Aggregate string
	ID        string
	Data      any
}

// Scope is what a caller sees of the organisation's leads and of what
// hangs off them (contacts, deals and their documents, lead imports):
// Unscoped sees everything; otherwise it is the id of a user limited by
// agents_see_only_assigned (leadScope). The repository applies it inside
// its queries, so a row out of scope is missing like another
// organisation's and list pages stay full; the rule itself is written once,
// in adapters/postgres (visibility.go), and described in
// docs/architecture.md (crm, "Agent visibility").
type Scope string

// Unscoped is the scope of a caller who sees every lead of the
// organisation, and of the service's own jobs.
const Unscoped Scope = ""

// LeadRow is a lead with its contact.
type LeadRow struct {
	Lead    domain.Lead
	Contact domain.Contact
}

// ActivityStats are the activity counts scoring needs: Total, Inbound and
// Outbound since a time, All ever (the rescoring watermark).
type ActivityStats struct {
	Total, Inbound, Outbound int
	All                      int
	Last                     *time.Time
}

// Change is one lifecycle entry of a lead's timeline.
type Change struct {
	ID         string
	LeadID     string
	Kind       string // created, status_changed, assigned, archived
	From, To   *string
	RuleID     *string // the assignment rule behind an "assigned" entry; nil when explicit
	ActorID    *string
	OccurredAt time.Time
}

// StageChange is one entry of a deal's stage history.
type StageChange struct {
	ID        string
	DealID    string
	FromStage *string
	ToStage   string
	ChangedBy *string
	ChangedAt time.Time
}

// DealFieldChange is one change of a deal's own field, an "updated" entry
// of the deal's timeline.
type DealFieldChange struct {
	ID     string
	DealID string
	domain.DealChange
	ActorID   *string
	ChangedAt time.Time
}

// TimelineItem is one entry of a timeline; Data is its JSON detail.
type TimelineItem struct {
	ID         string
	Kind       string
	OccurredAt time.Time
	ActorID    *string
	Data       []byte
}

// TimelineCursor is the keyset position after which a timeline page starts.
type TimelineCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"id"`
}

// Sort is a whitelisted sort field and direction.
type Sort struct {
	Field string
	Desc  bool
}

// ListCursor is the keyset position of a list page: the last row's sort
// value (Time or Num, by field) and id.
type ListCursor struct {
	Sort string     `json:"s"`
	Time *time.Time `json:"t,omitempty"`
	Num  *int64     `json:"n,omitempty"`
	ID   string     `json:"id"`
}

// LeadQuery filters, sorts and pages leads.
type LeadQuery struct {
	Status, SourceID, AssigneeID string
	ScoreMin, ScoreMax           *int
	CreatedFrom, CreatedTo       *time.Time
	IncludeArchived              bool
	// VisibleTo limits the leads to the scope's.
	VisibleTo Scope
	// Text is a full-text query over contact names, emails and notes.
	Text  string
	Sort  Sort
	After *ListCursor
	Limit int
}

// DealQuery filters, sorts and pages deals.
type DealQuery struct {
	StageID, LeadID, AssigneeID string
	// VisibleTo limits the deals to the scope's.
	VisibleTo Scope
	Sort      Sort
	After     *ListCursor
	Limit     int
}

// ContactQuery pages contacts (newest first) with an optional email or
// phone lookup (normalised before the query).
type ContactQuery struct {
	Email, Phone *string
	// VisibleTo limits the contacts to the scope's.
	VisibleTo Scope
	After     *ListCursor
	Limit     int
}
