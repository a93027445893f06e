// Package app holds crm's use cases behind the Service interface and the
// ports they need (ports.go: a store whose transactions hand out small
// repositories, a clock, file storage). Every use case checks the caller's
// permission here, whatever the transport did, before it opens a
// transaction; then it runs in one transaction scoped to the caller's
// organisation, with the domain's rules (internal/domain) and the checks
// only the store can make, and announces what changed as domain events
// published in that same transaction (the adapter makes them CloudEvents).
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/domain"
)

// Permissions crm checks (defined by identity's catalogue).
const (
	PermLeadsRead  = "leads:read"
	PermLeadsWrite = "leads:write"
	PermDealsRead  = "deals:read"
	PermDealsWrite = "deals:write"
	// PermAdmin is the wildcard only admins hold; it may reopen closed deals.
	PermAdmin = "*"
)

// Service is crm's application API.
type Service interface {
	CreateLead(ctx context.Context, in domain.LeadInput) (LeadRow, error)
	GetLead(ctx context.Context, id string) (LeadRow, error)
	UpdateLead(ctx context.Context, id string, in domain.LeadUpdate) (LeadRow, error)
	ArchiveLead(ctx context.Context, id string) error
	ListLeads(ctx context.Context, f LeadFilter) (Page[LeadRow], error)
	SearchLeads(ctx context.Context, f LeadFilter) (Page[LeadRow], error)
	AssignLead(ctx context.Context, id string, userID *string) (LeadRow, error)
	ScoreLead(ctx context.Context, id string) (domain.Score, error)
	LogActivity(ctx context.Context, id string, in ActivityInput) (domain.Activity, error)
	AddNote(ctx context.Context, id, body string) (domain.Note, error)
	LeadTimeline(ctx context.Context, id string, p PageRequest) (Page[TimelineItem], error)

	CreateContact(ctx context.Context, in domain.ContactInput) (domain.Contact, error)
	GetContact(ctx context.Context, id string) (domain.Contact, error)
	UpdateContact(ctx context.Context, id string, in domain.ContactInput) (domain.Contact, error)
	ListContacts(ctx context.Context, f ContactFilter) (Page[domain.Contact], error)

	ListSources(ctx context.Context) ([]domain.LeadSource, error)
	CreateSource(ctx context.Context, in domain.LeadSource) (domain.LeadSource, error)
	ListStages(ctx context.Context) ([]domain.Stage, error)
	CreateStage(ctx context.Context, in domain.Stage) (domain.Stage, error)

	CreateDeal(ctx context.Context, in DealInput) (domain.Deal, error)
	GetDeal(ctx context.Context, id string) (domain.Deal, error)
	UpdateDeal(ctx context.Context, id string, in DealUpdate) (domain.Deal, error)
	ListDeals(ctx context.Context, f DealFilter) (Page[domain.Deal], error)
	MoveDeal(ctx context.Context, id string, in StageMove) (domain.Deal, error)
	DealTimeline(ctx context.Context, id string, p PageRequest) (Page[TimelineItem], error)

	// SeedDemo creates the deterministic demo data of orgID if missing.
	SeedDemo(ctx context.Context, orgID string) (SeedReport, error)

	// Lead assignment rules and the organisation's settings (assignment.go).
	ListAssignmentRules(ctx context.Context) ([]domain.AssignmentRule, error)
	CreateAssignmentRule(ctx context.Context, in RuleInput) (domain.AssignmentRule, error)
	UpdateAssignmentRule(ctx context.Context, id string, in RuleInput) (domain.AssignmentRule, error)
	DeleteAssignmentRule(ctx context.Context, id string) error
	GetSettings(ctx context.Context) (domain.Settings, error)
	UpdateSettings(ctx context.Context, in SettingsUpdate) (domain.Settings, error)
	// RescoreLead is the background rescoring job of orgID's lead
	// (rescoring.go); job claims its effect and completes it.
	RescoreLead(ctx context.Context, orgID, leadID string, job JobRun) error

	// Lead imports (imports.go) and deal documents (deal_documents.go).
	ImportLeads(ctx context.Context, up FileUpload) (domain.LeadImport, error)
	PreviewLeadImport(ctx context.Context, up FileUpload) (csvimport.Preview, error)
	GetLeadImport(ctx context.Context, id string) (domain.LeadImport, error)
	ListLeadImports(ctx context.Context, p PageRequest) (Page[domain.LeadImport], error)
	// RunLeadImport is the lead import job of orgID's import.
	RunLeadImport(ctx context.Context, orgID, importID string, run ImportRun) error
	// ExpireLeadImportFile deletes an ended import's file once its
	// retention has run out (imports_retention.go); the job queue runs it.
	ExpireLeadImportFile(ctx context.Context, orgID, importID string, expiresAt time.Time, job JobRun) error
	AddDealDocument(ctx context.Context, dealID string, up FileUpload) (DealDocument, error)
	ListDealDocuments(ctx context.Context, dealID string, p PageRequest) (Page[DealDocument], error)
}

