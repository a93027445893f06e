package main

import (
	"crypto/sha256"
	"fmt"
	"net/url"

	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/storage"
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
	"reos.dev/services/outreach/internal/provider"
	"reos.dev/services/outreach/internal/server"
)

// Config is outreach's own configuration; the variables every service
// shares (DATABASE_URL, DB_ROLE, KAFKA_BROKERS, JWKS_URL …) are read by
// pkg/service.
//
//	UNSUBSCRIBE_SECRET  the HMAC key of unsubscribe links, at least 32 bytes
//	                    (`openssl rand -base64 48`). Required in production;
//	                    every instance must share it, and changing it breaks
//	                    the links of every message already sent. In mock mode
//	                    it defaults to a key derived from the service name:
//	                    public, so mock links are forgeable by design. Never
//	                    logged (only its length is ever reported).
//	PUBLIC_BASE_URL     the origin recipients reach the API at, for the links
//	                    in messages (https://app.example.com); required in
//	                    production, default http://127.0.0.1:8000 (make up's nginx).
//	DEFAULT_TIME_ZONE   an organisation's zone until its settings name one
//	                    (IANA), default America/New_York.
//	CRM_EVENTS_GROUP    Kafka consumer group of the audience read model
//	                    (reos.crm.events), default outreach-crm-read-model.
//	                    Every outreach instance of one database must share it;
//	                    a stack with its own database on a shared broker needs
//	                    its own, or the two split the topic's partitions.
//	SEED_ORG_ID         the organisation `outreach seed` fills with demo
//	                    templates and a draft campaign; seed does nothing when unset.
//	EMAIL_FROM, SMS_FROM the sender of an organisation whose settings name
//	                    none (default outreach@localhost, +15555550100).
//	SEND_BATCH_SIZE     targets a campaign step claims at once (200);
//	SEND_CONCURRENCY    messages of a batch with a provider at once (8);
//	SEND_CHAINS         step chains working one campaign at once (3);
//	SOFT_BOUNCE_LIMIT   soft bounces in a row that suppress an address (3);
//	SCHEDULER_INTERVAL  how often scheduled starts, missed holds and
//	                    campaign wake-ups are looked for (1s).
//	The providers' variables (EMAIL_PROVIDER, SMS_PROVIDER, SMTP_*, …) are
//	provider.Load's, the webhooks' (MOCK_WEBHOOK_SECRET, …) webhooks.LoadConfig's.
type Config struct {
	UnsubscribeSecret storage.Secret
	PublicBaseURL     string
	DefaultTimeZone   string
	CRMEventsGroup    string
	SeedOrgID         string
	Jobs              jobs.Settings
	Providers         provider.Config
	Webhooks          webhooks.Config
	Engine            app.EngineConfig
	SchedulerInterval time.Duration
}

func loadConfig(e *config.Env, common config.Common) Config {
	c := Config{
		DefaultTimeZone: e.String("DEFAULT_TIME_ZONE", "America/New_York"),
		CRMEventsGroup:  e.String("CRM_EVENTS_GROUP", server.CRMReadModelGroup),
		SeedOrgID:       e.String("SEED_ORG_ID", ""),
		Jobs:            jobs.LoadSettings(e),
		Providers:       provider.Load(e, common.Mode),
		Webhooks:        webhooks.LoadConfig(e, common.Mode),
		Engine: app.EngineConfig{
			DefaultFrom:     e.String("EMAIL_FROM", ""),
			DefaultSMSFrom:  e.String("SMS_FROM", ""),
			BatchSize:       e.IntRange("SEND_BATCH_SIZE", 200, 1, 1000),
			SendConcurrency: e.IntRange("SEND_CONCURRENCY", 8, 1, 64),
			Parallel:        e.IntRange("SEND_CHAINS", 3, 1, 16),
			SoftBounceLimit: e.IntRange("SOFT_BOUNCE_LIMIT", 3, 1, 100),
		},
		SchedulerInterval: e.Duration("SCHEDULER_INTERVAL", time.Second),
	}
	if c.SchedulerInterval <= 0 || c.SchedulerInterval > time.Minute {
		e.Check("SCHEDULER_INTERVAL", configError("must be from 1ms to 1m (a scheduled start waits at most this long)"))
	}
	secret := e.String("UNSUBSCRIBE_SECRET", "")
	if common.Mode == config.ModeProduction {
		c.PublicBaseURL = e.Required("PUBLIC_BASE_URL")
		if secret == "" {
			e.Required("UNSUBSCRIBE_SECRET")
		}
	} else {
		c.PublicBaseURL = e.String("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
		if secret == "" {
			secret = mockSecret(common.Service)
		}
	}
	if secret != "" && len(secret) < unsubscribe.MinSecretLen {
		e.Check("UNSUBSCRIBE_SECRET", fmt.Errorf("must be at least %d bytes, got %d", unsubscribe.MinSecretLen, len(secret)))
	}
	c.UnsubscribeSecret = storage.Secret(secret)
	if u, err := url.Parse(c.PublicBaseURL); c.PublicBaseURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "") {
		e.Check("PUBLIC_BASE_URL", configError("must be an http(s) origin such as https://app.example.com, without a path"))
	}
	if !domain.ValidZone(c.DefaultTimeZone) {
		e.Check("DEFAULT_TIME_ZONE", configError("must be an IANA time zone such as America/New_York"))
	}
	if c.SeedOrgID != "" && !domain.ValidID(c.SeedOrgID) {
		e.Check("SEED_ORG_ID", configError("must be an organisation id (UUID)"))
	}
	return c
}

// mockSecret is the mock-mode unsubscribe key: derived from the service's
// name so every instance agrees, and worthless as a secret.
func mockSecret(service string) string {
	sum := sha256.Sum256([]byte("reos mock unsubscribe secret: " + service))
	return fmt.Sprintf("%x", sum)
}

type configError string

func (e configError) Error() string { return string(e) }
