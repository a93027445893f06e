package main

import (
	"reos.dev/pkg/config"
	"reos.dev/pkg/jobs"
)

// Config is property's own configuration; the variables every service
// shares (DATABASE_URL, JWKS_URL, JWT_ISSUER …) are read by pkg/service.
//
//	SEED_ORG_ID  the organisation `property seed` fills with the 50 demo
//	             properties. When unset, seed does nothing and says so: the
//	             service cannot read identity's tables to find the demo org
//	             itself, so `make up` passes the id it got from identity.
//
//	JOBS_RETRY_BASE, JOBS_POLL_INTERVAL, JOBS_TIMEOUT  the job queue (pkg/jobs)
type Config struct {
	SeedOrgID string
	Jobs      jobs.Settings
}

func loadConfig(e *config.Env, _ config.Common) Config {
	return Config{SeedOrgID: e.String("SEED_ORG_ID", ""), Jobs: jobs.LoadSettings(e)}
}
