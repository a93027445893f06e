package http

import (
	"net/http"

	"reos.dev/pkg/routes"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/app"
)

// Kinds of org-owned rows the path variables name (routes.Route.Owned);
// the route tests give a row of each. The jobs API's rows name a "job".
const (
	KindLead       = "lead"
	KindContact    = "contact"
	KindDeal       = "deal"
	KindRule       = "assignment_rule"
	KindLeadImport = "lead_import"
)

// routeTable is crm's one list of routes, in mounting order: routes.Mount
// builds the router from it (authentication and each row's permission in
// front of its handler, so a caller without the permission is 403 before
// any row is looked up) and testkit.RouteTests the tests every route must
// pass. The app checks every permission again. files serves the signed
// downloads, jobs are the jobs API's rows.
func (h *handlers) routeTable(files http.Handler, jobs []routes.Route) []routes.Route {
	const (
		get, post, put, del, patch = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch
		lr, lw, la                 = app.PermLeadsRead, app.PermLeadsWrite, app.PermLeadsAdmin
		dr, dw                     = app.PermDealsRead, app.PermDealsWrite
	)
	lead := map[string]string{"id": KindLead}
	contact := map[string]string{"id": KindContact}
	deal := map[string]string{"id": KindDeal}
	rule := map[string]string{"id": KindRule}
	imp := map[string]string{"id": KindLeadImport}
	row := func(method, path, perm string, owned map[string]string, handler http.Handler) routes.Route {
		return routes.Route{Method: method, Path: APIPrefix + path, Perm: perm, Owned: owned, Handler: handler}
	}
	search := row(post, "/search/leads", lr, nil, h.searchLeads())
	search.ReadOnly = true // the query is the body
	// Downloads need no token: the signed link is the credential, checked
	// by the files handler (the gateway lets GET|HEAD /api/v1/files/...
	// through unauthenticated).
	download := func(method string) routes.Route {
		return routes.Route{Method: method, Path: storage.FilesPrefix("crm") + "{key:.+}", Public: true, Handler: files}
	}
	table := []routes.Route{
		// Lead imports (imports.go), before /leads/{id}, which would take
		// "imports" for an id.
		row(post, "/leads/import", lw, nil, h.importLeads()),
		row(get, "/leads/imports", lr, nil, h.listLeadImports()),
		row(get, "/leads/imports/{id}", lr, imp, h.getLeadImport()),

		row(get, "/leads", lr, nil, h.listLeads()),
		row(post, "/leads", lw, nil, h.createLead()),
		row(get, "/leads/{id}", lr, lead, h.getLead()),
		row(put, "/leads/{id}", lw, lead, h.updateLead()),
		row(del, "/leads/{id}", lw, lead, h.archiveLead()),
		row(post, "/leads/{id}/score", lw, lead, h.scoreLead()),
		row(post, "/leads/{id}/assign", lw, lead, h.assignLead()),
		row(post, "/leads/{id}/activities", lw, lead, h.logActivity()),
		row(post, "/leads/{id}/notes", lw, lead, h.addNote()),
		row(get, "/leads/{id}/timeline", lr, lead, h.leadTimeline()),
		search,

		row(get, "/contacts", lr, nil, h.listContacts()),
		row(post, "/contacts", lw, nil, h.createContact()),
		row(get, "/contacts/{id}", lr, contact, h.getContact()),
		row(put, "/contacts/{id}", lw, contact, h.updateContact()),

		row(get, "/lead-sources", lr, nil, h.listSources()),
		row(post, "/lead-sources", lw, nil, h.createSource()),
		row(get, "/deal-stages", dr, nil, h.listStages()),
		row(post, "/deal-stages", dw, nil, h.createStage()),

		row(get, "/deals", dr, nil, h.listDeals()),
		row(post, "/deals", dw, nil, h.createDeal()),
		row(get, "/deals/{id}", dr, deal, h.getDeal()),
		row(put, "/deals/{id}", dw, deal, h.updateDeal()),
		row(patch, "/deals/{id}/stage", dw, deal, h.moveDeal()),
		row(get, "/deals/{id}/timeline", dr, deal, h.dealTimeline()),
		// Deal documents (deal_documents.go) and their signed downloads.
		row(post, "/deals/{id}/documents", dw, deal, h.addDealDocument()),
		row(get, "/deals/{id}/documents", dr, deal, h.listDealDocuments()),
		download(get),
		download(http.MethodHead),

		// Lead assignment rules and the organisation's crm settings
		// (assignment.go): anyone who reads leads reads them, leads:admin
		// changes them.
		row(get, rulesPath, lr, nil, h.listRules()),
		row(post, rulesPath, la, nil, h.createRule()),
		row(put, rulesPath+"/{id}", la, rule, h.updateRule()),
		row(del, rulesPath+"/{id}", la, rule, h.deleteRule()),
		row(get, settingsPath, lr, nil, h.getSettings()),
		row(put, settingsPath, la, nil, h.updateSettings()),
	}
	return append(table, jobs...)
}
