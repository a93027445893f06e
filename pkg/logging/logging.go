// Package logging builds the structured JSON logger every binary uses. Records
// logged with the *Context methods carry the request id, org and user that the
// HTTP middleware stored in the context, so a log line can always be tied to a
// request and a tenant.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyOrgUser
)

type orgUser struct{ org, user string }

// WithRequestID stores the request id for later log records.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, keyRequestID, id)
}

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// WithOrgUser stores the caller's organisation and user for later log records.
func WithOrgUser(ctx context.Context, orgID, userID string) context.Context {
	return context.WithValue(ctx, keyOrgUser, orgUser{org: orgID, user: userID})
}

// New returns a JSON logger at level ("debug", "info", "warn", "error") that
// tags every record with service and the context's request id, org and user.
func New(w io.Writer, level, service string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: ParseLevel(level)})
	return slog.New(contextHandler{Handler: h}).With("service", service)
}

// ParseLevel maps a level name to a slog.Level, defaulting to info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Discard returns a logger that drops everything; for tests that do not assert logs.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if ou, ok := ctx.Value(keyOrgUser).(orgUser); ok {
		if ou.org != "" {
			r.AddAttrs(slog.String("org_id", ou.org))
		}
		if ou.user != "" {
			r.AddAttrs(slog.String("user_id", ou.user))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{Handler: h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{Handler: h.Handler.WithGroup(name)}
}
