// Package http is property's HTTP transport: go-kit endpoints (through
// httpx.Endpoint) on a gorilla/mux router at the public /api/v1 paths the
// gateway routes by prefix. The routes are one table (Handler.Routes): the router,
// the permission checks and the generated route tests all come from it.
// The table's permission is checked before any row is looked up; the app
// layer checks again.
package http

import (
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/service"
	"reos.dev/pkg/storage"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// APIPrefix is the public prefix of every API route.
const APIPrefix = "/api/v1"

// Config holds what the handler needs; all fields are required.
type Config struct {
	Service app.Service
	// Jobs serves the jobs API at /api/v1/jobs/property.
	Jobs     *jobs.Queue
	Verifier *auth.Verifier
	// OpenAPIJSON is the service's OpenAPI document, served at /openapi.json.
	OpenAPIJSON []byte
	// Files serves signed downloads of images and documents
	// (storage.NewHandler) at /api/v1/files/property/{key}.
	Files   http.Handler
	Health  *health.Checker
	Metrics *telemetry.Metrics
	Logger  *slog.Logger
}

// Handler is property's whole HTTP surface and the table it is built from.
type Handler struct {
	Router *mux.Router
	// Routes is the route table Router serves (besides the operational
	// endpoints); the route tests are generated from it.
	Routes []routes.Route
}

// NewHandler mounts the route table on a router with the operational
// endpoints.
func NewHandler(cfg Config) (*Handler, error) {
	if err := service.RequireFields("http.NewHandler", cfg); err != nil {
		return nil, err
	}
	table := routeTable(cfg)
	r := service.NewRouter(cfg.Health, cfg.Metrics, cfg.OpenAPIJSON)
	if err := routes.Mount(r, auth.Middleware(cfg.Verifier, cfg.Logger), table); err != nil {
		return nil, err
	}
	return &Handler{Router: r, Routes: table}, nil
}

// routeTable is property's route table, in mounting order: a literal path
// comes before the variable one it would match (/properties/search and
// /properties/bulk-import before /properties/{id}).
func routeTable(cfg Config) []routes.Route {
	h := &handlers{svc: cfg.Service, log: cfg.Logger.With("component", "http")}
	const (
		get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
		read, write         = domain.PermPropertiesRead, domain.PermPropertiesWrite
	)
	property := map[string]string{"id": "property"}
	listing := map[string]string{"id": "listing"}
	valuation := map[string]string{"id": "property", "valuation_id": "valuation"}
	image := map[string]string{"id": "property", "image_id": "image"}
	document := map[string]string{"id": "property", "document_id": "document"}
	imp := map[string]string{"import_id": "import"}
	row := func(method, path, perm string, owned map[string]string, handler http.Handler) routes.Route {
		return routes.Route{Method: method, Path: APIPrefix + path, Perm: perm, Owned: owned, Handler: handler}
	}
	search := row(post, "/search/properties", read, nil, h.search(decodeSearchBody))
	search.ReadOnly = true // the query is the body
	// Downloads need no token: the signed link is the credential, checked
	// by the files handler (the gateway lets GET|HEAD /api/v1/files/...
	// through unauthenticated).
	download := func(method string) routes.Route {
		return routes.Route{Method: method, Path: storage.FilesPrefix("property") + "{key:.+}", Public: true, Handler: cfg.Files}
	}
	table := []routes.Route{
		row(get, "/properties/search", read, nil, h.search(decodeSearchQuery)),
		search,
		row(get, "/properties", read, nil, h.listProperties()),
		row(post, "/properties", write, nil, h.createProperty()),
		// Bulk import (imports.go). The upload may take long: its deadlines grow.
		row(post, "/properties/bulk-import", write, nil, longUpload(h.startImport())),
		row(get, "/properties/bulk-import", read, nil, h.listImports()),
		row(get, "/properties/bulk-import/{import_id}", read, imp, h.getImport()),
		row(get, "/properties/{id}", read, property, h.getProperty()),
		row(put, "/properties/{id}", write, property, h.updateProperty()),
		row(del, "/properties/{id}", write, property, h.archiveProperty()),
		row(get, "/properties/{id}/history", read, property, h.propertyHistory()),

		row(get, "/listings", read, nil, h.listListings()),
		row(post, "/listings", write, nil, h.createListing()),
		row(get, "/listings/{id}", read, listing, h.getListing()),
		row(put, "/listings/{id}", write, listing, h.updateListing()),
		row(get, "/listings/{id}/snapshots", read, listing, h.listingSnapshots()),

		// Valuations (valuations.go).
		row(post, "/properties/{id}/valuations", write, property, h.requestValuation()),
		row(get, "/properties/{id}/valuations", read, property, h.listValuations()),
		row(get, "/properties/{id}/valuations/{valuation_id}", read, valuation, h.getValuation()),
		row(get, "/properties/{id}/valuations/{valuation_id}/memo", read, valuation, h.valuationMemo()),

		// Images and documents (media.go) and their signed downloads.
		row(get, "/properties/{id}/images", read, property, h.listImages()),
		row(post, "/properties/{id}/images", write, property, h.addImage()),
		row(del, "/properties/{id}/images/{image_id}", write, image, h.deleteImage()),
		row(get, "/properties/{id}/documents", read, property, h.listDocuments()),
		row(post, "/properties/{id}/documents", write, property, h.addDocument()),
		row(del, "/properties/{id}/documents/{document_id}", write, document, h.deleteDocument()),
		download(get),
		download(http.MethodHead),
	}
	return append(table, cfg.Jobs.Routes("property", cfg.Logger)...)
}
