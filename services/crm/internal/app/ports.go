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

// Tx is one transaction's view of crm's repositories: everything done
// through it (rows, events, jobs) commits or rolls back together. Lookups
// of a missing row return an apperr not-found error; another
// organisation's rows, and rows outside the Scope a lookup is given, are
// missing too.
type Tx interface {
	Leads() LeadRepository
	// Activities: what happened with a lead (activities, notes).
	Activities() ActivityRepository
	// Scores: a lead's score history.
	Scores() ScoreRepository
	Contacts() ContactRepository
	Deals() DealRepository
	// Documents: the files of deals (deal_documents.go).
	Documents() DocumentRepository
	// Catalog: lead sources, deal stages and the organisation's settings.
	Catalog() CatalogRepository
	// Rules: lead assignment rules (assignment.go).
	Rules() RuleRepository
	// Imports: lead imports (imports.go).
	Imports() ImportRepository
	Events() Publisher
	Jobs() JobQueue
	// Read models of other contexts, fed by their events: identity's users
	// and teams (users.go) and property's properties (properties.go).
	Users() UserDirectory
	Properties() PropertyDirectory
}

// LeadRepository stores leads with their lifecycle entries (the "created",
// "status_changed", "assigned" and "archived" entries of the timeline).
type LeadRepository interface {
	Create(ctx context.Context, orgID string, l domain.Lead) error
	// Get returns the lead with its contact if scope sees it;
	// GetForUpdate also locks the lead.
	Get(ctx context.Context, id string, scope Scope) (LeadRow, error)
	GetForUpdate(ctx context.Context, id string, scope Scope) (LeadRow, error)
	Update(ctx context.Context, l domain.Lead) error
	List(ctx context.Context, q LeadQuery) (Page[LeadRow], error)
	RecordChange(ctx context.Context, orgID string, c Change) error
	// Timeline merges the lead's activities, notes and changes, newest
	// first.
	Timeline(ctx context.Context, leadID string, p PageRequest) (Page[TimelineItem], error)
}

// ActivityRepository stores what happened with leads.
type ActivityRepository interface {
	Add(ctx context.Context, orgID string, a domain.Activity) error
	AddNote(ctx context.Context, orgID string, n domain.Note) error
	// Stats counts the lead's activities since a time (and ever).
	Stats(ctx context.Context, leadID string, since time.Time) (ActivityStats, error)
}

// ScoreRepository keeps each lead's score history.
type ScoreRepository interface {
	Record(ctx context.Context, orgID, leadID, id string, s domain.Score, at time.Time) error
	// Latest returns the lead's most recent score, nil when it has none.
	Latest(ctx context.Context, leadID string) (*domain.Score, error)
}

// ContactRepository stores contacts, deduplicated by email and by phone.
type ContactRepository interface {
	// Find returns the contacts holding email or phone (nil: not looked
	// for), oldest first.
	Find(ctx context.Context, email, phone *string) ([]domain.Contact, error)
	// Create inserts c unless its email or phone is already taken (then
	// inserted is false and nothing changed).
	Create(ctx context.Context, orgID string, c domain.Contact) (inserted bool, err error)
	// Update saves c; a taken email or phone is a conflict.
	Update(ctx context.Context, c domain.Contact) error
	// Get returns the contact if scope sees it.
	Get(ctx context.Context, id string, scope Scope) (domain.Contact, error)
	List(ctx context.Context, q ContactQuery) (Page[domain.Contact], error)
}

// DealRepository stores deals with their stage history and field changes.
type DealRepository interface {
	Create(ctx context.Context, orgID string, d domain.Deal) error
	// Get returns the deal if scope sees it; GetForUpdate also locks it.
	Get(ctx context.Context, id string, scope Scope) (domain.Deal, error)
	GetForUpdate(ctx context.Context, id string, scope Scope) (domain.Deal, error)
	Update(ctx context.Context, d domain.Deal) error
	List(ctx context.Context, q DealQuery) (Page[domain.Deal], error)
	RecordStageChange(ctx context.Context, orgID string, h StageChange) error
	RecordChange(ctx context.Context, orgID string, c DealFieldChange) error
	// Timeline merges the deal's stage history, documents and field
	// changes, newest first.
	Timeline(ctx context.Context, dealID string, p PageRequest) (Page[TimelineItem], error)
}

// DocumentRepository stores the documents of deals.
type DocumentRepository interface {
	Create(ctx context.Context, orgID string, d domain.DealDocument) error
	// List pages a deal's documents newest first.
	List(ctx context.Context, dealID string, p PageRequest) (Page[domain.DealDocument], error)
}

// CatalogRepository keeps what an organisation configures: its lead
// sources, its deal pipeline and its settings.
type CatalogRepository interface {
	// EnsureDefaults inserts the default lead sources and deal stages of
	// the organisation if it has none (idempotent).
	EnsureDefaults(ctx context.Context, orgID string, now time.Time) error
	Sources(ctx context.Context) ([]domain.LeadSource, error)
	Source(ctx context.Context, id string) (domain.LeadSource, error)
	CreateSource(ctx context.Context, orgID string, s domain.LeadSource, now time.Time) error
	// Stages returns the pipeline in order (position, id).
	Stages(ctx context.Context) ([]domain.Stage, error)
	CreateStage(ctx context.Context, orgID string, s domain.Stage, now time.Time) error
	// Settings returns the settings (the defaults when never saved).
	Settings(ctx context.Context) (domain.Settings, error)
	SaveSettings(ctx context.Context, orgID string, s domain.Settings) error
}

