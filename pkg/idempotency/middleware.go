package idempotency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
)

// Header names.
const (
	HeaderKey      = "Idempotency-Key"
	HeaderReplayed = "Idempotent-Replayed"
)

// MaxKeyLength is the longest accepted Idempotency-Key.
const MaxKeyLength = 255

// DefaultMaxBody bounds the request body buffered for fingerprinting and the
// response body buffered for storage.
const DefaultMaxBody = 10 << 20

// completeTimeout bounds storing or releasing a claim after the response
// was sent; it runs detached from the request so a client hanging up does
// not leave the key in flight until the lock timeout.
const completeTimeout = 5 * time.Second

// storedHeaders are the response headers kept for replay. Hop-by-hop, rate
// limit, security and CORS headers are left out: the serving layer sets
// them afresh on every response, replayed or not.
var storedHeaders = []string{
	"Content-Type", "Content-Language", "Content-Location", "Content-Disposition",
	"Location", "Etag", "Last-Modified", "Link", "Cache-Control", "Expires", "Preference-Applied",
}

// ValidateKey reports whether key is an acceptable Idempotency-Key: 1 to
// MaxKeyLength visible ASCII characters (0x21-0x7E).
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLength {
		return apperr.BadRequest(HeaderKey, fmt.Sprintf("must be 1 to %d visible ASCII characters", MaxKeyLength))
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return apperr.BadRequest(HeaderKey, fmt.Sprintf("must be 1 to %d visible ASCII characters", MaxKeyLength))
		}
	}
	return nil
}

// Applies reports whether a request is subject to idempotency handling: a
// mutating method (POST, PUT, PATCH, DELETE) carrying the header.
func Applies(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return false
	}
	_, ok := r.Header[HeaderKey]
	return ok
}

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Store  *Store
	Logger *slog.Logger
	// MaxBody bounds request and stored response bodies (DefaultMaxBody when 0).
	MaxBody int64
	// Observe, when set, is told the outcome of every handled request
	// ("claimed", "replayed", "in_flight", "mismatch", "released", "error").
	Observe func(outcome string)
}

// Handler applies idempotency to requests. It is safe for concurrent use.
type Handler struct {
	store   *Store
	logger  *slog.Logger
	maxBody int64
	observe func(string)
}

// NewHandler returns a Handler; it rejects a nil store or logger.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("idempotency: nil store")
	}
	if cfg.Logger == nil {
		return nil, errors.New("idempotency: nil logger")
	}
	h := &Handler{store: cfg.Store, logger: cfg.Logger.With("component", "idempotency"), maxBody: cfg.MaxBody, observe: cfg.Observe}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.observe == nil {
		h.observe = func(string) {}
	}
	return h, nil
}

// Middleware applies Serve to requests for which Applies is true; scope
// names the caller (user id, or client IP when anonymous).
func (h *Handler) Middleware(scope func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !Applies(r) {
				next.ServeHTTP(w, r)
				return
			}
			h.Serve(w, r, scope(r), next)
		})
	}
}

// Serve handles one request that carries an Idempotency-Key (see Applies):
//
//   - a malformed key or several keys → 400 naming the header;
//   - a body over MaxBody → 413;
//   - key free (or expired, or abandoned) → next runs; a response below 500
//     is stored, a 5xx, a panic or no response releases the key, and so
//     does a success marked Cache-Control: no-store (one carrying a
//     credential: see noStore), which a retry therefore runs again;
//   - key used for another request (fingerprint differs) → 422
//     idempotency_key_reused;
//   - same request still running → 409 idempotency_request_in_flight with
//     Retry-After: 1;
//   - same request completed → the stored status, headers and body, with
//     Idempotent-Replayed: true.
//
// When the store is unreachable the request is refused with 503 rather than
// forwarded without protection: the client asked for at-most-once.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, scope string, next http.Handler) {
	values := r.Header.Values(HeaderKey)
	if len(values) != 1 {
		httpx.WriteError(w, r, h.logger, apperr.BadRequest(HeaderKey, "send exactly one Idempotency-Key header"))
		return
	}
	key := values[0]
	if err := ValidateKey(key); err != nil {
		httpx.WriteError(w, r, h.logger, err)
		return
	}
	body, err := h.readBody(r)
	if err != nil {
		httpx.WriteError(w, r, h.logger, err)
		return
	}
	req := Request{
		Scope:       scope,
		Key:         key,
		Fingerprint: NewFingerprint(r.Method, r.URL.Path, r.URL.RawQuery, body),
		Method:      r.Method,
		Path:        r.URL.Path,
	}
	claim, err := h.store.Claim(r.Context(), req)
	if err != nil {
		h.observe("error")
		httpx.WriteError(w, r, h.logger, apperr.Wrap(err, apperr.KindUnavailable, "idempotency_unavailable",
			"the idempotency store is unavailable; retry with the same key"))
		return
	}
	switch claim.Outcome {
	case Mismatch:
		h.observe("mismatch")
		httpx.WriteError(w, r, h.logger, apperr.Unprocessable("idempotency_key_reused",
			"this Idempotency-Key was already used for a different request"))
	case InFlight:
		h.observe("in_flight")
		e := apperr.Conflict("idempotency_request_in_flight", "a request with this Idempotency-Key is still being processed")
		e.RetryAfter = time.Second
		httpx.WriteError(w, r, h.logger, e)
	case Completed:
		h.observe("replayed")
		replay(w, claim.Response)
	case Claimed:
		h.observe("claimed")
		h.run(w, r, req, claim.Token, next)
	}
}

