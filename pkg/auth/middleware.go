package auth

import (
	"log/slog"
	"net/http"
	"strings"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/logging"
)

// Middleware authenticates every request with the bearer access token in the
// Authorization header (scheme case-insensitive). On success the request
// context carries the Principal (PrincipalFrom) and the org and user for log
// records. Otherwise it answers 401 problem+json with a WWW-Authenticate
// challenge: `Bearer error="invalid_token"` for a bad token, plain `Bearer`
// when no bearer token was sent (RFC 6750 §3.1: no error code then); or 503
// when the signing keys cannot be obtained. It panics on a nil verifier or
// logger, which is a wiring bug.
func Middleware(v *Verifier, logger *slog.Logger) func(http.Handler) http.Handler {
	if v == nil {
		panic("auth.Middleware: nil verifier")
	}
	if logger == nil {
		panic("auth.Middleware: nil logger")
	}
	logger = logger.With("component", "auth")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, err := bearerToken(r)
			if err != nil {
				unauthorized(w, r, logger, err)
				return
			}
			claims, err := v.VerifyAccess(r.Context(), token)
			if err != nil {
				// Bad tokens are the client's problem and routine: debug only.
				// A 503 is logged by WriteError.
				logger.DebugContext(r.Context(), "token rejected", "error", err)
				unauthorized(w, r, logger, err)
				return
			}
			p := claims.Principal()
			ctx := WithPrincipal(r.Context(), p)
			ctx = WithBearer(ctx, token)
			ctx = logging.WithOrgUser(ctx, p.OrgID, p.UserID)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// Require lets a request through only when the Principal in its context (see
// Middleware) can perm (Principal.Can): 401 without a principal, 403
// missing_permission without the permission. It panics on an empty perm.
func Require(perm string) func(http.Handler) http.Handler {
	if perm == "" {
		panic("auth.Require: empty permission")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := PrincipalFrom(r.Context())
			if !ok {
				unauthorized(w, r, nil, missingToken())
				return
			}
			if !p.Can(perm) {
				httpx.WriteError(w, r, nil, apperr.Forbidden(ReasonMissingPermission, "requires permission "+perm))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

const reasonMissingToken = "missing_token"

func missingToken() error {
	return apperr.Unauthorized(reasonMissingToken, "a bearer token is required")
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", missingToken()
	case 1:
	default:
		return "", apperr.Unauthorized(ReasonInvalidToken, "send exactly one Authorization header")
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", missingToken()
	}
	return token, nil
}

// unauthorized writes err, adding the RFC 6750 challenge to a 401.
func unauthorized(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthorized {
		challenge := "Bearer"
		if e.Reason != reasonMissingToken {
			challenge = `Bearer error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	httpx.WriteError(w, r, logger, err)
}
