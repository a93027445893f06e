// Package identity is the identity service: authentication, users,
// organisations, teams, roles and the JWKS. This root package holds what the binary
// and the tests share, embedded: the migrations and the OpenAPI document
// (service.Root).
package identity

import (
	"embed"

	"reos.dev/pkg/service"
)

// Schema is identity's PostgreSQL schema.
const Schema = "identity"

//go:embed migrations/*.sql openapi.yaml
var files embed.FS

// Root is identity's schema, migrations (then pkg/events' outbox and inbox) and OpenAPI document.
var Root = service.NewRoot(Schema, files)
