// Package app holds outreach's use cases behind the Service interface and
// the ports they need (ports.go: a store whose transactions hand out small
// repositories, a clock). Every use case checks the caller's permission
// here, whatever the transport did, then runs in one transaction scoped to
// the caller's organisation and announces what changed as domain events in
// that same transaction. The public unsubscribe use cases have no caller:
// the signed token names the organisation.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/auth"
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
	"reos.dev/services/outreach/internal/domain/template"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
	"reos.dev/services/outreach/internal/provider"
)

// Permissions outreach checks (identity's catalogue defines them).
const (
	PermCampaignsRead   = "campaigns:read"
	PermCampaignsWrite  = "campaigns:write"
	PermCampaignsLaunch = "campaigns:launch"
	PermTemplatesRead   = "templates:read"
	PermTemplatesWrite  = "templates:write"
	PermComplianceRead  = "compliance:read"
	PermComplianceWrite = "compliance:write"
	// PermAdmin is the wildcard only admins hold: the sending settings.
	PermAdmin = "*"
)

// Service is outreach's application API.
type Service interface {
	GetSettings(ctx context.Context) (domain.Settings, error)
	UpdateSettings(ctx context.Context, in domain.SettingsInput) (domain.Settings, error)

	CreateEmailTemplate(ctx context.Context, in EmailTemplateInput) (domain.EmailTemplate, error)
	GetEmailTemplate(ctx context.Context, id string) (domain.EmailTemplate, error)
	UpdateEmailTemplate(ctx context.Context, id string, in EmailTemplateInput) (domain.EmailTemplate, error)
	DeleteEmailTemplate(ctx context.Context, id string) error
	ListEmailTemplates(ctx context.Context, p PageRequest) (Page[domain.EmailTemplate], error)
	PreviewEmailTemplate(ctx context.Context, id string, in PreviewInput) (template.Email, error)
	CreateSMSTemplate(ctx context.Context, in SMSTemplateInput) (domain.SMSTemplate, error)
	GetSMSTemplate(ctx context.Context, id string) (domain.SMSTemplate, error)
	UpdateSMSTemplate(ctx context.Context, id string, in SMSTemplateInput) (domain.SMSTemplate, error)
	DeleteSMSTemplate(ctx context.Context, id string) error
	ListSMSTemplates(ctx context.Context, p PageRequest) (Page[domain.SMSTemplate], error)
	PreviewSMSTemplate(ctx context.Context, id string, in PreviewInput) (SMSPreview, error)

	CreateCampaign(ctx context.Context, in domain.CampaignInput) (domain.Campaign, error)
	GetCampaign(ctx context.Context, id string) (domain.Campaign, error)
	UpdateCampaign(ctx context.Context, id string, in domain.CampaignInput) (domain.Campaign, error)
	CancelCampaign(ctx context.Context, id string) (domain.Campaign, error)
	ListCampaigns(ctx context.Context, q CampaignQuery) (Page[domain.Campaign], error)
	SetCampaignTargets(ctx context.Context, id string, in TargetsInput) (TargetsResult, error)
	LaunchCampaign(ctx context.Context, id string, in LaunchInput) (domain.Campaign, error)
	PauseCampaign(ctx context.Context, id string) (domain.Campaign, error)
	ResumeCampaign(ctx context.Context, id string) (domain.Campaign, error)

	CampaignMetrics(ctx context.Context, id string) (CampaignMetrics, error)
	CampaignDeliverability(ctx context.Context, id string) ([]DeliverabilityRow, error)
	Deliverability(ctx context.Context) ([]DeliverabilityRow, error)
	ListAttempts(ctx context.Context, q AttemptQuery) (Page[domain.Attempt], error)
	GetAttempt(ctx context.Context, id string) (domain.Attempt, error)

	// Send sends a single message (POST /outreach/email|sms);
	// SendDeferred is its deferred-send job.
	Send(ctx context.Context, ch compliance.Channel, in SendInput) (domain.Attempt, error)
	SendDeferred(ctx context.Context, orgID, attemptID string) error

	// RunCampaignStep works a step job of a campaign (no caller: the job's
	// organisation); RunScheduler starts, holds and wakes campaigns.
	RunCampaignStep(ctx context.Context, orgID, campaignID string, run StepRun) error
	RunScheduler(ctx context.Context) (int, error)
	// HandleProviderEvents applies providers' verified delivery events
	// and inbound messages (the webhooks, the mocks' Notify).
	HandleProviderEvents(ctx context.Context, evs []webhooks.Event) error
	// SendReply sends a keyword's answer (the reply job).
	SendReply(ctx context.Context, orgID string, r Reply) error

	// CheckUnsubscribe reads a token for the confirmation page; it changes
	// nothing. Unsubscribe applies one (public: the token is the credential).
	CheckUnsubscribe(ctx context.Context, token string) (unsubscribe.Claims, error)
	Unsubscribe(ctx context.Context, token, source string) (UnsubscribeResult, error)
	ListDNC(ctx context.Context, p PageRequest) (Page[domain.DNCEntry], error)
	AddDNC(ctx context.Context, in DNCInput) (domain.DNCEntry, bool, error)
	RemoveDNC(ctx context.Context, phone string) error
	ListConsent(ctx context.Context, q ConsentQuery) (Page[domain.ConsentEntry], error)
	RecordConsent(ctx context.Context, in ConsentInput) (domain.ConsentEntry, error)

	// SeedDemo creates orgID's demo templates and draft campaign if missing.
	SeedDemo(ctx context.Context, orgID string) (SeedReport, error)
}

