package httpx

import (
	"context"
	"log/slog"
	"net/http"

	kithttp "github.com/go-kit/kit/transport/http"
)

// NoContent is a response type that writes an empty body (use with status 204).
type NoContent struct{}

// Failer is implemented by go-kit responses that carry a business error.
// Business errors travel in the response, not as the endpoint's error, so a
// circuit breaker around an endpoint only counts transport failures.
type Failer interface{ Failed() error }

type response[T any] struct {
	value T
	err   error
}

func (r response[T]) Failed() error { return r.err }

// Headerer lets a response set headers (Location, ETag, Retry-After …).
type Headerer interface{ Headers() http.Header }

// StatusCoder lets a response choose its status (200 on replay, 201 on create).
type StatusCoder interface{ StatusCode() int }

type ctxKeyRequest struct{}

// Endpoint builds a go-kit server for one route from a typed decoder and a
// typed call. status is the success status; a Resp implementing StatusCoder or
// Headerer overrides it or adds headers. Errors from decode or call are
// written as problem details.
func Endpoint[Req, Resp any](
	logger *slog.Logger,
	decode func(context.Context, *http.Request) (Req, error),
	call func(context.Context, Req) (Resp, error),
	status int,
) http.Handler {
	ep := func(ctx context.Context, request any) (any, error) {
		resp, err := call(ctx, request.(Req))
		return response[Resp]{value: resp, err: err}, nil
	}
	dec := func(ctx context.Context, r *http.Request) (any, error) { return decode(ctx, r) }
	enc := func(ctx context.Context, w http.ResponseWriter, raw any) error {
		res := raw.(response[Resp])
		if res.err != nil {
			writeErrorCtx(ctx, w, pathFrom(ctx), logger, res.err)
			return nil
		}
		code := status
		if sc, ok := any(res.value).(StatusCoder); ok && sc.StatusCode() != 0 {
			code = sc.StatusCode()
		}
		if hd, ok := any(res.value).(Headerer); ok {
			for k, vs := range hd.Headers() {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
		}
		if _, empty := any(res.value).(NoContent); empty {
			w.WriteHeader(code)
			return nil
		}
		WriteJSON(w, code, res.value)
		return nil
	}
	errEnc := func(ctx context.Context, err error, w http.ResponseWriter) {
		writeErrorCtx(ctx, w, pathFrom(ctx), logger, err)
	}
	return kithttp.NewServer(ep, dec, enc,
		kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, ctxKeyRequest{}, r.URL.Path)
		}),
		kithttp.ServerErrorEncoder(errEnc),
	)
}

func pathFrom(ctx context.Context) string {
	p, _ := ctx.Value(ctxKeyRequest{}).(string)
	return p
}

// DecodeNothing is a decoder for requests without input.
func DecodeNothing(context.Context, *http.Request) (struct{}, error) { return struct{}{}, nil }

// DecodeBody returns a decoder that reads the JSON body into a new T.
func DecodeBody[T any]() func(context.Context, *http.Request) (T, error) {
	return func(_ context.Context, r *http.Request) (T, error) {
		var v T
		err := DecodeJSON(r, &v)
		return v, err
	}
}
