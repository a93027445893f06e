package storage_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/logging"
	"reos.dev/pkg/storage"
)

// FuzzValidateKey: an accepted key is a local relative path of the allowed
// bytes that stays inside any root it is joined to.
func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"a/b/c", "../x", "a/./b", "/abs", "a//b", ".x", "a\\..\\b", "C:/x", "a/b/", strings.Repeat("x/", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if storage.ValidateKey(key) != nil {
			return
		}
		if len(key) == 0 || len(key) > storage.MaxKeyBytes || !filepath.IsLocal(key) ||
			strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\?#%:\x00 ") {
			t.Fatalf("accepted %q", key)
		}
		for seg := range strings.SplitSeq(key, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted %q with segment %q", key, seg)
			}
		}
		root := "/srv/storage/objects"
		if p := filepath.Join(root, key); !strings.HasPrefix(p, root+"/") {
			t.Fatalf("%q escapes the root: %s", key, p)
		}
	})
}

// FuzzSignedURL drives the download handler with arbitrary paths and
// query strings: it never fails with a 5xx and serves the one stored object
// only to the exact link that was signed for it.
func FuzzSignedURL(f *testing.F) {
	store, err := storage.NewDisk(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	signer, err := storage.NewSigner(storage.Secret("0123456789abcdef0123456789abcdef-fuzz"), storage.FilesPrefix("property"))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	const key = "org/properties/p/images/i"
	if _, err := store.Put(f.Context(), key, strings.NewReader("\x89PNG\r\n\x1a\n"), storage.ObjectMeta{ContentType: "image/png"}); err != nil {
		f.Fatal(err)
	}
	good, err := signer.URL(key, now.Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	h, err := storage.NewHandler(storage.HandlerConfig{Store: store, Signer: signer, Logger: logging.Discard(), Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	goodPath, goodQuery, _ := strings.Cut(good.URL, "?")
	f.Add(goodPath, goodQuery)
	f.Add(goodPath, strings.Replace(goodQuery, "expires=1", "expires=2", 1))
	f.Add(goodPath+"/../i", goodQuery)
	f.Add("/api/v1/files/property/../../etc/passwd", goodQuery)
	f.Add("/api/v1/files/property/", "expires=&sig=")
	f.Add(goodPath, goodQuery+"&sig=AAAA")
	f.Fuzz(func(t *testing.T, path, query string) {
		if !strings.HasPrefix(path, "/") || !utf8.ValidString(path) || strings.ContainsAny(path, " \t\r\n?#") {
			return // not something an HTTP request line carries
		}
		r, err := http.NewRequest(http.MethodGet, "http://files.test"+path+"?"+query, nil)
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s?%s = %d %s", path, query, w.Code, w.Body)
		}
		if w.Code == http.StatusOK && (r.URL.Path != goodPath || r.URL.Query().Get("sig") != mustQuery(goodQuery, "sig") ||
			r.URL.Query().Get("expires") != mustQuery(goodQuery, "expires")) {
			t.Fatalf("served %s?%s, which was never signed", path, query)
		}
	})
}

func mustQuery(q, name string) string {
	for kv := range strings.SplitSeq(q, "&") {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}
