// Package http is property's HTTP transport: go-kit endpoints (through
// httpx.Endpoint) on a gorilla/mux router at the public /api/v1 paths the
// gateway routes by prefix. Permission checks here are the first line
// only; the app layer checks again.
package http

import (
	"errors"
	"log/slog"
	"net/http"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
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

func (c Config) validate() error {
	var errs []error
	if c.Service == nil {
		errs = append(errs, errors.New("nil Service"))
	}
	if c.Jobs == nil {
		errs = append(errs, errors.New("nil Jobs"))
	}
	if c.Verifier == nil {
		errs = append(errs, errors.New("nil Verifier"))
	}
	if c.Files == nil {
		errs = append(errs, errors.New("nil Files"))
	}
	if len(c.OpenAPIJSON) == 0 {
		errs = append(errs, errors.New("empty OpenAPIJSON"))
	}
	if c.Health == nil {
		errs = append(errs, errors.New("nil Health"))
	}
	if c.Metrics == nil {
		errs = append(errs, errors.New("nil Metrics"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	return errors.Join(errs...)
}

// NewHandler returns property's whole HTTP surface.
func NewHandler(cfg Config) (http.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, errors.Join(errors.New("http: NewHandler"), err)
	}
	h := &handlers{svc: cfg.Service, log: cfg.Logger.With("component", "http")}
	r := service.NewRouter(cfg.Health, cfg.Metrics, cfg.OpenAPIJSON)

	authn := auth.Middleware(cfg.Verifier, cfg.Logger)
	read := func(next http.Handler) http.Handler { return authn(auth.Require(domain.PermPropertiesRead)(next)) }
	// Writes that address a row by id are not pre-checked here: another
	// org's row must be a 404 even for a caller without write permission,
	// so the app layer looks the row up before checking.
	write := func(next http.Handler) http.Handler { return authn(auth.Require(domain.PermPropertiesWrite)(next)) }
	// Every route sits on the root router with its full path: gorilla/mux
	// subrouters turn a wrong method into a 404 instead of a 405.
	api := func(path string, h http.Handler, method string) { r.Handle(APIPrefix+path, h).Methods(method) }

	// /properties/search is registered before /properties/{id} so "search"
	// is never taken for an id.
	api("/properties/search", read(h.search(decodeSearchQuery)), http.MethodGet)
	api("/search/properties", read(h.search(decodeSearchBody)), http.MethodPost)
	api("/properties", read(h.listProperties()), http.MethodGet)
	api("/properties", write(h.createProperty()), http.MethodPost)
	// Bulk import (imports.go), before /properties/{id} so "bulk-import" is
	// never taken for an id. The upload may take long: its deadlines grow.
	api("/properties/bulk-import", write(longUpload(h.startImport())), http.MethodPost)
	api("/properties/bulk-import", read(h.listImports()), http.MethodGet)
	api("/properties/bulk-import/{import_id}", read(h.getImport()), http.MethodGet)
	api("/properties/{id}", read(h.getProperty()), http.MethodGet)
	api("/properties/{id}", authn(h.updateProperty()), http.MethodPut)
	api("/properties/{id}", authn(h.archiveProperty()), http.MethodDelete)
	api("/properties/{id}/history", read(h.propertyHistory()), http.MethodGet)

	api("/listings", read(h.listListings()), http.MethodGet)
	api("/listings", write(h.createListing()), http.MethodPost)
	api("/listings/{id}", read(h.getListing()), http.MethodGet)
	api("/listings/{id}", authn(h.updateListing()), http.MethodPut)
	api("/listings/{id}/snapshots", read(h.listingSnapshots()), http.MethodGet)

	// Valuations (valuations.go). The request is not pre-checked for
	// properties:write: another org's property must be a 404 first.
	api("/properties/{id}/valuations", authn(h.requestValuation()), http.MethodPost)
	api("/properties/{id}/valuations", read(h.listValuations()), http.MethodGet)
	api("/properties/{id}/valuations/{valuation_id}", read(h.getValuation()), http.MethodGet)
	api("/properties/{id}/valuations/{valuation_id}/memo", read(h.valuationMemo()), http.MethodGet)

	// Images and documents (media.go). Uploads and deletes are not
	// pre-checked for properties:write: another org's property must be a
	// 404 first. Downloads need no token: the signed link is the credential,
	// checked by the files handler (the gateway lets GET /api/v1/files/...
	// through unauthenticated).
	api("/properties/{id}/images", read(h.listImages()), http.MethodGet)
	api("/properties/{id}/images", authn(h.addImage()), http.MethodPost)
	api("/properties/{id}/images/{image_id}", authn(h.deleteImage()), http.MethodDelete)
	api("/properties/{id}/documents", read(h.listDocuments()), http.MethodGet)
	api("/properties/{id}/documents", authn(h.addDocument()), http.MethodPost)
	api("/properties/{id}/documents/{document_id}", authn(h.deleteDocument()), http.MethodDelete)
	r.Handle(APIPrefix+"/files/property/{key:.+}", cfg.Files).Methods(http.MethodGet, http.MethodHead)

	cfg.Jobs.Mount(r, "property", authn, cfg.Logger)
	return r, nil
}
