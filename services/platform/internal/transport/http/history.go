package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/services/platform/internal/app"
)

func decodeHistory(_ context.Context, r *http.Request) (app.HistoryQuery, error) {
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "type", "since", "limit", "cursor":
		default:
			return app.HistoryQuery{}, apperr.BadRequest(name, "is not a filter of this list (type, since, limit, cursor)")
		}
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return app.HistoryQuery{}, err
	}
	hq := app.HistoryQuery{Limit: page.Limit}
	if page.Cursor != "" {
		n, err := strconv.ParseInt(page.Cursor, 10, 64)
		if err != nil || n < 1 {
			return app.HistoryQuery{}, apperr.BadRequest("cursor", "is not a valid cursor")
		}
		hq.After = n
	}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return app.HistoryQuery{}, apperr.BadRequest("since", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
		hq.Since = &t
	}
	for t := range strings.SplitSeq(q.Get("type"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			hq.Types = append(hq.Types, t)
		}
	}
	return hq, nil
}

func (h *handlers) eventHistory() http.Handler {
	return httpx.Endpoint(h.log, decodeHistory, func(ctx context.Context, q app.HistoryQuery) (httpx.List[app.HistoryEvent], error) {
		items, err := app.History(ctx, h.history, q)
		var next string
		if len(items) == q.Limit && q.Limit > 0 {
			next = strconv.FormatInt(items[len(items)-1].Seq, 10)
		}
		return httpx.NewList(items, next), err
	}, http.StatusOK)
}
