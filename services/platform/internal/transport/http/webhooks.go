package http

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"reos.dev/pkg/httpx"
	"reos.dev/services/platform/internal/app"
)

type idBody struct {
	id   string
	body app.EndpointInput
}

func decodeIDBody(_ context.Context, r *http.Request) (idBody, error) {
	var in app.EndpointInput
	err := httpx.DecodeJSON(r, &in)
	return idBody{id: mux.Vars(r)["id"], body: in}, err
}

type pageOf struct {
	id   string
	page app.PageRequest
}

func decodePageOf(_ context.Context, r *http.Request) (pageOf, error) {
	p, err := httpx.ParsePage(r)
	return pageOf{id: mux.Vars(r)["id"], page: app.PageRequest{Limit: p.Limit, Cursor: p.Cursor}}, err
}

func (h *handlers) listWebhooks() http.Handler {
	return httpx.Endpoint(h.log, decodePageOf, func(ctx context.Context, req pageOf) (httpx.List[app.Endpoint], error) {
		p, err := h.hooks.List(ctx, req.page)
		return httpx.NewList(p.Items, p.Next), err
	}, http.StatusOK)
}

func (h *handlers) createWebhook() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[app.EndpointInput](), h.hooks.Create, http.StatusCreated)
}

func (h *handlers) getWebhook() http.Handler {
	return httpx.Endpoint(h.log, decodeTaskID, h.hooks.Get, http.StatusOK)
}

func (h *handlers) updateWebhook() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody, func(ctx context.Context, req idBody) (app.Endpoint, error) {
		return h.hooks.Update(ctx, req.id, req.body)
	}, http.StatusOK)
}

func (h *handlers) deleteWebhook() http.Handler {
	return httpx.Endpoint(h.log, decodeTaskID, func(ctx context.Context, id string) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.hooks.Delete(ctx, id)
	}, http.StatusNoContent)
}

func (h *handlers) rotateWebhookSecret() http.Handler {
	return httpx.Endpoint(h.log, decodeTaskID, h.hooks.RotateSecret, http.StatusOK)
}

func (h *handlers) webhookLogs() http.Handler {
	return httpx.Endpoint(h.log, decodePageOf, func(ctx context.Context, req pageOf) (httpx.List[app.Log], error) {
		p, err := h.hooks.Logs(ctx, req.id, req.page)
		return httpx.NewList(p.Items, p.Next), err
	}, http.StatusOK)
}

func (h *handlers) testWebhook() http.Handler {
	return httpx.Endpoint(h.log, decodeTaskID, h.hooks.Test, http.StatusOK)
}

type redeliverRequest struct{ id, message string }

func (h *handlers) redeliverWebhook() http.Handler {
	decode := func(_ context.Context, r *http.Request) (redeliverRequest, error) {
		v := mux.Vars(r)
		return redeliverRequest{id: v["id"], message: v["message_id"]}, nil
	}
	return httpx.Endpoint(h.log, decode, func(ctx context.Context, req redeliverRequest) (app.Message, error) {
		return h.hooks.Redeliver(ctx, req.id, req.message)
	}, http.StatusAccepted)
}
