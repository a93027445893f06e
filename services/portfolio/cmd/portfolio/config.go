package main

import (
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/jobs"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/server"
)

// Config is portfolio's own configuration; the variables every service
// shares (DATABASE_URL, DB_ROLE, KAFKA_BROKERS, JWKS_URL …) are read by
// pkg/service.
//
//	PROPERTY_URL              property's base URL for the read model's HTTP fallback,
//	                          default http://127.0.0.1:8102
//	PROPERTY_TIMEOUT          bound of one call to property (Go duration), default 2s
//	PROPERTY_EVENTS_GROUP     Kafka consumer group of the property read model, default
//	                          portfolio-property-read-model. Every portfolio instance of one
//	                          database must share it; a stack with its own database on a
//	                          shared broker needs its own, or the two split the partitions.
//	RECONCILE_INLINE_HOLDINGS the largest portfolio reconciled within the request,
//	                          default 2000 holdings; larger ones run as a job
//	RECONCILE_BATCH           holdings one reconciliation transaction checks, default 1000
//	VALUATION_FALLBACK_CALLS  calls to property one valuation request may make for holdings
//	                          the read model has no mark for, default 20
//	JOBS_RETRY_BASE, JOBS_POLL_INTERVAL, JOBS_TIMEOUT, JOBS_STEP_TIME,
//	JOBS_RESCUE_AFTER, JOBS_RESCUE_INTERVAL  the job queue (pkg/jobs)
type Config struct {
	PropertyURL         string
	PropertyTimeout     time.Duration
	PropertyEventsGroup string
	App                 app.Config
	Jobs                jobs.Settings
}

func loadConfig(e *config.Env, _ config.Common) Config {
	c := Config{
		PropertyURL:         e.URL("PROPERTY_URL", "http://127.0.0.1:8102"),
		PropertyTimeout:     e.Duration("PROPERTY_TIMEOUT", 2*time.Second),
		PropertyEventsGroup: e.String("PROPERTY_EVENTS_GROUP", server.PropertyReadModelGroup),
		App: app.Config{
			InlineReconcileHoldings: e.IntRange("RECONCILE_INLINE_HOLDINGS", 2000, 1, 1_000_000),
			ReconcileBatch:          e.IntRange("RECONCILE_BATCH", 1000, 1, 50_000),
			FallbackLookups:         e.IntRange("VALUATION_FALLBACK_CALLS", 20, 1, 1000),
		},
		Jobs: jobs.LoadSettings(e),
	}
	if c.PropertyTimeout <= 0 {
		e.Check("PROPERTY_TIMEOUT", configError("must be a positive duration such as 2s"))
	}
	return c
}

type configError string

func (e configError) Error() string { return string(e) }
