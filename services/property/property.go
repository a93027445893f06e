// Package property is the property service: properties, their history,
// listings and their snapshots, valuations, media, imports and search. This root package holds what the binary
// and the tests share, embedded: the migrations and the OpenAPI document
// (service.Root).
package property

import (
	"embed"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
)

// Schema is property's PostgreSQL schema.
const Schema = "property"

//go:embed migrations/*.sql openapi.yaml
var files embed.FS

// Root is property's schema, migrations (then pkg/events' outbox and inbox, then River's tables) and OpenAPI document.
var Root = service.NewRoot(Schema, files, jobs.Sources()...)