func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	tooLarge := apperr.New(apperr.KindTooLarge, "body_too_large",
		fmt.Sprintf("a request with an Idempotency-Key may carry at most %d bytes", h.maxBody))
	if r.ContentLength > h.maxBody {
		return nil, tooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	size := r.ContentLength
	if size < 0 {
		size = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	n, err := buf.ReadFrom(io.LimitReader(r.Body, h.maxBody+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, apperr.Wrap(err, apperr.KindBadRequest, "bad_request", "the request body could not be read")
	}
	if n > h.maxBody {
		return nil, tooLarge
	}
	body := buf.Bytes()
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	return body, nil
}

func (h *Handler) run(w http.ResponseWriter, r *http.Request, req Request, token uuid.UUID, next http.Handler) {
	cw := &captureWriter{ResponseWriter: w, limit: h.maxBody}
	finished := false
	defer func() {
		// Runs on return and on panic (the panic continues to the recovery
		// middleware): anything that did not finish cleanly is released.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), completeTimeout)
		defer cancel()
		status := cw.status
		if status == 0 && finished {
			// The handler wrote nothing at all: net/http sends an empty 200.
			status = http.StatusOK
			cw.snapshotHeader()
			cw.secret = noStore(status, cw.ResponseWriter.Header())
		}
		storable := finished && status > 0 && status < 500 && !cw.overflow && !cw.streamed && !cw.secret
		if storable {
			err := h.store.Complete(ctx, req, token, Response{Status: status, Header: cw.header, Body: cw.buf.Bytes()})
			if err == nil {
				return
			}
			h.logger.WarnContext(ctx, "store idempotent response", "error", err, "status", status)
			if errors.Is(err, ErrLostClaim) {
				return
			}
		} else if cw.overflow || cw.streamed {
			h.logger.WarnContext(ctx, "response not stored for replay; a retry will run again",
				"overflow", cw.overflow, "streamed", cw.streamed, "limit", h.maxBody)
		}
		// A no-store success is released without a word: not keeping it is
		// what its service asked for.
		h.observe("released")
		if err := h.store.Release(ctx, req, token); err != nil && !errors.Is(err, ErrLostClaim) {
			h.logger.WarnContext(ctx, "release idempotency key; it frees itself after the lock timeout", "error", err)
		}
	}()
	next.ServeHTTP(cw, r)
	finished = true
}

// replay writes a stored response.
func replay(w http.ResponseWriter, resp *Response) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	h.Set(HeaderReplayed, "true")
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// captureWriter passes the response through and keeps a copy of the status,
// the storable headers and up to limit body bytes.
type captureWriter struct {
	http.ResponseWriter
	limit    int64
	status   int
	header   http.Header
	buf      bytes.Buffer
	overflow bool
	streamed bool
	// secret: a success marked Cache-Control: no-store (see noStore).
	secret bool
}

// noStore reports whether a response must never be stored for a replay: a
// success (below 400) whose Cache-Control says no-store. That is how a
// service marks an answer carrying a credential (RFC 6749 §5.1 asks it of
// token answers): nothing may keep it, this store included. A problem
// document says no-store too, so that HTTP caches keep no error, but holds
// no secret, and replaying it is what the client's key asked for.
func noStore(status int, h http.Header) bool {
	if status >= 400 {
		return false
	}
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-store") {
				return true
			}
		}
	}
	return false
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status != 0 || code < 200 {
		// 1xx informational responses are forwarded but not stored.
		c.ResponseWriter.WriteHeader(code)
		return
	}
	c.status = code
	c.snapshotHeader()
	if ct := c.ResponseWriter.Header().Get("Content-Type"); strings.HasPrefix(ct, "text/event-stream") {
		c.streamed = true
	}
	c.secret = noStore(code, c.ResponseWriter.Header())
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) snapshotHeader() {
	src := c.ResponseWriter.Header()
	c.header = make(http.Header, 4)
	for _, k := range storedHeaders {
		if v, ok := src[k]; ok {
			c.header[k] = append([]string(nil), v...)
		}
	}
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if !c.overflow && !c.streamed {
		if int64(c.buf.Len()+len(p)) > c.limit {
			c.overflow = true
			c.buf = bytes.Buffer{}
		} else {
			c.buf.Write(p)
		}
	}
	return c.ResponseWriter.Write(p)
}

// Flush forwards to the underlying writer when it can flush.
func (c *captureWriter) Flush() {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(c.ResponseWriter).Flush()
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
