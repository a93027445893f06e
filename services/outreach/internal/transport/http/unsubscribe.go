package http

import (
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
)

// maxUnsubscribeBody bounds a POST to the unsubscribe link: a token and
// the one-click field.
const maxUnsubscribeBody = 8 << 10

// The RFC 8058 one-click body's field and value.
const (
	oneClickField = "List-Unsubscribe"
	oneClickValue = "One-Click"
)

var pageTemplate = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title></head>
<body><main>
<h1>{{.Title}}</h1>
{{if .Done}}<p>{{.Address}} will receive no more {{.What}} from us.</p>
{{else}}<p>Stop {{.What}} to {{.Address}}?</p>
<form method="post" action="{{.Action}}"><button type="submit">Unsubscribe</button></form>
{{end}}</main></body></html>
`))

type pageData struct {
	Title, Address, What, Action string
	Done                         bool
}

// unsubscribePage is GET of the link: a confirmation page whose button
// posts to the same link. It never unsubscribes: mail scanners and link
// previewers follow every link in a message. A tampered token is a 400
// problem.
func (h *handlers) unsubscribePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		c, err := h.svc.CheckUnsubscribe(r.Context(), token)
		if err != nil {
			httpx.WriteError(w, r, h.log, err)
			return
		}
		writePage(w, http.StatusOK, pageData{Title: "Unsubscribe", Address: mask(c.Address), What: what(c.Channel),
			Action: unsubscribePath + "?" + url.Values{"token": {token}}.Encode()})
	})
}

// unsubscribe is POST of the link. The token comes from the query (the
// link itself, which RFC 8058 one-click posts to) or the body. The body is
// either a form — `List-Unsubscribe=One-Click` (a mail client's one-click:
// 200 at once, source one_click) or the confirmation page's button (an
// HTML answer, source link) — or JSON `{"token": …}` (source link, a JSON
// answer). Forms are accepted here, unlike every other route, on purpose:
// RFC 8058 prescribes one, and a cross-site post can only unsubscribe the
// recipient whose token it carries.
func (h *handlers) unsubscribe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, source, html, err := readUnsubscribe(r)
		if err != nil {
			httpx.WriteError(w, r, h.log, err)
			return
		}
		res, err := h.svc.Unsubscribe(r.Context(), token, source)
		if err != nil {
			httpx.WriteError(w, r, h.log, err)
			return
		}
		if html {
			c, _ := h.svc.CheckUnsubscribe(r.Context(), token)
			writePage(w, http.StatusOK, pageData{Title: "You are unsubscribed", Address: mask(c.Address), What: what(c.Channel), Done: true})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, unsubscribedJSON{Unsubscribed: true, Channel: string(res.Channel), Already: res.Already})
	})
}

// readUnsubscribe reads a POST's token and what kind of post it is.
func readUnsubscribe(r *http.Request) (token, source string, html bool, err error) {
	token, source = r.URL.Query().Get("token"), app.SourceLink
	body, err := io.ReadAll(io.LimitReader(r.Body, maxUnsubscribeBody+1))
	if err != nil {
		return "", "", false, apperr.BadRequest("body", "could not be read")
	}
	if len(body) > maxUnsubscribeBody {
		e := apperr.New(apperr.KindTooLarge, "too_large", "the body is too large")
		e.Fields = []apperr.FieldError{{Field: "body", Message: "must be at most 8 KiB"}}
		return "", "", false, e
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case len(body) == 0 && ct == "":
	case mt == "application/x-www-form-urlencoded":
		form, perr := url.ParseQuery(string(body))
		if perr != nil {
			return "", "", false, apperr.BadRequest("body", "is not a valid form")
		}
		if t := form.Get("token"); t != "" {
			token = t
		}
		if form.Get(oneClickField) == oneClickValue {
			source = app.SourceOneClick
		} else {
			html = true
		}
	case mt == "application/json":
		var b struct {
			Token string `json:"token"`
		}
		if err := httpx.DecodeJSONReader(strings.NewReader(string(body)), &b); err != nil {
			return "", "", false, err
		}
		if b.Token != "" {
			token = b.Token
		}
	default:
		e := apperr.New(apperr.KindUnsupportedMediaType, "unsupported_media_type", "the body's type is not accepted here")
		e.Fields = []apperr.FieldError{{Field: "Content-Type", Message: "must be application/x-www-form-urlencoded or application/json"}}
		return "", "", false, e
	}
	if len(token) > unsubscribe.MaxTokenLen {
		token = ""
	}
	return token, source, html, nil
}

func writePage(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, d)
}

func what(channel string) string {
	if channel == "sms" {
		return "text messages"
	}
	return "emails"
}

// mask shows enough of an address for its owner to recognise it and little
// to anyone else who sees the page: j•••@example.com, •••0123.
func mask(addr string) string {
	if local, host, ok := strings.Cut(addr, "@"); ok && local != "" {
		return string([]rune(local)[:1]) + "•••@" + host
	}
	if len(addr) > 4 {
		return "•••" + addr[len(addr)-4:]
	}
	return "•••"
}
