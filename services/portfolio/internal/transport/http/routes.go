package http

import (
	"net/http"

	"reos.dev/pkg/routes"
	"reos.dev/services/portfolio/internal/domain"
)

// Kinds of org-owned rows the path variables name (routes.Route.Owned).
const (
	KindPortfolio      = "portfolio"
	KindReconciliation = "reconciliation"
)

// routeTable is portfolio's one list of routes: routes.Mount builds the
// router from it and testkit.RouteTests the tests every route must pass.
func (h *handlers) routeTable() []routes.Route {
	const (
		get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
		read, write    = domain.PermRead, domain.PermWrite
	)
	portfolio := map[string]string{"id": KindPortfolio}
	recon := map[string]string{"id": KindPortfolio, "reconciliation_id": KindReconciliation}
	row := func(method, path, perm string, owned map[string]string, handler http.Handler) routes.Route {
		return routes.Route{Method: method, Path: APIPrefix + path, Perm: perm, Owned: owned, Handler: handler}
	}
	return []routes.Route{
		row(get, "/portfolio", read, nil, h.listPortfolios()),
		row(post, "/portfolio", write, nil, h.createPortfolio()),
		row(get, "/portfolio/{id}", read, portfolio, h.getPortfolio()),
		row(put, "/portfolio/{id}", write, portfolio, h.updatePortfolio()),
		row(post, "/portfolio/{id}/holdings", write, portfolio, h.addHolding()),
		row(get, "/portfolio/{id}/transactions", read, portfolio, h.listTransactions()),
		row(post, "/portfolio/{id}/transactions", write, portfolio, h.recordTransaction()),
		row(get, "/portfolio/{id}/valuation", read, portfolio, h.valuation()),
		row(get, "/portfolio/{id}/performance", read, portfolio, h.performance()),
		row(post, "/portfolio/{id}/reconcile", write, portfolio, h.reconcile()),
		row(get, "/portfolio/{id}/reconciliations", read, portfolio, h.listReconciliations()),
		row(get, "/portfolio/{id}/reconciliations/{reconciliation_id}", read, recon, h.getReconciliation()),
	}
}
