// Package gateway is the front door of Real Estate OS: it routes /api/v1/*
// to the services, verifies tokens, rate limits, applies Idempotency-Key,
// sets security headers and serves the combined OpenAPI document. The
// binary is cmd/gateway; the pieces are under internal/.
package gateway

import _ "embed"

// OpenAPI is the gateway's own contract (its health, metrics and docs
// endpoints), the base into which the services' documents are merged.
//
//go:embed openapi.yaml
var OpenAPI []byte
