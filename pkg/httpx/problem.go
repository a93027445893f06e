// Package httpx holds the HTTP plumbing every service shares: RFC 9457 problem
// details, JSON decoding that names the field at fault, the generic go-kit glue,
// cursor pagination and the standard middleware (request id, panic recovery,
// access log).
package httpx

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/logging"
)

// ProblemTypeBase prefixes every problem type URI; the suffix is the error's reason.
const ProblemTypeBase = "https://reos.dev/problems/"

// ContentTypeProblem is the media type of RFC 9457 problem details.
const ContentTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	// RetryAfter is sent as the Retry-After header, not in the body.
	RetryAfter time.Duration `json:"-"`
}

// StatusOf maps an error kind to its HTTP status.
func StatusOf(k apperr.Kind) int {
	switch k {
	case apperr.KindBadRequest:
		return http.StatusBadRequest
	case apperr.KindInvalid, apperr.KindUnprocessable:
		return http.StatusUnprocessableEntity
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindUnauthorized:
		return http.StatusUnauthorized
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindLocked:
		return http.StatusLocked
	case apperr.KindTooManyRequests:
		return http.StatusTooManyRequests
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable
	case apperr.KindPrecondition:
		return http.StatusPreconditionFailed
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.KindUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusInternalServerError
	}
}

// ProblemFor converts an error into a problem document. Errors that are not
// *apperr.Error become an opaque 500: their text never reaches the client.
func ProblemFor(err error) Problem {
	e, ok := apperr.As(err)
	if !ok || e.Kind == apperr.KindUnknown {
		return Problem{Type: ProblemTypeBase + "internal", Title: "Internal Server Error",
			Status: http.StatusInternalServerError, Detail: "an unexpected error occurred"}
	}
	status := StatusOf(e.Kind)
	return Problem{
		Type:       ProblemTypeBase + e.Reason,
		Title:      http.StatusText(status),
		Status:     status,
		Detail:     e.Message,
		Errors:     e.Fields,
		RetryAfter: e.RetryAfter,
	}
}

// WriteProblem writes p as application/problem+json, filling the request id
// and instance from r when they are empty.
func WriteProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if r != nil {
		if p.Instance == "" {
			p.Instance = r.URL.Path
		}
		if p.RequestID == "" {
			p.RequestID = logging.RequestID(r.Context())
		}
	}
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	if p.RetryAfter > 0 {
		secs := int((p.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", ContentTypeProblem)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteError maps err to a problem and writes it. A 5xx is logged once here,
// with the request id, because this is the transport boundary.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	writeErrorCtx(r.Context(), w, r.URL.Path, logger, err)
}

func writeErrorCtx(ctx context.Context, w http.ResponseWriter, path string, logger *slog.Logger, err error) {
	p := ProblemFor(err)
	p.Instance = path
	p.RequestID = logging.RequestID(ctx)
	if p.Status >= 500 && logger != nil {
		logger.ErrorContext(ctx, "request failed", "error", err, "path", path, "status", p.Status)
	}
	writeProblem(w, p)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v == nil || status == http.StatusNoContent {
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// NotFoundHandler answers unknown routes with a problem document.
func NotFoundHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, ProblemFor(apperr.NotFound("route_not_found", "no such route")))
	})
}

// MethodNotAllowedHandler answers a known path with the wrong method. The
// caller sets Allow (a router uses MethodNotAllowedFor, which does).
func MethodNotAllowedHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, Problem{Type: ProblemTypeBase + "method_not_allowed", Title: "Method Not Allowed",
			Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not allowed here"})
	})
}
