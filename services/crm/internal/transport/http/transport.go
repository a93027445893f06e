// Package http is crm's HTTP transport: go-kit endpoints (through
// httpx.Endpoint) on a gorilla/mux router, at the public /api/v1 paths the
// gateway routes by prefix. Permission checks here are the first line only;
// the app layer checks again.
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
	"reos.dev/services/crm/internal/app"
)

// APIPrefix is the public prefix of every API route.
const APIPrefix = "/api/v1"

// Config holds what the handler needs; all fields are required.
type Config struct {
	Service app.Service
	// Jobs serves the jobs API at /api/v1/jobs/crm.
	Jobs     *jobs.Queue
	Verifier *auth.Verifier
	// OpenAPIJSON is the service's OpenAPI document, served at /openapi.json.
	OpenAPIJSON []byte
	Health      *health.Checker
	Metrics     *telemetry.Metrics
	Logger      *slog.Logger
	// Files serves the signed downloads under /api/v1/files/crm/
	// (storage.NewHandler): public, the signature is the credential.
	Files http.Handler
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
	if c.Files == nil {
		errs = append(errs, errors.New("nil Files"))
	}
	return errors.Join(errs...)
}

// NewHandler returns crm's whole HTTP surface.
func NewHandler(cfg Config) (http.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, errors.Join(errors.New("http: NewHandler"), err)
	}
	h := &handlers{svc: cfg.Service, log: cfg.Logger.With("component", "http")}
	r := service.NewRouter(cfg.Health, cfg.Metrics, cfg.OpenAPIJSON)

	// Every route sits on the root router with its full path: gorilla/mux
	// subrouters turn a wrong method into a 404 instead of a 405.
	authn := auth.Middleware(cfg.Verifier, cfg.Logger)
	route := func(method, path, perm string, hd http.Handler) {
		r.Handle(APIPrefix+path, authn(auth.Require(perm)(hd))).Methods(method)
	}
	const (
		lr, lw = app.PermLeadsRead, app.PermLeadsWrite
		dr, dw = app.PermDealsRead, app.PermDealsWrite
		get    = http.MethodGet
		post   = http.MethodPost
		put    = http.MethodPut
	)
	// Lead imports (registered before /leads/{id}, which would take
	// "imports" for an id), deal documents and their signed downloads
	// (imports.go, deal_documents.go).
	route(post, "/leads/import", lw, h.importLeads())
	route(get, "/leads/imports", lr, h.listLeadImports())
	route(get, "/leads/imports/{id}", lr, h.getLeadImport())
	route(post, "/deals/{id}/documents", dw, h.addDealDocument())
	route(get, "/deals/{id}/documents", dr, h.listDealDocuments())
	r.Handle(APIPrefix+"/files/crm/{key:.+}", cfg.Files).Methods(get, http.MethodHead)

	route(get, "/leads", lr, h.listLeads())
	route(post, "/leads", lw, h.createLead())
	route(get, "/leads/{id}", lr, h.getLead())
	route(put, "/leads/{id}", lw, h.updateLead())
	route(http.MethodDelete, "/leads/{id}", lw, h.archiveLead())
	route(post, "/leads/{id}/score", lw, h.scoreLead())
	route(post, "/leads/{id}/assign", lw, h.assignLead())
	route(post, "/leads/{id}/activities", lw, h.logActivity())
	route(post, "/leads/{id}/notes", lw, h.addNote())
	route(get, "/leads/{id}/timeline", lr, h.leadTimeline())
	route(post, "/search/leads", lr, h.searchLeads())

	route(get, "/contacts", lr, h.listContacts())
	route(post, "/contacts", lw, h.createContact())
	route(get, "/contacts/{id}", lr, h.getContact())
	route(put, "/contacts/{id}", lw, h.updateContact())

	route(get, "/lead-sources", lr, h.listSources())
	route(post, "/lead-sources", lw, h.createSource())
	route(get, "/deal-stages", dr, h.listStages())
	route(post, "/deal-stages", dw, h.createStage())

	route(get, "/deals", dr, h.listDeals())
	route(post, "/deals", dw, h.createDeal())
	route(get, "/deals/{id}", dr, h.getDeal())
	route(put, "/deals/{id}", dw, h.updateDeal())
	route(http.MethodPatch, "/deals/{id}/stage", dw, h.moveDeal())
	route(get, "/deals/{id}/timeline", dr, h.dealTimeline())

	// Lead assignment rules and the organisation's crm settings
	// (assignment.go).
	route(get, rulesPath, lr, h.listRules())
	route(post, rulesPath, app.PermLeadsAdmin, h.createRule())
	route(put, rulesPath+"/{id}", app.PermLeadsAdmin, h.updateRule())
	route(http.MethodDelete, rulesPath+"/{id}", app.PermLeadsAdmin, h.deleteRule())
	route(get, settingsPath, lr, h.getSettings())
	route(put, settingsPath, app.PermLeadsAdmin, h.updateSettings())

	cfg.Jobs.Mount(r, "crm", authn, cfg.Logger)
	return r, nil
}
