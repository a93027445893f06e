// Package portfolio is the portfolio service: investment portfolios, their
// holdings (properties), the append-only transaction ledger, valuations
// marked from property's, performance over a period and reconciliation of
// the holdings against the ledger. This root package holds what the binary
// and the tests share, embedded: the migrations and the OpenAPI document
// (service.Root).
package portfolio

import (
	"embed"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
)

// Schema is portfolio's PostgreSQL schema.
const Schema = "portfolio"

//go:embed migrations/*.sql openapi.yaml
var files embed.FS

// Root is portfolio's schema, migrations (then pkg/events' outbox and inbox, then River's tables) and OpenAPI document.
var Root = service.NewRoot(Schema, files, jobs.Sources()...)
