package http

import (
	"context"
	"log/slog"
	"net/http"

	"reos.dev/pkg/httpx"
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/provider"
)

// handlers builds one http.Handler per route from a decoder and a call.
type handlers struct {
	svc       app.Service
	log       *slog.Logger
	webhooks  webhooks.Registry
	mockEmail *provider.MockEmail
	mockSMS   *provider.MockSMS
}

func (h *handlers) getSettings() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (settingsJSON, error) {
		s, err := h.svc.GetSettings(ctx)
		return settingsOut(s), err
	}, http.StatusOK)
}

func (h *handlers) updateSettings() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[settingsRequest](), func(ctx context.Context, b settingsRequest) (settingsJSON, error) {
		s, err := h.svc.UpdateSettings(ctx, domain.SettingsInput{SenderName: b.SenderName, SenderEmail: b.SenderEmail, ReplyTo: b.ReplyTo,
			SMSFrom: b.SMSFrom, PostalAddress: b.PostalAddress, HelpText: b.HelpText, TimeZone: b.TimeZone})
		return settingsOut(s), err
	}, http.StatusOK)
}

func (h *handlers) listCampaigns() http.Handler {
	return httpx.Endpoint(h.log, decodeListCampaigns, h.campaignPage, http.StatusOK)
}

func (h *handlers) searchCampaigns() http.Handler {
	return httpx.Endpoint(h.log, decodeSearchCampaigns, h.campaignPage, http.StatusOK)
}

func (h *handlers) campaignPage(ctx context.Context, q app.CampaignQuery) (httpx.List[campaignJSON], error) {
	p, err := h.svc.ListCampaigns(ctx, q)
	return listOut(p, campaignOut), err
}

func (h *handlers) createCampaign() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[campaignRequest](), func(ctx context.Context, b campaignRequest) (campaignJSON, error) {
		c, err := h.svc.CreateCampaign(ctx, b.input())
		return campaignOut(c), err
	}, http.StatusCreated)
}

func (h *handlers) getCampaign() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (campaignJSON, error) {
		c, err := h.svc.GetCampaign(ctx, id)
		return campaignOut(c), err
	}, http.StatusOK)
}

func (h *handlers) updateCampaign() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[campaignRequest](), func(ctx context.Context, r withID[campaignRequest]) (campaignJSON, error) {
		c, err := h.svc.UpdateCampaign(ctx, r.ID, r.Body.input())
		return campaignOut(c), err
	}, http.StatusOK)
}

func (h *handlers) cancelCampaign() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (campaignJSON, error) {
		c, err := h.svc.CancelCampaign(ctx, id)
		return campaignOut(c), err
	}, http.StatusOK)
}

func (h *handlers) setTargets() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[targetsRequest](), func(ctx context.Context, r withID[targetsRequest]) (targetsJSON, error) {
		res, err := h.svc.SetCampaignTargets(ctx, r.ID, app.TargetsInput{LeadIDs: r.Body.LeadIDs, Filter: r.Body.Filter})
		return targetsJSON{Audience: res.Audience, Filter: res.Filter, Leads: res.Leads}, err
	}, http.StatusOK)
}

func (h *handlers) listEmailTemplates() http.Handler {
	return httpx.Endpoint(h.log, decodePage, func(ctx context.Context, p app.PageRequest) (httpx.List[emailTemplateJSON], error) {
		page, err := h.svc.ListEmailTemplates(ctx, p)
		return listOut(page, emailTemplateOut), err
	}, http.StatusOK)
}

func (h *handlers) createEmailTemplate() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[emailTemplateRequest](), func(ctx context.Context, b emailTemplateRequest) (emailTemplateJSON, error) {
		t, err := h.svc.CreateEmailTemplate(ctx, app.EmailTemplateInput(b))
		return emailTemplateOut(t), err
	}, http.StatusCreated)
}

func (h *handlers) getEmailTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (emailTemplateJSON, error) {
		t, err := h.svc.GetEmailTemplate(ctx, id)
		return emailTemplateOut(t), err
	}, http.StatusOK)
}

func (h *handlers) updateEmailTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[emailTemplateRequest](), func(ctx context.Context, r withID[emailTemplateRequest]) (emailTemplateJSON, error) {
		t, err := h.svc.UpdateEmailTemplate(ctx, r.ID, app.EmailTemplateInput(r.Body))
		return emailTemplateOut(t), err
	}, http.StatusOK)
}

func (h *handlers) deleteEmailTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteEmailTemplate(ctx, id)
	}, http.StatusNoContent)
}

