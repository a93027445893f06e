package main

import (
	"strings"

	"reos.dev/pkg/config"
	"reos.dev/pkg/jobs"
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
//	JOBS_RETRY_BASE, JOBS_POLL_INTERVAL, JOBS_TIMEOUT  the job queue (pkg/jobs)
type Config struct {
	DefaultPhoneRegion  string
	SeedOrgID           string
	PropertyEventsGroup string
	Jobs                jobs.Settings
}

func loadConfig(e *config.Env, _ config.Common) Config {
	c := Config{
		DefaultPhoneRegion:  strings.ToUpper(e.String("DEFAULT_PHONE_REGION", "US")),
		SeedOrgID:           e.String("SEED_ORG_ID", ""),
		PropertyEventsGroup: e.String("PROPERTY_EVENTS_GROUP", server.PropertyReadModelGroup),
		Jobs:                jobs.LoadSettings(e),
	}
	if !domain.ValidRegion(c.DefaultPhoneRegion) {
		e.Check("DEFAULT_PHONE_REGION", errRegion)
	}
	return c
}

type configError string

func (e configError) Error() string { return string(e) }

const errRegion configError = "must be an ISO 3166-1 alpha-2 region such as US"
