package http

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/services/platform/internal/app"
)

func (h *handlers) listTasks() http.Handler {
	return httpx.Endpoint(h.log, decodeListTasks(true), h.tasks.List, http.StatusOK)
}

func (h *handlers) listDeadLetters() http.Handler {
	return httpx.Endpoint(h.log, decodeListTasks(false), h.tasks.DeadLetters, http.StatusOK)
}

func (h *handlers) getTask() http.Handler {
	return httpx.Endpoint(h.log, decodeTaskID, h.tasks.Get, http.StatusOK)
}

func (h *handlers) cancelTask() http.Handler {
	return httpx.Endpoint(h.log, decodeTaskID, h.tasks.Cancel, http.StatusOK)
}

func (h *handlers) replayDeadLetter() http.Handler {
	return httpx.Endpoint(h.log, decodeTaskID, h.tasks.Replay, http.StatusCreated)
}

type retryRequest struct {
	IDs []string `json:"ids"`
}

type retryResponse struct {
	Results []app.RetryResult `json:"results"`
}

func (h *handlers) retryTasks() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[retryRequest](), func(ctx context.Context, req retryRequest) (retryResponse, error) {
		res, err := h.tasks.Retry(ctx, req.IDs)
		return retryResponse{Results: res}, err
	}, http.StatusOK)
}

func decodeTaskID(_ context.Context, r *http.Request) (string, error) {
	return mux.Vars(r)["id"], nil
}

// decodeListTasks reads a task list's filters: state (unless the list is
// of one state), kind, queue and limit are passed on to every service;
// service chooses the services, cursor is the list's own.
func decodeListTasks(withState bool) func(context.Context, *http.Request) (app.ListTasks, error) {
	passed := []string{"kind", "queue", "limit"}
	if withState {
		passed = append(passed, "state")
	}
	return func(_ context.Context, r *http.Request) (app.ListTasks, error) {
		q := r.URL.Query()
		page, err := httpx.ParsePage(r)
		if err != nil {
			return app.ListTasks{}, err
		}
		req := app.ListTasks{Query: url.Values{}, Cursor: page.Cursor}
		for name, vs := range q {
			switch {
			case name == "cursor":
			case name == "service":
				for _, v := range vs {
					for s := range strings.SplitSeq(v, ",") {
						if s = strings.TrimSpace(s); s != "" {
							req.Services = append(req.Services, s)
						}
					}
				}
			case slices.Contains(passed, name):
				req.Query[name] = vs
			default:
				return app.ListTasks{}, apperr.BadRequest(name, "is not a filter of this list ("+strings.Join(passed, ", ")+", service, cursor)")
			}
		}
		return req, nil
	}
}
