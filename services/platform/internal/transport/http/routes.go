package http

import (
	"net/http"

	"reos.dev/pkg/routes"
	"reos.dev/services/platform/internal/app"
)

// KindTask is the kind of row a task id names (routes.Route.Owned): a job
// of one of the services, "<service>:<job id>".
const KindTask = "task"

// KindEndpoint is the kind of a webhook endpoint id; KindMessage of a
// webhook message id.
const (
	KindEndpoint = "webhook_endpoint"
	KindMessage  = "webhook_message"
)

// routeTable is platform's one list of routes, in mounting order (see
// crm's: routes.Mount builds the router from it, testkit.RouteTests the
// tests every route must pass). jobs are platform's own jobs API's rows
// (pkg/jobs Queue.Routes: the webhook deliveries), which name a "job".
func (h *handlers) routeTable(jobs []routes.Route) []routes.Route {
	const (
		get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
		put            = http.MethodPut
		tr, tw, admin  = app.PermTasksRead, app.PermTasksWrite, app.PermAdmin
		wr, ww         = app.PermWebhooksRead, app.PermWebhooksWrite
	)
	endpoint := map[string]string{"id": KindEndpoint}
	message := map[string]string{"id": KindEndpoint, "message_id": KindMessage}
	task := map[string]string{"id": KindTask}
	row := func(method, path, perm string, owned map[string]string, handler http.Handler) routes.Route {
		return routes.Route{Method: method, Path: APIPrefix + path, Perm: perm, Owned: owned, Handler: handler}
	}
	table := []routes.Route{
		// Before /tasks/{id}, which would take "retry" for an id.
		row(post, "/tasks/retry", tw, nil, h.retryTasks()),
		row(get, "/tasks", tr, nil, h.listTasks()),
		row(get, "/tasks/{id}", tr, task, h.getTask()),
		row(del, "/tasks/{id}", tw, task, h.cancelTask()),

		row(get, "/admin/dlq", admin, nil, h.listDeadLetters()),
		row(post, "/admin/dlq/{id}/replay", admin, task, h.replayDeadLetter()),

		row(get, "/webhooks", wr, nil, h.listWebhooks()),
		row(post, "/webhooks", ww, nil, h.createWebhook()),
		row(get, "/webhooks/{id}", wr, endpoint, h.getWebhook()),
		row(put, "/webhooks/{id}", ww, endpoint, h.updateWebhook()),
		row(del, "/webhooks/{id}", ww, endpoint, h.deleteWebhook()),
		row(post, "/webhooks/{id}/rotate-secret", ww, endpoint, h.rotateWebhookSecret()),
		row(get, "/webhooks/{id}/logs", wr, endpoint, h.webhookLogs()),
		row(post, "/webhooks/{id}/test", ww, endpoint, h.testWebhook()),
		row(post, "/webhooks/{id}/messages/{message_id}/redeliver", ww, message, h.redeliverWebhook()),

		// Every event is filtered to the read permission of what it is
		// about (app.ReadPermission): the route needs none of its own.
		{Method: get, Path: APIPrefix + "/events/history", Handler: h.eventHistory(),
			SelfService: "each event is shown only to callers holding the read permission of its context"},
	}
	return append(table, jobs...)
}
