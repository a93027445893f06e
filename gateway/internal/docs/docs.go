// Package docs serves Swagger UI for the combined API document, fully
// offline: swagger-ui-dist 5.35.0 (Apache-2.0, see assets/LICENSE and
// assets/NOTICE; fetched with `npm pack swagger-ui-dist@5`) is embedded in the
// binary, with our own index.html and initializer script pointing at
// /api/v1/openapi.json.
package docs

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"reos.dev/pkg/httpx"
)

//go:embed assets
var assets embed.FS

// Prefix is where the UI is served.
const Prefix = "/api/v1/docs"

// Handler serves the UI under Prefix: Prefix itself redirects to Prefix+"/",
// which serves index.html; other files are served by name. Assets are
// immutable per binary, so they may be cached for an hour.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("docs: embedded assets missing: " + err.Error()) // a build bug, caught by tests
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Prefix {
			http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if name != "/" {
			if st, err := fs.Stat(sub, strings.TrimPrefix(name, "/")); err != nil || st.IsDir() {
				httpx.NotFoundHandler().ServeHTTP(w, r)
				return
			}
		}
		if name == "/" {
			w.Header().Set("Cache-Control", "no-cache")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = name
		u.RawPath = ""
		r2.URL = &u
		files.ServeHTTP(w, r2)
	})
}
