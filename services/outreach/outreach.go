// Package outreach is the outreach service: campaigns and their sequences,
// targets, email and SMS templates, sending through providers,
// deliverability and compliance (consent, unsubscribe, do-not-call,
// suppression, quiet hours). This root package holds what the binary and
// the tests share, embedded: the migrations and the OpenAPI document
// (service.Root).
package outreach

import (
	"embed"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
)

// Schema is outreach's PostgreSQL schema.
const Schema = "outreach"

//go:embed migrations/*.sql openapi.yaml
var files embed.FS

// Root is outreach's schema, migrations (then pkg/events' outbox and inbox, then River's tables) and OpenAPI document.
var Root = service.NewRoot(Schema, files, jobs.Sources()...)
