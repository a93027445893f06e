package app

import (
	"context"
	"time"

	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// Clock tells the time; tests use a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Store opens transactions over outreach's data; every read and write
// happens in InOrg, where row-level security shows one organisation only.
type Store interface {
	// InOrg runs fn in one transaction scoped to orgID; fn's error rolls back.
	InOrg(ctx context.Context, orgID string, fn func(Tx) error) error
}

// Tx is one transaction's view of outreach's repositories: rows and
// events written through it commit or roll back together. A missing row
// (another organisation's included) is an apperr not-found error.
type Tx interface {
	Settings() SettingsRepository
	Templates() TemplateRepository
	Campaigns() CampaignRepository
	Compliance() ComplianceRepository
	// Audience is the read model of crm's contacts and leads (audience.go).
	Audience() AudienceDirectory
	Events() Publisher
}

// SettingsRepository keeps the organisation's sending settings.
type SettingsRepository interface {
	// Get returns the saved settings; found is false before any are saved.
	Get(ctx context.Context) (s domain.Settings, found bool, err error)
	Save(ctx context.Context, s domain.Settings) error
}

// TemplateRepository stores email and SMS templates. A name taken by
// another template of the kind is a conflict (domain.ReasonNameTaken);
// deleting a template a campaign step uses is a conflict
// (domain.ReasonTemplateInUse).
type TemplateRepository interface {
	CreateEmail(ctx context.Context, orgID string, t domain.EmailTemplate) error
	GetEmail(ctx context.Context, id string) (domain.EmailTemplate, error)
	UpdateEmail(ctx context.Context, t domain.EmailTemplate) error
	DeleteEmail(ctx context.Context, id string) error
	ListEmail(ctx context.Context, p PageRequest) (Page[domain.EmailTemplate], error)
	CreateSMS(ctx context.Context, orgID string, t domain.SMSTemplate) error
	GetSMS(ctx context.Context, id string) (domain.SMSTemplate, error)
	UpdateSMS(ctx context.Context, t domain.SMSTemplate) error
	DeleteSMS(ctx context.Context, id string) error
	ListSMS(ctx context.Context, p PageRequest) (Page[domain.SMSTemplate], error)
	// Exist returns which of ids are templates of channel.
	Exist(ctx context.Context, channel compliance.Channel, ids []string) (map[string]bool, error)
}

// CampaignRepository stores campaigns with their steps and audience.
type CampaignRepository interface {
	// Create inserts c with its steps.
	Create(ctx context.Context, c domain.Campaign) error
	// Get returns the campaign with its steps; GetForUpdate also locks it.
	Get(ctx context.Context, id string) (domain.Campaign, error)
	GetForUpdate(ctx context.Context, id string) (domain.Campaign, error)
	// Update saves c's fields and replaces its steps.
	Update(ctx context.Context, c domain.Campaign) error
	List(ctx context.Context, q CampaignQuery) (Page[domain.Campaign], error)
	// SetAudienceLeads replaces the campaign's explicit leads (in order).
	SetAudienceLeads(ctx context.Context, campaignID string, leadIDs []string) error
	// AudienceLeads returns the campaign's explicit leads, in order.
	AudienceLeads(ctx context.Context, campaignID string) ([]string, error)
}

// ComplianceRepository keeps the opt-out, do-not-call and consent lists.
type ComplianceRepository interface {
	// Unsubscribe adds u to the list; added is false when the address was
	// on it already (nothing changed).
	Unsubscribe(ctx context.Context, orgID string, u domain.Unsubscribe) (added bool, err error)
	IsUnsubscribed(ctx context.Context, channel compliance.Channel, address string) (bool, error)
	// AddDNC adds e and returns the number's entry: e, or, when the number
	// was listed already (added false), the entry that was there.
	AddDNC(ctx context.Context, orgID string, e domain.DNCEntry) (entry domain.DNCEntry, added bool, err error)
	// RemoveDNC removes phone; a number not listed is not found.
	RemoveDNC(ctx context.Context, phone string) error
	ListDNC(ctx context.Context, p PageRequest) (Page[domain.DNCEntry], error)
	// AppendConsent adds an entry to the append-only consent log.
	AppendConsent(ctx context.Context, orgID string, e domain.ConsentEntry) error
	ListConsent(ctx context.Context, q ConsentQuery) (Page[domain.ConsentEntry], error)
}

// AudienceDirectory reads the audience read model.
type AudienceDirectory interface {
	// Leads returns the read model's leads among ids with their contacts
	// (missing ids are not in the map).
	Leads(ctx context.Context, ids []string) (map[string]domain.AudienceLead, error)
	// Contact returns a contact; found is false when unknown.
	Contact(ctx context.Context, id string) (c domain.AudienceContact, found bool, err error)
	// CountMatching counts the active leads matching f.
	CountMatching(ctx context.Context, f domain.LeadFilter) (int, error)
}

// Publisher writes domain events to the outbox in the transaction.
type Publisher interface {
	Publish(ctx context.Context, orgID string, evs ...Event) error
}

// Event is a domain event before its CloudEvents envelope: its type, the
// kind of aggregate (the subject's prefix) and its id (the message key).
type Event struct {
	Type      string
	Aggregate string
	ID        string
	Data      any
}

// CampaignQuery is a campaign list or search: statuses (any of), a name
// search (case-insensitive substring), the sort and the page.
type CampaignQuery struct {
	Statuses []domain.CampaignStatus
	Name     string
	Sort     Sort
	Page     PageRequest
}

// Sort is a whitelisted sort field and its direction.
type Sort struct {
	Field string
	Desc  bool
}

// ConsentQuery filters the consent log (newest first).
type ConsentQuery struct {
	Channel   compliance.Channel
	Address   string
	ContactID string
	Page      PageRequest
}

// PageRequest is a raw page request: the limit (zero: the default) and the
// opaque cursor of an earlier page, decoded by the repository (a forged
// one is a 400 naming cursor).
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page is one page of a list; Next is the cursor of the next ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}
