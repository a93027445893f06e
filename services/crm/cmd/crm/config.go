package main

import (
	"strings"

	"reos.dev/pkg/config"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
	"reos.dev/services/crm/internal/server"
)

// Config is crm's own configuration; the variables every service shares
// (DATABASE_URL, DB_MAX_CONNS, JWKS_URL, JWT_ISSUER …) are read by
// pkg/service.
//
//	DEFAULT_PHONE_REGION  region for phone numbers written without +country code, default US.
//	SEED_ORG_ID           organisation `crm seed` fills with demo data; seed does nothing when unset.
//	PROPERTY_EVENTS_GROUP Kafka consumer group of the property read model, default
//	                      crm-property-read-model. Every crm instance of one database must
//	                      share it; a stack with its own database on a shared broker (an
//	                      end-to-end run beside `make up`) needs its own, or the two split
//	                      the topic's partitions and each misses the other's share.
//	IDENTITY_EVENTS_GROUP Kafka consumer group of the users and teams read model, default
//	                      crm-identity-read-model; shared and separated like PROPERTY_EVENTS_GROUP.
//	OUTREACH_EVENTS_GROUP Kafka consumer group that puts outreach's events on the lead timeline,
//	                      default crm-outreach-timeline; shared and separated like PROPERTY_EVENTS_GROUP.
//	JOBS_RETRY_BASE, JOBS_POLL_INTERVAL, JOBS_TIMEOUT, JOBS_STEP_TIME,
//	JOBS_RESCUE_AFTER, JOBS_RESCUE_INTERVAL  the job queue (pkg/jobs: attempts bounded
//	                      to 20s, long work — lead imports — in 5s steps, an attempt whose
//	                      process died rescued 25s after it began)
//	STORAGE_DIR, STORAGE_SIGNING_KEY, STORAGE_URL_TTL  file storage (pkg/storage): lead import
//	                      files and deal documents, and their download links
//	IMPORT_MAX_BYTES      largest lead import file, default 64 MiB (nginx's request limit)
//	IMPORT_INLINE_MAX_BYTES  largest file imported within the request, default 1 MiB;
//	                      larger ones run as a job
//	IMPORT_BATCH_ROWS     records (valid or not) one import transaction reads and writes,
//	                      default 5000
//	IMPORT_FILE_RETENTION how long an ended import's file is kept (Go duration), default 720h
//	                      (30 days); 0 keeps files forever
//	DOCUMENT_MAX_BYTES    largest deal document, default 25 MiB
type Config struct {
	DefaultPhoneRegion  string
	SeedOrgID           string
	PropertyEventsGroup string
	IdentityEventsGroup string
	OutreachEventsGroup string
	Jobs                jobs.Settings
	Storage             storage.Config
	Uploads             app.UploadConfig
}

func loadConfig(e *config.Env, common config.Common) Config {
	c := Config{
		DefaultPhoneRegion:  strings.ToUpper(e.String("DEFAULT_PHONE_REGION", "US")),
		SeedOrgID:           e.String("SEED_ORG_ID", ""),
		PropertyEventsGroup: e.String("PROPERTY_EVENTS_GROUP", server.PropertyReadModelGroup),
		IdentityEventsGroup: e.String("IDENTITY_EVENTS_GROUP", server.IdentityReadModelGroup),
		OutreachEventsGroup: e.String("OUTREACH_EVENTS_GROUP", server.OutreachTimelineGroup),
		Jobs:                jobs.LoadSettings(e),
		Storage:             storage.LoadConfig(e, common),
		Uploads: app.UploadConfig{
			ImportMaxBytes:      int64(e.IntRange("IMPORT_MAX_BYTES", 64<<20, 1<<10, 1<<30)),
			ImportInlineBytes:   int64(e.IntRange("IMPORT_INLINE_MAX_BYTES", 1<<20, 1, 64<<20)),
			ImportBatchRows:     e.IntRange("IMPORT_BATCH_ROWS", 5000, 1, 50000),
			DocumentMaxBytes:    int64(e.IntRange("DOCUMENT_MAX_BYTES", 25<<20, 1<<10, 1<<30)),
			ImportFileRetention: csvimport.LoadFileRetention(e),
		},
	}
	c.Uploads.LinkTTL = c.Storage.URLTTL
	if !domain.ValidRegion(c.DefaultPhoneRegion) {
		e.Check("DEFAULT_PHONE_REGION", errRegion)
	}
	return c
}

type configError string

func (e configError) Error() string { return string(e) }

const errRegion configError = "must be an ISO 3166-1 alpha-2 region such as US"
