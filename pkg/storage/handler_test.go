package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/logging"
	"reos.dev/pkg/storage"
)

type filesFixture struct {
	store   *storage.Disk
	signer  *storage.Signer
	handler http.Handler
	now     time.Time
}

func newFiles(t *testing.T) *filesFixture {
	t.Helper()
	f := &filesFixture{store: newDisk(t), signer: newSigner(t), now: time.Unix(1_700_000_000, 0)}
	h, err := storage.NewHandler(storage.HandlerConfig{Store: f.store, Signer: f.signer, Logger: logging.Discard(),
		Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = h
	return f
}

func (f *filesFixture) put(t *testing.T, key string, data []byte, meta storage.ObjectMeta) storage.Object {
	t.Helper()
	obj, err := f.store.Put(t.Context(), key, bytes.NewReader(data), meta)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func (f *filesFixture) get(t *testing.T, method, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, r)
	return w
}

func (f *filesFixture) url(t *testing.T, key string, ttl time.Duration) string {
	t.Helper()
	su, err := f.signer.URL(key, f.now.Add(ttl))
	if err != nil {
		t.Fatal(err)
	}
	return su.URL
}

func TestHandlerServesSignedDownloads(t *testing.T) {
	t.Parallel()
	f := newFiles(t)
	img := pngBytes(t)
	obj := f.put(t, "o/properties/p/images/i1", img, storage.ObjectMeta{ContentType: "image/png", FileName: "front door.png"})
	pdf := pdfBytes()
	f.put(t, "o/properties/p/documents/d1", pdf, storage.ObjectMeta{ContentType: "application/pdf", FileName: "Kaufvertrag Müller.pdf"})

	w := f.get(t, http.MethodGet, f.url(t, obj.Key, 10*time.Minute))
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), img) {
		t.Fatalf("download = %d (%d bytes)", w.Code, w.Body.Len())
	}
	want := map[string]string{
		"Content-Type":           "image/png",
		"Content-Length":         strconv.Itoa(len(img)),
		"X-Content-Type-Options": "nosniff",
		"Content-Disposition":    `inline; filename="front door.png"`,
		"Cache-Control":          "private, max-age=600",
		"ETag":                   `"` + obj.SHA256 + `"`,
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	// Documents are downloads; a non-ASCII name travels RFC 2231-encoded.
	w = f.get(t, http.MethodGet, f.url(t, "o/properties/p/documents/d1", time.Minute))
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), pdf) || w.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf = %d %v", w.Code, w.Header())
	}
	if cd := w.Header().Get("Content-Disposition"); cd != "attachment; filename*=utf-8''Kaufvertrag%20M%C3%BCller.pdf" {
		t.Errorf("document disposition = %q", cd)
	}

	// HEAD: headers, no body. Conditional and range requests work.
	link := f.url(t, obj.Key, 10*time.Minute)
	if w := f.get(t, http.MethodHead, link); w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") != strconv.Itoa(len(img)) {
		t.Errorf("HEAD = %d, %d body bytes, length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
	if w := f.get(t, http.MethodGet, link, "If-None-Match", `"`+obj.SHA256+`"`); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", w.Code)
	}
	if w := f.get(t, http.MethodGet, link, "Range", "bytes=0-7"); w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), img[:8]) {
		t.Errorf("Range = %d %x", w.Code, w.Body.Bytes())
	}
}

func TestHandlerRefusesBadLinks(t *testing.T) {
	t.Parallel()
	f := newFiles(t)
	key := "o/properties/p/images/i1"
	f.put(t, key, pngBytes(t), storage.ObjectMeta{ContentType: "image/png"})
	good := f.url(t, key, time.Minute)
	u, _ := url.Parse(good)
	q := u.Query()
	with := func(k, v string) string {
		qq := url.Values{}
		for name, vs := range q {
			qq[name] = vs
		}
		if v == "" {
			qq.Del(k)
		} else {
			qq.Set(k, v)
		}
		return u.Path + "?" + qq.Encode()
	}
	expiredLink := f.url(t, key, -time.Second)

	tests := []struct {
		name, target string
		status       int
		field        string
	}{
		{"no query", u.Path, http.StatusForbidden, "expires"},
		{"no signature", with("sig", ""), http.StatusForbidden, "sig"},
		{"tampered signature", with("sig", flip(q.Get("sig"))), http.StatusForbidden, "sig"},
		{"extended expiry", with("expires", strconv.Itoa(int(f.now.Unix())+3600)), http.StatusForbidden, "sig"},
		{"expires not a number", with("expires", "soon"), http.StatusForbidden, "expires"},
		{"expired", expiredLink, http.StatusForbidden, "expires"},
		{"another key, same signature", strings.Replace(good, "/i1?", "/i2?", 1), http.StatusForbidden, "sig"},
	}
	for _, tc := range tests {
		w := f.get(t, http.MethodGet, tc.target)
		if w.Code != tc.status || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s %s", tc.name, w.Code, w.Header().Get("Content-Type"), w.Body)
			continue
		}
		var p struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: problem names %v, want %s: %s", tc.name, p.Errors, tc.field, w.Body)
		}
	}

	// A good link to a deleted object is a 404; the wrong method a 405.
	if err := f.store.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if w := f.get(t, http.MethodGet, good); w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("deleted = %d %s", w.Code, w.Body)
	}
	if w := f.get(t, http.MethodPost, good); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d", w.Code)
	}
	if w := f.get(t, http.MethodGet, "/api/v1/files/crm/"+key+"?"+q.Encode()); w.Code != http.StatusNotFound {
		t.Errorf("another service's prefix = %d", w.Code)
	}
}

// A store that cannot seek still streams with Content-Length.
func TestHandlerStreamsFromAPlainReader(t *testing.T) {
	t.Parallel()
	f := newFiles(t)
	data := bytes.Repeat([]byte("%PDF-1.7 "), 10000)
	f.put(t, "o/d", data, storage.ObjectMeta{ContentType: "application/pdf", FileName: "a.pdf"})
	h, _ := storage.NewHandler(storage.HandlerConfig{Store: noSeek{f.store}, Signer: f.signer, Logger: logging.Discard(),
		Now: func() time.Time { return f.now }})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, f.url(t, "o/d", time.Minute), nil))
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), data) || w.Header().Get("Content-Length") != strconv.Itoa(len(data)) ||
		w.Header().Get("Content-Disposition") != "attachment; filename=a.pdf" {
		t.Fatalf("plain reader download = %d %v", w.Code, w.Header())
	}
}

type noSeek struct{ storage.Store }

func (n noSeek) Open(ctx context.Context, key string) (io.ReadCloser, storage.Object, error) {
	rc, obj, err := n.Store.Open(ctx, key)
	if err != nil {
		return nil, obj, err
	}
	return struct {
		io.Reader
		io.Closer
	}{rc, rc}, obj, nil
}