// Config are the service's settings.
type Config struct {
	// DefaultTimeZone is an organisation's zone until it saves its own.
	DefaultTimeZone string
	// PublicBaseURL is where recipients reach the API (links in messages),
	// e.g. https://app.example.com; previews show links under it.
	PublicBaseURL string
	EngineConfig
}

// EngineConfig tunes the send engine; zero values take the defaults.
type EngineConfig struct {
	// DefaultFrom and DefaultSMSFrom send for an organisation whose
	// settings name no sender (default "outreach@localhost", "+15555550100").
	DefaultFrom, DefaultSMSFrom string
	// BatchSize is how many targets a step claims at once (default 200);
	// SendConcurrency how many of a batch's messages are with a provider
	// at once (default 8).
	BatchSize, SendConcurrency int
	// Parallel is how many step chains work one campaign at once (default 3).
	Parallel int
	// ClaimLease is how long a claimed target stays with the step that
	// claimed it before another may take it (default 1 min: longer than
	// any attempt lives, JOBS_TIMEOUT).
	ClaimLease time.Duration
	// SoftBounceLimit soft bounces in a row suppress an address (default 3).
	SoftBounceLimit int
	// The guards: after GuardMinSends accepted sends (default 200) a
	// campaign whose complaint rate passes ComplaintRate (0.003) or whose
	// hard-bounce rate passes HardBounceRate (0.05) is paused.
	GuardMinSends                 int
	ComplaintRate, HardBounceRate float64
}

func (c Config) withDefaults() Config {
	if c.DefaultTimeZone == "" {
		c.DefaultTimeZone = "America/New_York"
	}
	if c.DefaultFrom == "" {
		c.DefaultFrom = "outreach@localhost"
	}
	if c.DefaultSMSFrom == "" {
		c.DefaultSMSFrom = "+15555550100"
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 200
	}
	if c.Parallel <= 0 {
		c.Parallel = 3
	}
	if c.SendConcurrency <= 0 {
		c.SendConcurrency = 8
	}
	if c.ClaimLease <= 0 {
		c.ClaimLease = time.Minute
	}
	if c.SoftBounceLimit <= 0 {
		c.SoftBounceLimit = 3
	}
	if c.GuardMinSends <= 0 {
		c.GuardMinSends = 200
	}
	if c.ComplaintRate <= 0 {
		c.ComplaintRate = 0.003
	}
	if c.HardBounceRate <= 0 {
		c.HardBounceRate = 0.05
	}
	return c
}

// Deps are the service's collaborators; all are required.
type Deps struct {
	Store  Store
	Clock  Clock
	Logger *slog.Logger
	// Unsubscribe signs and checks the tokens of unsubscribe links.
	Unsubscribe *unsubscribe.Signer
	// Email and SMS are the providers messages go through (mocks in
	// MODE=mock), paced to their accounts' rates.
	Email provider.Email
	SMS   provider.SMS
}

type service struct {
	cfg    Config
	store  Store
	clock  Clock
	log    *slog.Logger
	tokens *unsubscribe.Signer
	email  provider.Email
	sms    provider.SMS
}

// NewService returns the service.
func NewService(cfg Config, d Deps) (Service, error) {
	var errs []error
	if d.Store == nil || d.Clock == nil || d.Logger == nil || d.Unsubscribe == nil || d.Email == nil || d.SMS == nil {
		errs = append(errs, errors.New("nil Store, Clock, Logger, Unsubscribe, Email or SMS"))
	}
	cfg = cfg.withDefaults()
	if !domain.ValidZone(cfg.DefaultTimeZone) {
		errs = append(errs, errors.New("DefaultTimeZone is not an IANA zone: "+cfg.DefaultTimeZone))
	}
	if u, err := url.Parse(cfg.PublicBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("PublicBaseURL must be an absolute http(s) URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(errors.New("app: NewService"), err)
	}
	return &service{cfg: cfg, store: d.Store, clock: d.Clock, log: d.Logger.With("component", "app"), tokens: d.Unsubscribe,
		email: d.Email, sms: d.SMS}, nil
}

// now is the clock truncated to PostgreSQL's microsecond precision, so a
// time read back equals the one written.
func (s *service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// requireOn checks perm, then the path id: a malformed id is a 404 (it
// cannot name a row), after the permission check.
func requireOn(ctx context.Context, perm, id, reason, what string) (auth.Principal, error) {
	p, err := auth.CallerWith(ctx, perm)
	if err != nil {
		return p, err
	}
	if !domain.ValidID(id) {
		return p, domain.ErrNotFound(reason, what)
	}
	return p, nil
}

// actorID is the caller as a nullable user id (system callers have none).
func actorID(p auth.Principal) *string {
	if !domain.ValidID(p.UserID) || p.UserID == uuid.Nil.String() {
		return nil
	}
	id := p.UserID
	return &id
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
