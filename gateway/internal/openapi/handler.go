package openapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"reos.dev/gateway/internal/discovery"
	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
)

// Defaults for HandlerConfig.
const (
	DefaultCacheTTL     = 30 * time.Second
	DefaultFetchTimeout = 3 * time.Second
	maxDocBytes         = 8 << 20
)

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	// Base is the gateway's own document (openapi.yaml).
	Base []byte
	// Services are the upstream names, in any order.
	Services []string
	// Resolve returns an upstream's base URL (see package discovery).
	Resolve func(service string) (*url.URL, error)
	// Client fetches the documents; it should have no overall timeout of
	// its own shorter than FetchTimeout.
	Client       *http.Client
	CacheTTL     time.Duration
	FetchTimeout time.Duration
	Logger       *slog.Logger
	// Shared and Public are passed to Merge (see Options).
	Shared []Shared
	Public func(method, path string) bool
}

// Handler serves the merged document, rebuilt at most once per CacheTTL.
type Handler struct {
	cfg HandlerConfig

	mu      sync.Mutex
	body    []byte
	etag    string
	expires time.Time
}

// NewHandler returns a Handler; Base, Resolve, Client and Logger are required.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if len(cfg.Base) == 0 || cfg.Resolve == nil || cfg.Client == nil || cfg.Logger == nil {
		return nil, errors.New("openapi: Base, Resolve, Client and Logger are required")
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	cfg.Logger = cfg.Logger.With("component", "openapi")
	return &Handler{cfg: cfg}, nil
}

// Document returns the merged document as JSON, from the cache when fresh.
// Concurrent callers wait for one rebuild rather than each fetching.
func (h *Handler) Document(ctx context.Context) ([]byte, string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.body != nil && time.Now().Before(h.expires) {
		return h.body, h.etag, nil
	}
	body, err := h.build(context.WithoutCancel(ctx))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	h.body, h.etag, h.expires = body, `"`+hex.EncodeToString(sum[:12])+`"`, time.Now().Add(h.cfg.CacheTTL)
	return h.body, h.etag, nil
}

func (h *Handler) build(ctx context.Context) ([]byte, error) {
	type fetched struct {
		doc     ServiceDoc
		missing *Missing
	}
	results := make([]fetched, len(h.cfg.Services))
	var wg sync.WaitGroup
	for i, s := range h.cfg.Services {
		wg.Go(func() {
			raw, err := h.fetch(ctx, s)
			if err != nil {
				// The document is public: the reason names no internal address.
				results[i] = fetched{missing: &Missing{Service: s, Reason: publicReason(err)}}
				if !errors.Is(err, discovery.ErrNotConfigured) {
					h.cfg.Logger.WarnContext(ctx, "fetch service OpenAPI document", "service", s, "error", err)
				}
				return
			}
			results[i] = fetched{doc: ServiceDoc{Service: s, Raw: raw}}
		})
	}
	wg.Wait()
	var docs []ServiceDoc
	var missing []Missing
	for _, r := range results {
		if r.missing != nil {
			missing = append(missing, *r.missing)
		} else {
			docs = append(docs, r.doc)
		}
	}
	res, err := Merge(ctx, h.cfg.Base, docs, missing, Options{Shared: h.cfg.Shared, Public: h.cfg.Public})
	if err != nil {
		return nil, err
	}
	if res.Invalid != nil {
		h.cfg.Logger.WarnContext(ctx, "combined OpenAPI document does not validate", "error", res.Invalid)
	}
	return json.Marshal(res.Doc)
}

func (h *Handler) fetch(ctx context.Context, service string) ([]byte, error) {
	base, err := h.cfg.Resolve(service)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+"/openapi.json", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/yaml")
	resp, err := h.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s/openapi.json: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s/openapi.json: %w", base, err)
	}
	if len(b) > maxDocBytes {
		return nil, fmt.Errorf("GET %s/openapi.json: document over %d bytes", base, maxDocBytes)
	}
	return b, nil
}

// statusError is a non-200 answer to a document fetch.
type statusError int

func (e statusError) Error() string {
	return fmt.Sprintf("GET /openapi.json answered status %d", int(e))
}

func publicReason(err error) string {
	var se statusError
	switch {
	case errors.Is(err, discovery.ErrNotConfigured):
		return "not configured in this deployment"
	case errors.Is(err, discovery.ErrNoInstances):
		return "no healthy instance"
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "GET /openapi.json timed out"
	default:
		return "GET /openapi.json failed"
	}
}

// ServeHTTP answers GET and HEAD with the merged document.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, etag, err := h.Document(r.Context())
	if err != nil {
		httpx.WriteError(w, r, h.cfg.Logger, apperr.Wrap(err, apperr.KindUnavailable, "openapi_unavailable", "the API document could not be built"))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "public, max-age=30")
	hd.Set("ETag", etag)
	// ServeContent answers HEAD, If-None-Match (with the ETag above) and ranges.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