func (h *handlers) previewEmailTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodePreview, func(ctx context.Context, r withID[previewRequest]) (emailPreviewJSON, error) {
		e, err := h.svc.PreviewEmailTemplate(ctx, r.ID, app.PreviewInput{LeadID: r.Body.LeadID})
		return emailPreviewJSON{Subject: e.Subject, HTML: e.HTML, Text: e.Text}, err
	}, http.StatusOK)
}

func (h *handlers) listSMSTemplates() http.Handler {
	return httpx.Endpoint(h.log, decodePage, func(ctx context.Context, p app.PageRequest) (httpx.List[smsTemplateJSON], error) {
		page, err := h.svc.ListSMSTemplates(ctx, p)
		return listOut(page, smsTemplateOut), err
	}, http.StatusOK)
}

func (h *handlers) createSMSTemplate() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[smsTemplateRequest](), func(ctx context.Context, b smsTemplateRequest) (smsTemplateJSON, error) {
		t, err := h.svc.CreateSMSTemplate(ctx, app.SMSTemplateInput(b))
		return smsTemplateOut(t), err
	}, http.StatusCreated)
}

func (h *handlers) getSMSTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (smsTemplateJSON, error) {
		t, err := h.svc.GetSMSTemplate(ctx, id)
		return smsTemplateOut(t), err
	}, http.StatusOK)
}

func (h *handlers) updateSMSTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[smsTemplateRequest](), func(ctx context.Context, r withID[smsTemplateRequest]) (smsTemplateJSON, error) {
		t, err := h.svc.UpdateSMSTemplate(ctx, r.ID, app.SMSTemplateInput(r.Body))
		return smsTemplateOut(t), err
	}, http.StatusOK)
}

func (h *handlers) deleteSMSTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteSMSTemplate(ctx, id)
	}, http.StatusNoContent)
}

func (h *handlers) previewSMSTemplate() http.Handler {
	return httpx.Endpoint(h.log, decodePreview, func(ctx context.Context, r withID[previewRequest]) (smsPreviewJSON, error) {
		p, err := h.svc.PreviewSMSTemplate(ctx, r.ID, app.PreviewInput{LeadID: r.Body.LeadID})
		return smsPreviewJSON{Body: p.Body, Segments: p.Segments}, err
	}, http.StatusOK)
}

func (h *handlers) listDNC() http.Handler {
	return httpx.Endpoint(h.log, decodePage, func(ctx context.Context, p app.PageRequest) (httpx.List[dncJSON], error) {
		page, err := h.svc.ListDNC(ctx, p)
		return listOut(page, dncOut), err
	}, http.StatusOK)
}

func (h *handlers) addDNC() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[dncAddRequest](), func(ctx context.Context, b dncAddRequest) (dncAdded, error) {
		e, added, err := h.svc.AddDNC(ctx, app.DNCInput{Phone: b.Phone, Reason: b.Reason})
		return dncAdded{dncJSON: dncOut(e), created: added}, err
	}, http.StatusOK)
}

func (h *handlers) removeDNC() http.Handler {
	return httpx.Endpoint(h.log, decodeDNCRemove, func(ctx context.Context, phone string) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.RemoveDNC(ctx, phone)
	}, http.StatusNoContent)
}

func (h *handlers) listConsent() http.Handler {
	return httpx.Endpoint(h.log, decodeConsentQuery, func(ctx context.Context, q app.ConsentQuery) (httpx.List[consentJSON], error) {
		page, err := h.svc.ListConsent(ctx, q)
		return listOut(page, consentOut), err
	}, http.StatusOK)
}

func (h *handlers) recordConsent() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[consentRequest](), func(ctx context.Context, b consentRequest) (consentJSON, error) {
		e, err := h.svc.RecordConsent(ctx, app.ConsentInput{Channel: b.Channel, Address: b.Address, ContactID: b.ContactID, LeadID: b.LeadID,
			Action: b.Action, Source: b.Source, Proof: b.Proof, OccurredAt: timePtr(b.OccurredAt)})
		return consentOut(e), err
	}, http.StatusCreated)
}

func (h *handlers) launchCampaign() http.Handler {
	return httpx.Endpoint(h.log, decodeLaunch, func(ctx context.Context, r withID[launchRequest]) (campaignJSON, error) {
		c, err := h.svc.LaunchCampaign(ctx, r.ID, app.LaunchInput{StartAt: timePtr(r.Body.StartAt)})
		return campaignOut(c), err
	}, http.StatusOK)
}

func (h *handlers) pauseCampaign() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (campaignJSON, error) {
		c, err := h.svc.PauseCampaign(ctx, id)
		return campaignOut(c), err
	}, http.StatusOK)
}

func (h *handlers) resumeCampaign() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (campaignJSON, error) {
		c, err := h.svc.ResumeCampaign(ctx, id)
		return campaignOut(c), err
	}, http.StatusOK)
}