// RuleRepository keeps the assignment rules.
type RuleRepository interface {
	// List returns the rules in evaluation order (position, id).
	List(ctx context.Context) ([]domain.AssignmentRule, error)
	// GetForUpdate locks the rule (the round-robin cursor is read and
	// advanced under that lock).
	GetForUpdate(ctx context.Context, id string) (domain.AssignmentRule, error)
	Create(ctx context.Context, orgID string, r domain.AssignmentRule) error
	Update(ctx context.Context, r domain.AssignmentRule) error
	Delete(ctx context.Context, id string) error
	// Advance records userID as the rule's latest round-robin assignee.
	Advance(ctx context.Context, id, userID string) error
}

// ImportRepository keeps lead imports and writes their batches.
type ImportRepository interface {
	Create(ctx context.Context, orgID string, imp domain.LeadImport) error
	// Get returns an import if scope sees it; GetForUpdate also locks it
	// (a batch holds the lock while it advances the checkpoint, so two
	// runs of one import never both write a batch).
	Get(ctx context.Context, id string, scope Scope) (domain.LeadImport, error)
	GetForUpdate(ctx context.Context, id string, scope Scope) (domain.LeadImport, error)
	// List pages the imports scope sees, newest first.
	List(ctx context.Context, scope Scope, p PageRequest) (Page[domain.LeadImport], error)
	// Save stores an import's status, checkpoint, reports, error,
	// completion and file expiry.
	Save(ctx context.Context, imp domain.LeadImport) error
	// MarkFileDeleted records that the import's file was deleted at at,
	// unless that is recorded already.
	MarkFileDeleted(ctx context.Context, id string, at time.Time) error
	// Matches locks and returns the contacts holding any of emails or
	// phones, each with whether it has an active (not archived) lead.
	Matches(ctx context.Context, emails, phones []string) ([]domain.ImportMatch, error)
	// WriteBatch writes a planned batch set-based: the new and the filled
	// contacts, the leads with their first score and timeline entries (not
	// the events: those are published). ErrImportContention reports a
	// clash with a concurrent writer (the same person inserted meanwhile,
	// a deadlock): the transaction is lost and the batch may be planned
	// again.
	WriteBatch(ctx context.Context, orgID string, b ImportBatch) error
	// RefreshStatistics re-analyses the organisation column of the
	// contacts and leads, whose statistics a large import outruns.
	RefreshStatistics(ctx context.Context) error
}

// JobQueue enqueues crm's background jobs in the transaction, so a job
// exists exactly when the change behind it commits.
type JobQueue interface {
	// EnqueueRescore enqueues the lead's rescoring job. While one waits
	// (or runs) for the lead no second is added: a burst of activities is
	// scored once.
	EnqueueRescore(ctx context.Context, orgID, leadID string) error
	// EnqueueImport enqueues the job that works a large import.
	EnqueueImport(ctx context.Context, orgID, importID string) (jobID int64, err error)
	// ScheduleImportFileExpiry enqueues the job that deletes the import's
	// file, to run at at (imports_retention.go).
	ScheduleImportFileExpiry(ctx context.Context, orgID, importID string, at time.Time) error
}

// UserDirectory reads the users and teams read model of the transaction's
// organisation.
type UserDirectory interface {
	// ActiveUser reports whether userID is a known, not deleted user.
	ActiveUser(ctx context.Context, userID string) (bool, error)
	// KnownTeam reports whether teamID is a known, not deleted team.
	KnownTeam(ctx context.Context, teamID string) (bool, error)
	// TeamAgents returns the active members of teamID, sorted by id.
	TeamAgents(ctx context.Context, teamID string) ([]string, error)
}

// PropertyDirectory reads the property read model of the transaction's
// organisation.
type PropertyDirectory interface {
	// Known looks ids up: known ids map to their archived flag, unknown
	// ones (another organisation's among them) are absent.
	Known(ctx context.Context, ids []string) (map[string]bool, error)
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

// LeadRow is a lead with its contact and the key of its source (nil when
// it has none), which the lead's events carry.
type LeadRow struct {
	Lead      domain.Lead
	Contact   domain.Contact
	SourceKey *string
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

// Sort is a whitelisted sort field and direction.
type Sort struct {
	Field string
	Desc  bool
}

// LeadQuery filters, sorts and pages leads.
type LeadQuery struct {
	Status, SourceID, AssigneeID string
	// Tag, when set, keeps the leads holding it (normalised).
	Tag                    string
	ScoreMin, ScoreMax     *int
	CreatedFrom, CreatedTo *time.Time
	IncludeArchived        bool
	// VisibleTo limits the leads to the scope's.
	VisibleTo Scope
	// Text is a full-text query over contact names, emails and notes.
	Text string
	Sort Sort
	Page PageRequest
}

// DealQuery filters, sorts and pages deals.
type DealQuery struct {
	StageID, LeadID, AssigneeID string
	// VisibleTo limits the deals to the scope's.
	VisibleTo Scope
	Sort      Sort
	Page      PageRequest
}

// ContactQuery pages contacts (newest first) with an optional email or
// phone lookup (normalised before the query).
type ContactQuery struct {
	Email, Phone *string
	// VisibleTo limits the contacts to the scope's.
	VisibleTo Scope
	Page      PageRequest
}
