package storage

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
)

// HandlerConfig configures NewHandler. Store, Signer and Logger are required.
type HandlerConfig struct {
	Store  Store
	Signer *Signer
	Logger *slog.Logger
	// Now defaults to the wall clock.
	Now func() time.Time
}

type handler struct {
	store  Store
	signer *Signer
	log    *slog.Logger
	now    func() time.Time
}

// NewHandler serves signed downloads: GET or HEAD <prefix><key>?expires=&sig=.
// A missing, malformed, tampered or expired signature is a 403 problem
// (checked before the store is asked, so nobody learns which keys exist); a
// valid link to a deleted object is a 404. The object is streamed with its
// stored Content-Type, Content-Length, an ETag of its SHA-256,
// X-Content-Type-Options: nosniff, Content-Disposition inline for images
// and attachment for everything else, and Cache-Control private for the
// link's remaining life. Ranges and If-None-Match are honoured when the
// store can seek.
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("nil Store"))
	}
	if cfg.Signer == nil {
		errs = append(errs, errors.New("nil Signer"))
	}
	if cfg.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("storage: NewHandler: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &handler{store: cfg.Store, signer: cfg.Signer, log: cfg.Logger.With("component", "files"), now: cfg.Now}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpx.WriteProblem(w, r, httpx.Problem{Type: httpx.ProblemTypeBase + "method_not_allowed",
			Title: "Method Not Allowed", Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not allowed here"})
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, h.signer.prefix)
	if !ok {
		httpx.WriteError(w, r, h.log, ErrNotFound)
		return
	}
	now := h.now()
	q := r.URL.Query()
	expires, err := ParseExpires(q.Get("expires"))
	if err == nil {
		err = h.signer.Verify(key, expires, q.Get("sig"), now)
	}
	if err != nil {
		httpx.WriteError(w, r, h.log, err)
		return
	}
	body, obj, err := h.store.Open(r.Context(), key)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindInvalid {
			err = ErrNotFound // a signed key always validates; anything else names nothing
		}
		httpx.WriteError(w, r, h.log, err)
		return
	}
	defer body.Close()

	hd := w.Header()
	hd.Set("Content-Type", obj.ContentType)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Disposition", disposition(obj))
	hd.Set("Cache-Control", "private, max-age="+strconv.FormatInt(expires-now.Unix(), 10))
	hd.Set("ETag", `"`+obj.SHA256+`"`)
	if rs, ok := body.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", obj.Created, rs)
		return
	}
	hd.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, body); err != nil {
		h.log.WarnContext(r.Context(), "file download interrupted", "key", key, "error", err)
	}
}

// disposition shows images in the page (a browser renders them without
// running anything) and makes every other type a download.
func disposition(obj Object) string {
	kind := "attachment"
	if IsInlineType(obj.ContentType) {
		kind = "inline"
	}
	if obj.FileName != "" {
		if v := mime.FormatMediaType(kind, map[string]string{"filename": obj.FileName}); v != "" {
			return v
		}
	}
	return kind
}
