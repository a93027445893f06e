package main

import (
	"errors"
	"strconv"

	"reos.dev/pkg/config"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/storage"
	"reos.dev/services/property/internal/adapters/market"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/server"
)

// Config is property's own configuration; the variables every service
// shares (DATABASE_URL, JWKS_URL, JWT_ISSUER …) are read by pkg/service.
//
//	SEED_ORG_ID  the organisation `property seed` fills with the 50 demo
//	             properties. When unset, seed does nothing and says so: the
//	             service cannot read identity's tables to find the demo org
//	             itself, so `make up` passes the id it got from identity.
//
//	IDENTITY_EVENTS_GROUP  Kafka consumer group of the users read model (the
//	             agents a listing may name), default
//	             property-identity-read-model
//
//	JOBS_RETRY_BASE, JOBS_POLL_INTERVAL, JOBS_TIMEOUT, JOBS_STEP_TIME,
//	JOBS_RESCUE_AFTER, JOBS_RESCUE_INTERVAL  the job queue (pkg/jobs:
//	             attempts bounded to 20s, long work in 5s steps, an attempt
//	             whose process died rescued 25s after it began)
//
//	MARKET_DATA_SEED     the mock market data provider's seed (MODE=mock;
//	                     default 20260101): the same seed gives the same
//	                     price indexes everywhere
//	MARKET_DATA_OUTAGES  simulated provider outages of the mock, by region
//	                     (postal code, or lower-case city): "99999:3,12345"
//	                     fails 99999's next 3 requests and every request
//	                     for 12345
//
//	STORAGE_DIR, STORAGE_SIGNING_KEY, STORAGE_URL_TTL  the file store of
//	                     images and documents and their download links
//	                     (pkg/storage: required in production, mock defaults)
//	IMAGE_MAX_BYTES      largest image accepted (default 10 MiB)
//	DOCUMENT_MAX_BYTES   largest document accepted (default 25 MiB)
//
//	IMPORT_MAX_BYTES         largest CSV file a bulk import accepts (default
//	                         2 GiB; larger is a 413)
//	IMPORT_INLINE_MAX_BYTES  files up to this size are imported inside the
//	                         request (default 1 MiB); larger ones run as a job
//	IMPORT_BATCH_ROWS        records loaded per statement and checkpoint
//	                         (default 5000)
//	IMPORT_FILE_RETENTION    how long an ended import's file is kept (Go
//	                         duration, default 720h = 30 days; 0 keeps it
//	                         forever)
//
// MODE=production has no market data provider yet (only the mock exists),
// so serve and seed refuse to start in it rather than value properties
// with made-up data (migrate still works).
type Config struct {
	SeedOrgID string
	// IdentityEventsGroup is the consumer group of the users read model.
	IdentityEventsGroup string
	Jobs                jobs.Settings
	Market              MarketConfig
	Storage             storage.Config
	// ImageMaxBytes and DocumentMaxBytes bound uploads.
	ImageMaxBytes, DocumentMaxBytes int64
	// Imports bounds bulk imports.
	Imports app.ImportConfig
}

// MarketConfig configures the market data provider.
type MarketConfig struct {
	Seed    uint64
	Outages map[string]int
}

func loadConfig(e *config.Env, common config.Common) Config {
	return Config{SeedOrgID: e.String("SEED_ORG_ID", ""), Jobs: jobs.LoadSettings(e), Market: loadMarket(e),
		IdentityEventsGroup: e.String("IDENTITY_EVENTS_GROUP", server.IdentityReadModelGroup),
		Storage:             storage.LoadConfig(e, common),
		ImageMaxBytes:       int64(e.IntRange("IMAGE_MAX_BYTES", app.DefaultImageMaxBytes, 1, 1<<30)),
		DocumentMaxBytes:    int64(e.IntRange("DOCUMENT_MAX_BYTES", app.DefaultDocumentMaxBytes, 1, 1<<30)),
		Imports: app.ImportConfig{
			MaxBytes:       int64(e.IntRange("IMPORT_MAX_BYTES", app.DefaultImportMaxBytes, 1, 1<<36)),
			InlineMaxBytes: int64(e.IntRange("IMPORT_INLINE_MAX_BYTES", app.DefaultImportInlineMaxBytes, 1, 64<<20)),
			BatchRows:      e.IntRange("IMPORT_BATCH_ROWS", app.DefaultImportBatchRows, 1, 100_000),
			FileRetention:  csvimport.LoadFileRetention(e),
		},
	}
}

func loadMarket(e *config.Env) MarketConfig {
	c := MarketConfig{Seed: market.DefaultSeed}
	if s := e.String("MARKET_DATA_SEED", ""); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			e.Check("MARKET_DATA_SEED", errors.New("must be an unsigned integer"))
		}
		c.Seed = n
	}
	outages, err := market.ParseOutages(e.String("MARKET_DATA_OUTAGES", ""))
	if err != nil {
		e.Check("MARKET_DATA_OUTAGES", err)
	}
	c.Outages = outages
	return c
}

// media is the file store, link signer and limits of images and documents.
func (c Config) media(files storage.Store, signer *storage.Signer) app.MediaConfig {
	return app.MediaConfig{Files: files, Signer: signer, URLTTL: c.Storage.URLTTL,
		ImageMaxBytes: c.ImageMaxBytes, DocumentMaxBytes: c.DocumentMaxBytes}
}
