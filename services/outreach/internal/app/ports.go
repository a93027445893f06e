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
	// CampaignStatus reads a campaign's status in one round trip (the
	// engine asks before every message: pause and cancel take effect
	// before the next one); found is false for no such campaign.
	CampaignStatus(ctx context.Context, orgID, campaignID string) (st domain.CampaignStatus, found bool, err error)
	// DueCampaigns lists, across organisations, the scheduled campaigns
	// whose start has come and the running ones whose next work is due
	// (the scheduler's scan; ids only).
	DueCampaigns(ctx context.Context, now time.Time, limit int) ([]CampaignRef, error)
	// AttemptOrg finds the organisation of the attempt a provider knows
	// by its message id ("" when none).
	AttemptOrg(ctx context.Context, provider, providerMessageID string) (string, error)
	// InboundOrgs finds the organisations an inbound text to number `to`
	// from `from` may belong to: those sending from `to`, else those that
	// last texted `from`.
	InboundOrgs(ctx context.Context, to, from string) ([]string, error)
}

// CampaignRef names a campaign of an organisation.
type CampaignRef struct{ OrgID, CampaignID string }

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
	// Engine is the send engine's view of campaigns' targets (engine.go).
	Engine() EngineRepository
	Attempts() AttemptRepository
	Deliverability() DeliverabilityRepository
	Jobs() JobQueue
}

// EngineRepository keeps where each target of a running campaign is.
type EngineRepository interface {
	// FreezeTargets copies the campaign's audience as it is now (its
	// explicit leads, or its filter's matches) into its targets, each due
	// for step 1 at due; it returns how many were frozen.
	FreezeTargets(ctx context.Context, c domain.Campaign, due, now time.Time) (int, error)
	// ClaimDue locks up to limit active targets due at now (skipping those
	// another step holds), moves their due time to leaseUntil (so a step
	// that dies gives them back then) and returns them.
	ClaimDue(ctx context.Context, campaignID string, now, leaseUntil time.Time, limit int) ([]domain.Target, error)
	// SaveTargets writes the targets' progress (next step, due time, state).
	SaveTargets(ctx context.Context, campaignID string, ts []domain.Target) error
	// Progress counts the campaign's targets by state and finds the
	// earliest due time of the active ones.
	Progress(ctx context.Context, campaignID string) (TargetProgress, error)
	// Replied returns which of leads replied to any message of the campaign.
	Replied(ctx context.Context, campaignID string, leadIDs []string) (map[string]bool, error)
}

// TargetProgress is a campaign's targets by state.
type TargetProgress struct {
	Active, Done, Stopped int
	// NextDue is the earliest due time of an active target (nil: none).
	NextDue *time.Time
}

// AttemptRepository records every message outreach means to send.
type AttemptRepository interface {
	// Ensure inserts the attempts whose keys are new and returns, in the
	// order given, the attempt each key names (the new one, or the one
	// recorded before: a retry, a crash, a replay finds it).
	Ensure(ctx context.Context, orgID string, as []domain.Attempt) ([]domain.Attempt, error)
	// Save writes the attempts' state (status, reason, provider answer, times).
	Save(ctx context.Context, as []domain.Attempt) error
	Get(ctx context.Context, id string) (domain.Attempt, error)
	// ByKey returns the attempt of a message key; found false when none.
	ByKey(ctx context.Context, key string) (a domain.Attempt, found bool, err error)
	// ByProviderID returns the attempt a provider knows by its id.
	ByProviderID(ctx context.Context, provider, id string) (a domain.Attempt, found bool, err error)
	// LatestTo returns the newest attempt that reached address on channel.
	LatestTo(ctx context.Context, ch compliance.Channel, address string) (a domain.Attempt, found bool, err error)
	List(ctx context.Context, q AttemptQuery) (Page[domain.Attempt], error)
	// Metrics counts the campaign's attempts per step, in step order.
	Metrics(ctx context.Context, campaignID string) ([]StepCounts, error)
	// Unsubscribed counts the opt-outs that came from the campaign's messages.
	Unsubscribed(ctx context.Context, campaignID string) (int, error)
	// Rates counts the campaign's accepted sends, hard bounces and
	// complaints (the guards).
	Rates(ctx context.Context, campaignID string) (sent, hardBounces, complaints int, err error)
}

