package main

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/jobs"
)

// Config is platform's own configuration; the variables every service
// shares (DATABASE_URL, DB_ROLE, KAFKA_BROKERS, JWKS_URL …) are read by
// pkg/service.
//
//	JOB_SERVICES   the services whose jobs /tasks and /admin/dlq aggregate,
//	               name=base URL, comma separated (their jobs API is at
//	               /api/v1/jobs/<name>); default the local stack's
//	               property=http://127.0.0.1:8102,crm=http://127.0.0.1:8103,
//	               outreach=http://127.0.0.1:8104,portfolio=http://127.0.0.1:8105,
//	               platform=http://127.0.0.1:8106 (its own, the webhook deliveries).
//	JOBS_TIMEOUT_PER_SERVICE  bounds each call to one of them (default 3s):
//	               a slower service is reported missing, the rest answered.
//	JOBS_*         platform's own job queue (pkg/jobs LoadSettings).
//	WEBHOOK_ALLOW_NETS  comma-separated CIDRs webhooks may reach although
//	               internal (development only, e.g. 127.0.0.0/8); default none,
//	               refused in production.
//	WEBHOOK_TIMEOUT     bound of one delivery attempt, default 15s.
//	WEBHOOK_EVENTS_GROUP prefix of the consumer groups of the domain topics
//	               (default platform-webhooks; -<context> is appended).
type Config struct {
	JobServices    map[string]string
	JobsTimeout    time.Duration
	Jobs           jobs.Settings
	WebhookAllow   []netip.Prefix
	WebhookTimeout time.Duration
	WebhookGroup   string
}

const defaultJobServices = "property=http://127.0.0.1:8102,crm=http://127.0.0.1:8103,outreach=http://127.0.0.1:8104,portfolio=http://127.0.0.1:8105,platform=http://127.0.0.1:8106"

func loadConfig(e *config.Env, common config.Common) Config {
	c := Config{
		JobsTimeout:    e.Duration("JOBS_TIMEOUT_PER_SERVICE", 3*time.Second),
		Jobs:           jobs.LoadSettings(e),
		WebhookTimeout: e.Duration("WEBHOOK_TIMEOUT", 15*time.Second),
		WebhookGroup:   e.String("WEBHOOK_EVENTS_GROUP", "platform-webhooks"),
	}
	for _, s := range e.List("WEBHOOK_ALLOW_NETS", nil) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			e.Check("WEBHOOK_ALLOW_NETS", fmt.Errorf("%q is not a CIDR such as 127.0.0.0/8", s))
			continue
		}
		c.WebhookAllow = append(c.WebhookAllow, p)
	}
	if len(c.WebhookAllow) > 0 && common.Mode == config.ModeProduction {
		e.Check("WEBHOOK_ALLOW_NETS", fmt.Errorf("is for development only and refused in production"))
	}
	services, err := parseServices(e.String("JOB_SERVICES", defaultJobServices))
	if err != nil {
		e.Check("JOB_SERVICES", err)
	}
	c.JobServices = services
	return c
}

// parseServices reads name=url pairs, comma separated.
func parseServices(s string) (map[string]string, error) {
	out := map[string]string{}
	for pair := range strings.SplitSeq(s, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		name, raw, ok := strings.Cut(pair, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, ":/ ") {
			return nil, fmt.Errorf("%q is not name=http://host:port", pair)
		}
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("the URL of %s must be an absolute http(s) URL", name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s is named twice", name)
		}
		out[name] = u.String()
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("names no service")
	}
	return out, nil
}