// Config are the service's settings.
type Config struct {
	// DefaultPhoneRegion parses phone numbers written without +country code.
	DefaultPhoneRegion string
	// Uploads bounds lead imports and deal documents (zero: defaults).
	Uploads UploadConfig
}

// Deps are the service's collaborators; all are required.
type Deps struct {
	Store  Store
	Clock  Clock
	Logger *slog.Logger
	// Files keeps uploads (lead import files, deal documents); Links signs
	// their download links; Progress records a running job's progress.
	Files    storage.Store
	Links    FileLinks
	Progress JobProgress
}

type service struct {
	cfg      Config
	store    Store
	clock    Clock
	log      *slog.Logger
	files    storage.Store
	links    FileLinks
	progress JobProgress
	// imports: imports.go.
	imports *importRunner
}

// NewService returns the service.
func NewService(cfg Config, d Deps) (Service, error) {
	var errs []error
	if d.Store == nil {
		errs = append(errs, errors.New("nil Store"))
	}
	if d.Clock == nil {
		errs = append(errs, errors.New("nil Clock"))
	}
	if d.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if d.Files == nil || d.Links == nil || d.Progress == nil {
		errs = append(errs, errors.New("nil Files, Links or Progress"))
	}
	cfg.Uploads = cfg.Uploads.withDefaults()
	if cfg.DefaultPhoneRegion == "" {
		cfg.DefaultPhoneRegion = "US"
	}
	if !domain.ValidRegion(cfg.DefaultPhoneRegion) {
		errs = append(errs, errors.New("unknown DefaultPhoneRegion "+cfg.DefaultPhoneRegion))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(errors.New("app: NewService"), err)
	}
	s := &service{cfg: cfg, store: d.Store, clock: d.Clock, log: d.Logger.With("component", "app"),
		files: d.Files, links: d.Links, progress: d.Progress}
	var err error
	if s.imports, err = newImportRunner(s); err != nil {
		return nil, errors.Join(errors.New("app: NewService"), err)
	}
	return s, nil
}

// now is the clock truncated to PostgreSQL's microsecond precision, so a
// time read back from the database equals the one written (timeline cursors
// rely on that).
func (s *service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// requireOn is require for a use case on the aggregate id (what, with its
// not-found reason): a malformed id is a 404, after the permission check.
func requireOn(ctx context.Context, perm, id, reason, what string) (auth.Principal, error) {
	p, err := auth.CallerWith(ctx, perm)
	if err != nil {
		return p, err
	}
	return p, parseID(id, reason, what)
}

// actorID is the caller as a nullable user id (system callers have none).
func actorID(p auth.Principal) *string {
	if _, err := uuid.Parse(p.UserID); err != nil || p.UserID == uuid.Nil.String() {
		return nil
	}
	id := p.UserID
	return &id
}

// parseID checks a path id: a malformed one is a 404 (it cannot name a row).
func parseID(id, reason, what string) error {
	if _, err := uuid.Parse(id); err != nil {
		return domain.ErrNotFound(reason, what)
	}
	return nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// PageRequest is a raw page request: the limit bounded by the transport
// (zero: the default page size) and the cursor of an earlier page, opaque
// here: the repository that reads the page decodes it (a forged or stale
// one is a 400 naming cursor).
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page is one page of a list; Next is the opaque cursor of the next page
// ("" on the last page).
type Page[T any] struct {
	Items []T
	Next  string
}