// DeliverabilityRepository records providers' events and keeps the
// suppression list and soft-bounce streaks.
type DeliverabilityRepository interface {
	// Record inserts the event; false when the provider's event id was
	// recorded before (a redelivery: nothing more to do).
	Record(ctx context.Context, orgID string, e DeliverabilityEvent) (bool, error)
	// Suppress adds the address (false when it was suppressed already).
	Suppress(ctx context.Context, orgID string, ch compliance.Channel, address, reason, detail string, attemptID *string, now time.Time) (bool, error)
	// SoftBounce adds one to the address's streak and returns it; Reset
	// ends the streak (a delivery).
	SoftBounce(ctx context.Context, orgID string, ch compliance.Channel, address string, now time.Time) (int, error)
	ResetBounces(ctx context.Context, ch compliance.Channel, address string) error
	// Report counts events by recipient domain and provider (of one
	// campaign's attempts when campaignID is set).
	Report(ctx context.Context, campaignID string) ([]DeliverabilityRow, error)
	// Resubscribe takes the address off the unsubscribe list (START).
	Resubscribe(ctx context.Context, ch compliance.Channel, address string) (bool, error)
}

// JobQueue enqueues outreach's jobs in the transaction.
type JobQueue interface {
	// EnqueueStep enqueues the next step of a campaign's execution.
	EnqueueStep(ctx context.Context, orgID, campaignID string) error
	// EnqueueDeferred enqueues the send of a single message at `at` (its
	// quiet hours' end, a retry).
	EnqueueDeferred(ctx context.Context, orgID, attemptID string, at time.Time) error
	// EnqueueReply enqueues a keyword's answer text (STOP, START, HELP).
	EnqueueReply(ctx context.Context, orgID string, r Reply) error
}

// StepRun is the running step job of a campaign, for the use case that
// works it: its time, and the two ways it ends, in the transaction that
// commits its last batch.
type StepRun interface {
	// StepOver reports whether the step has worked its share (jobs.StepOver).
	StepOver(ctx context.Context) bool
	// Continue enqueues the next step now and completes this one, in tx.
	Continue(ctx context.Context, tx Tx) error
	// Complete completes this step in tx (the chain ends).
	Complete(ctx context.Context, tx Tx) error
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
	// Facts returns what the lists say about each recipient (the gate's
	// facts: unsubscribed, DNC, suppressed, the latest consent), in one query.
	Facts(ctx context.Context, rs []Recipient) (map[Recipient]RecipientFacts, error)
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

// AttemptQuery filters attempt lists (newest first).
type AttemptQuery struct {
	CampaignID string
	LeadID     string
	Statuses   []domain.AttemptStatus
	Channel    compliance.Channel
	Page       PageRequest
}

// StepCounts are one step's messages by outcome (step 0: the campaign's
// totals). Sent counts every message a provider accepted (whatever came
// after); complaints are counted apart from bounces.
type StepCounts struct {
	Step                                 int
	Queued, Sending, Sent, Delivered     int
	BouncedHard, BouncedSoft, Complained int
	Opened, Clicked, Replied             int
	Blocked, Deferred, Failed, Unknown   int
	// BlockedBy and DeferredBy count by reason.
	BlockedBy, DeferredBy map[string]int
}

// DeliverabilityEvent is a provider's event as recorded.
type DeliverabilityEvent struct {
	ID              string
	AttemptID       *string
	Provider        string
	ProviderEventID *string
	Type            string
	Recipient       *string
	RecipientDomain *string
	Detail          *string
	URL             *string
	OccurredAt      time.Time
	ReceivedAt      time.Time
}

// DeliverabilityRow counts one recipient domain's events at one provider.
type DeliverabilityRow struct {
	Domain   string
	Provider string
	Sent     int
	ByType   map[string]int
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

// Reply is the answer to an inbound keyword (STOP, START, HELP): one text
// to the number that sent it, under a key derived from the inbound event,
// so a redelivered webhook never answers twice.
type Reply struct {
	To        string
	Body      string
	Key       string
	ContactID *string
	LeadID    *string
}
