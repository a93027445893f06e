package http

import (
	"net/http"

	"reos.dev/pkg/routes"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// Kinds of org-owned rows the path variables name (routes.Route.Owned).
const (
	KindCampaign      = "campaign"
	KindEmailTemplate = "email_template"
	KindSMSTemplate   = "sms_template"
	KindAttempt       = "attempt"
)

// The unsubscribe link's path (public: the signed token is the credential).
const unsubscribePath = APIPrefix + "/compliance/unsubscribe"

// routeTable is outreach's one list of routes: routes.Mount builds the
// router from it and testkit.RouteTests the tests every route must pass.
func (h *handlers) routeTable() []routes.Route {
	const (
		get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
		cr, cw, cl          = app.PermCampaignsRead, app.PermCampaignsWrite, app.PermCampaignsLaunch
		tr, tw              = app.PermTemplatesRead, app.PermTemplatesWrite
		pr, pw              = app.PermComplianceRead, app.PermComplianceWrite
	)
	campaign := map[string]string{"id": KindCampaign}
	email := map[string]string{"id": KindEmailTemplate}
	sms := map[string]string{"id": KindSMSTemplate}
	row := func(method, path, perm string, owned map[string]string, handler http.Handler) routes.Route {
		return routes.Route{Method: method, Path: APIPrefix + path, Perm: perm, Owned: owned, Handler: handler}
	}
	readOnly := func(rt routes.Route) routes.Route { rt.ReadOnly = true; return rt }
	public := func(method string, handler http.Handler) routes.Route {
		return routes.Route{Method: method, Path: unsubscribePath, Public: true, Handler: handler}
	}
	// Providers' webhooks are public: the provider's signature is the
	// credential (checked before anything in the body is used).
	webhook := func(path string) routes.Route {
		return routes.Route{Method: post, Path: APIPrefix + path, Public: true, Handler: h.providerWebhook()}
	}
	return []routes.Route{
		row(get, "/outreach/settings", cr, nil, h.getSettings()),
		row(put, "/outreach/settings", app.PermAdmin, nil, h.updateSettings()),

		row(get, "/campaigns", cr, nil, h.listCampaigns()),
		row(post, "/campaigns", cw, nil, h.createCampaign()),
		row(get, "/campaigns/{id}", cr, campaign, h.getCampaign()),
		row(put, "/campaigns/{id}", cw, campaign, h.updateCampaign()),
		// DELETE cancels; it stops a running campaign, so it is a launch
		// permission like pause.
		row(del, "/campaigns/{id}", cl, campaign, h.cancelCampaign()),
		row(post, "/campaigns/{id}/targets", cw, campaign, h.setTargets()),
		row(post, "/campaigns/{id}/launch", cl, campaign, h.launchCampaign()),
		row(post, "/campaigns/{id}/pause", cl, campaign, h.pauseCampaign()),
		row(post, "/campaigns/{id}/resume", cl, campaign, h.resumeCampaign()),
		row(get, "/campaigns/{id}/metrics", cr, campaign, h.campaignMetrics()),
		row(get, "/campaigns/{id}/deliverability", cr, campaign, h.campaignDeliverability()),
		row(get, "/campaigns/{id}/attempts", cr, campaign, h.listAttempts()),
		row(get, "/outreach/attempts", cr, nil, h.listAttempts()),
		row(get, "/outreach/attempts/{id}", cr, map[string]string{"id": KindAttempt}, h.getAttempt()),
		row(get, "/outreach/deliverability", cr, nil, h.deliverability()),
		// Single sends (idempotent: the Idempotency-Key, else a key
		// derived from the request); sending is a launch permission.
		row(post, "/outreach/email", cl, nil, h.send(compliance.Email)),
		row(post, "/outreach/sms", cl, nil, h.send(compliance.SMS)),
		// The mock providers' record, for admins (404 with real providers).
		row(get, "/outreach/mock/messages", app.PermAdmin, nil, h.mockMessages()),
		readOnly(row(post, "/search/campaigns", cr, nil, h.searchCampaigns())),

		row(get, "/templates/email", tr, nil, h.listEmailTemplates()),
		row(post, "/templates/email", tw, nil, h.createEmailTemplate()),
		row(get, "/templates/email/{id}", tr, email, h.getEmailTemplate()),
		row(put, "/templates/email/{id}", tw, email, h.updateEmailTemplate()),
		row(del, "/templates/email/{id}", tw, email, h.deleteEmailTemplate()),
		readOnly(row(post, "/templates/email/{id}/preview", tr, email, h.previewEmailTemplate())),
		row(get, "/templates/sms", tr, nil, h.listSMSTemplates()),
		row(post, "/templates/sms", tw, nil, h.createSMSTemplate()),
		row(get, "/templates/sms/{id}", tr, sms, h.getSMSTemplate()),
		row(put, "/templates/sms/{id}", tw, sms, h.updateSMSTemplate()),
		row(del, "/templates/sms/{id}", tw, sms, h.deleteSMSTemplate()),
		readOnly(row(post, "/templates/sms/{id}/preview", tr, sms, h.previewSMSTemplate())),

		// The unsubscribe link: GET shows the confirmation page and never
		// unsubscribes (mail scanners follow links); POST unsubscribes
		// (the page's button, RFC 8058 one-click, or a JSON client).
		public(get, h.unsubscribePage()),
		public(post, h.unsubscribe()),
		webhook("/outreach/webhooks"),
		webhook("/outreach/webhooks/{provider}"),
		row(get, "/compliance/dnc-list", pr, nil, h.listDNC()),
		row(post, "/compliance/dnc-add", pw, nil, h.addDNC()),
		row(del, "/compliance/dnc-remove", pw, nil, h.removeDNC()),
		row(get, "/compliance/consent-log", pr, nil, h.listConsent()),
		row(post, "/compliance/consent", pw, nil, h.recordConsent()),
	}
}
