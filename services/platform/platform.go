// Package platform is the platform service: the background jobs and
// dead-letter queue of every service in one place, outgoing webhooks, live
// events, storage, audit, administration and analytics. This root package
// holds what the binary and the tests share, embedded: the migrations and
// the OpenAPI document (service.Root).
package platform

import (
	"embed"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
)

// Schema is platform's PostgreSQL schema.
const Schema = "platform"

//go:embed migrations/*.sql openapi.yaml
var files embed.FS

// Root is platform's schema, migrations (then pkg/events' outbox and inbox, then River's tables) and OpenAPI document.
var Root = service.NewRoot(Schema, files, jobs.Sources()...)
