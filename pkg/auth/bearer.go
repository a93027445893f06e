package auth

import "context"

type bearerKey struct{}

// WithBearer returns ctx carrying the caller's raw access token, so a call to
// another service on the caller's behalf (pkg/svcclient) can pass it on.
// Middleware does this for every authenticated request.
func WithBearer(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, bearerKey{}, token)
}

// BearerFrom returns the caller's raw access token, if ctx has one.
func BearerFrom(ctx context.Context) (string, bool) {
	t, ok := ctx.Value(bearerKey{}).(string)
	return t, ok && t != ""
}
