package http

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gorilla/mux"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/services/outreach/internal/adapters/webhooks"
)

// MaxWebhookBody bounds a provider's webhook request (SendGrid batches
// events; a megabyte holds a thousand of them).
const MaxWebhookBody = 1 << 20

// webhookRequest is a provider's request, verified and decoded.
type webhookRequest struct {
	decoder webhooks.Decoder
	events  []webhooks.Event
}

type webhookJSON struct {
	Provider string `json:"provider"`
	Received int    `json:"received"`
}

// decodeWebhook finds the provider (the path's, else ?provider=, else the
// mock), reads the bounded body and has the provider's decoder verify it
// before anything in it is used: an unsigned or badly signed request is
// 401 and nothing is recorded.
func (h *handlers) decodeWebhook(ctx context.Context, r *http.Request) (webhookRequest, error) {
	name := mux.Vars(r)["provider"]
	if name == "" {
		name = r.URL.Query().Get("provider")
	}
	if name == "" {
		name = "mock"
	}
	dec, err := h.webhooks.Lookup(name)
	if err != nil {
		return webhookRequest{}, apperr.Wrap(err, apperr.KindNotFound, "provider_not_found", "no webhook of that provider is enabled")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil {
		return webhookRequest{}, apperr.BadRequest("body", "could not be read")
	}
	if len(body) > MaxWebhookBody {
		return webhookRequest{}, apperr.New(apperr.KindTooLarge, "body_too_large", "the body exceeds 1 MiB")
	}
	evs, err := dec.Decode(ctx, r, body)
	switch {
	case errors.Is(err, webhooks.ErrUnauthorized):
		return webhookRequest{}, apperr.Wrap(err, apperr.KindUnauthorized, "invalid_signature", "the request is not signed by the provider")
	case errors.Is(err, webhooks.ErrMalformed):
		e := apperr.Wrap(err, apperr.KindBadRequest, "malformed_webhook", "the provider's body cannot be read")
		e.Fields = []apperr.FieldError{{Field: "body", Message: err.Error()}}
		return webhookRequest{}, e
	case errors.Is(err, webhooks.ErrUnavailable):
		return webhookRequest{}, apperr.Wrap(err, apperr.KindUnavailable, "provider_key_unavailable", "the provider's signing key cannot be fetched now")
	case err != nil:
		return webhookRequest{}, err
	}
	return webhookRequest{decoder: dec, events: evs}, nil
}

// confirmer is a decoder whose subscription needs confirming (SES via SNS).
type confirmer interface {
	Confirm(ctx context.Context, e webhooks.Event) error
}

func (h *handlers) providerWebhook() http.Handler {
	return httpx.Endpoint(h.log, h.decodeWebhook, func(ctx context.Context, req webhookRequest) (webhookJSON, error) {
		evs := req.events[:0:0]
		for _, ev := range req.events {
			if ev.Type != webhooks.SubscriptionConfirmation {
				evs = append(evs, ev)
				continue
			}
			c, ok := req.decoder.(confirmer)
			if !ok {
				return webhookJSON{}, apperr.BadRequest("body", "this provider has no subscription to confirm")
			}
			if err := c.Confirm(ctx, ev); err != nil {
				return webhookJSON{}, apperr.Wrap(err, apperr.KindUnavailable, "provider_key_unavailable", "the subscription could not be confirmed now")
			}
		}
		err := h.svc.HandleProviderEvents(ctx, evs)
		return webhookJSON{Provider: req.decoder.Provider(), Received: len(req.events)}, err
	}, http.StatusOK)
}
