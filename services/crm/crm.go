// Package crm is the CRM service: contacts, leads, activities, notes,
// lead scoring, deals and their pipeline. This root package holds what the binary
// and the tests share, embedded: the migrations and the OpenAPI document
// (service.Root).
package crm

import (
	"embed"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
)

// Schema is crm's PostgreSQL schema.
const Schema = "crm"

//go:embed migrations/*.sql openapi.yaml
var files embed.FS

// Root is crm's schema, migrations (then pkg/events' outbox and inbox, then River's tables) and OpenAPI document.
var Root = service.NewRoot(Schema, files, jobs.Sources()...)
