package http

import (
	"context"
	"log/slog"
	"net/http"

	"reos.dev/pkg/httpx"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// handlers builds one go-kit endpoint per route from a decoder and a call
// into the service; errors travel in the response and become problems.
type handlers struct {
	svc app.Service
	log *slog.Logger
}

func endpoint[Req, Resp any](h *handlers, dec func(context.Context, *http.Request) (Req, error), call func(context.Context, Req) (Resp, error), status int) http.Handler {
	return httpx.Endpoint(h.log, dec, call, status)
}

func (h *handlers) listProperties() http.Handler {
	return endpoint(h, decodePropertyQuery, func(ctx context.Context, q app.PropertyQuery) (httpx.List[propertyDTO], error) {
		page, err := h.svc.ListProperties(ctx, q)
		return httpx.NewList(mapItems(page.Items, toProperty), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) createProperty() http.Handler {
	return endpoint(h, decodeFields[domain.PropertyFields], func(ctx context.Context, req fieldsRequest[domain.PropertyFields]) (propertyDTO, error) {
		p, err := h.svc.CreateProperty(ctx, req.Fields)
		return toProperty(p), err
	}, http.StatusCreated)
}

func (h *handlers) getProperty() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (propertyDTO, error) {
		p, err := h.svc.GetProperty(ctx, req.ID)
		return toProperty(p), err
	}, http.StatusOK)
}

func (h *handlers) updateProperty() http.Handler {
	return endpoint(h, decodeFields[domain.PropertyFields], func(ctx context.Context, req fieldsRequest[domain.PropertyFields]) (propertyDTO, error) {
		p, err := h.svc.UpdateProperty(ctx, req.ID, req.Fields)
		return toProperty(p), err
	}, http.StatusOK)
}

func (h *handlers) archiveProperty() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.ArchiveProperty(ctx, req.ID)
	}, http.StatusNoContent)
}

func (h *handlers) propertyHistory() http.Handler {
	return endpoint(h, decodePageOf, func(ctx context.Context, req pageRequest) (httpx.List[historyDTO], error) {
		page, err := h.svc.PropertyHistory(ctx, req.ID, req.Limit, req.Cursor)
		return httpx.NewList(mapItems(page.Items, toHistory), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) search(dec func(context.Context, *http.Request) (app.SearchInput, error)) http.Handler {
	return endpoint(h, dec, func(ctx context.Context, in app.SearchInput) (httpx.List[searchHitDTO], error) {
		page, err := h.svc.SearchProperties(ctx, in)
		return httpx.NewList(mapItems(page.Items, func(s app.SearchHit) searchHitDTO {
			return searchHitDTO{propertyDTO: toProperty(s.Property), Score: s.Score}
		}), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) listListings() http.Handler {
	return endpoint(h, decodeListingQuery, func(ctx context.Context, q app.ListingQuery) (httpx.List[listingDTO], error) {
		page, err := h.svc.ListListings(ctx, q)
		return httpx.NewList(mapItems(page.Items, toListing), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) createListing() http.Handler {
	return endpoint(h, httpx.DecodeBody[createListingRequest](), func(ctx context.Context, req createListingRequest) (listingDTO, error) {
		l, err := h.svc.CreateListing(ctx, req.PropertyID, req.ListingFields)
		return toListing(l), err
	}, http.StatusCreated)
}

func (h *handlers) getListing() http.Handler {
	return endpoint(h, decodeID, func(ctx context.Context, req idRequest) (listingDTO, error) {
		l, err := h.svc.GetListing(ctx, req.ID)
		return toListing(l), err
	}, http.StatusOK)
}

func (h *handlers) updateListing() http.Handler {
	return endpoint(h, decodeFields[domain.ListingFields], func(ctx context.Context, req fieldsRequest[domain.ListingFields]) (listingDTO, error) {
		l, err := h.svc.UpdateListing(ctx, req.ID, req.Fields)
		return toListing(l), err
	}, http.StatusOK)
}

func (h *handlers) listingSnapshots() http.Handler {
	return endpoint(h, decodePageOf, func(ctx context.Context, req pageRequest) (httpx.List[snapshotDTO], error) {
		page, err := h.svc.ListingSnapshots(ctx, req.ID, req.Limit, req.Cursor)
		return httpx.NewList(mapItems(page.Items, toSnapshot), page.Next), err
	}, http.StatusOK)
}
