package http

import (
	"context"
	"log/slog"
	"net/http"

	"reos.dev/pkg/httpx"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

// handlers builds one http.Handler per route from a decoder and a call.
type handlers struct {
	svc app.Service
	log *slog.Logger
}

func portfolioPath(id string) string { return APIPrefix + "/portfolio/" + id }

func (h *handlers) listPortfolios() http.Handler {
	return httpx.Endpoint(h.log, decodePage, func(ctx context.Context, p app.PageRequest) (httpx.List[portfolioJSON], error) {
		page, err := h.svc.ListPortfolios(ctx, p)
		return listOut(page, portfolioOut), err
	}, http.StatusOK)
}

func (h *handlers) createPortfolio() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[portfolioRequest](), func(ctx context.Context, b portfolioRequest) (createdPortfolio, error) {
		v, err := h.svc.CreatePortfolio(ctx, b.input())
		return createdPortfolio{portfolioDetailOut(v)}, err
	}, http.StatusCreated)
}

type createdPortfolio struct{ portfolioDetailJSON }

func (c createdPortfolio) Headers() http.Header {
	return http.Header{"Location": {portfolioPath(c.ID)}}
}

func (h *handlers) getPortfolio() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (portfolioDetailJSON, error) {
		v, err := h.svc.GetPortfolio(ctx, id)
		return portfolioDetailOut(v), err
	}, http.StatusOK)
}

func (h *handlers) updatePortfolio() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[portfolioRequest](), func(ctx context.Context, r withID[portfolioRequest]) (portfolioDetailJSON, error) {
		v, err := h.svc.UpdatePortfolio(ctx, r.ID, r.Body.input())
		return portfolioDetailOut(v), err
	}, http.StatusOK)
}

func (h *handlers) addHolding() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[holdingRequest](), func(ctx context.Context, r withID[holdingRequest]) (holdingJSON, error) {
		hd, err := h.svc.AddHolding(ctx, r.ID, r.Body.input())
		return holdingOut(hd), err
	}, http.StatusCreated)
}

func (h *handlers) listTransactions() http.Handler {
	return httpx.Endpoint(h.log, decodeListTransactions, func(ctx context.Context, r withID[app.TransactionQuery]) (httpx.List[transactionJSON], error) {
		page, err := h.svc.ListTransactions(ctx, r.ID, r.Body)
		return listOut(page, transactionOut), err
	}, http.StatusOK)
}

func (h *handlers) recordTransaction() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[transactionRequest](), func(ctx context.Context, r withID[transactionRequest]) (transactionJSON, error) {
		t, err := h.svc.RecordTransaction(ctx, r.ID, r.Body.input())
		return transactionOut(t), err
	}, http.StatusCreated)
}

func (h *handlers) valuation() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (valuationJSON, error) {
		rep, err := h.svc.Valuation(ctx, id)
		return valuationOut(rep), err
	}, http.StatusOK)
}

func (h *handlers) performance() http.Handler {
	return httpx.Endpoint(h.log, decodePerformance, func(ctx context.Context, r withID[app.PerformanceQuery]) (performanceJSON, error) {
		rep, err := h.svc.Performance(ctx, r.ID, r.Body)
		return performanceOut(rep), err
	}, http.StatusOK)
}

func (h *handlers) reconcile() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (reconcileAnswer, error) {
		r, err := h.svc.Reconcile(ctx, id)
		status := http.StatusCreated
		if r.Status == domain.ReconRunning {
			status = http.StatusAccepted
		}
		return reconcileAnswer{reconciliationJSON: reconciliationOut(r, true), status: status,
			location: portfolioPath(id) + "/reconciliations/" + r.ID}, err
	}, http.StatusCreated)
}

func (h *handlers) listReconciliations() http.Handler {
	return httpx.Endpoint(h.log, decodeIDPage, func(ctx context.Context, r withID[app.PageRequest]) (httpx.List[reconciliationJSON], error) {
		page, err := h.svc.ListReconciliations(ctx, r.ID, r.Body)
		return listOut(page, func(rc domain.Reconciliation) reconciliationJSON { return reconciliationOut(rc, false) }), err
	}, http.StatusOK)
}

func (h *handlers) getReconciliation() http.Handler {
	return httpx.Endpoint(h.log, decodeReconciliationIDs, func(ctx context.Context, r reconciliationIDs) (reconciliationJSON, error) {
		rc, err := h.svc.GetReconciliation(ctx, r.PortfolioID, r.ID)
		return reconciliationOut(rc, true), err
	}, http.StatusOK)
}
