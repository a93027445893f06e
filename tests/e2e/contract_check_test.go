package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// checkDoc is a small merged document for TestContractCheck.
const checkDoc = `{
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "x-reos-missing-services": [{"service": "outreach", "reason": "not configured in this deployment"}],
  "paths": {
    "/api/v1/things/{id}": {
      "get": {
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}}}}},
          "429": {"description": "limited",
            "headers": {"Retry-After": {"required": true, "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        }
      }
    },
    "/api/v1/files/{key}": {
      "get": {
        "parameters": [{"name": "key", "in": "path", "required": true, "x-reos-multi-segment": true, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the file", "content": {"*/*": {}}}}
      }
    },
    "/api/v1/report": {
      "get": {"responses": {"200": {"description": "csv", "content": {"text/csv": {"schema": {"type": "string"}}}}}}
    }
  },
  "components": {"schemas": {"Problem": {"type": "object", "required": ["type", "title", "status"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}}}}}
}`

// TestContractCheck holds the contract check itself to what the top of
// contract_test.go promises, on answers made up for it: what conforms
// passes, and each kind of drift is caught.
func TestContractCheck(t *testing.T) {
	t.Parallel()
	k, err := newContract(t.Context(), []byte(checkDoc))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.missing(); !slices.Equal(got, []string{"outreach"}) {
		t.Errorf("missing services = %v", got)
	}
	const problem = `{"type":"https://reos.dev/problems/x","title":"X","status":%d}`
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		header      map[string]string
		body        string
		wantErr     string // "" = conforms
	}{
		{"a documented answer", "GET", "/api/v1/things/1", 200, "application/json", nil, `{"id":"1","n":2}`, ""},
		{"a body off its schema", "GET", "/api/v1/things/1", 200, "application/json", nil, `{"n":"two"}`, "doesn't match schema"},
		{"an undocumented status", "GET", "/api/v1/things/1", 409, "application/problem+json", nil, strings.ReplaceAll(problem, "%d", "409"), "status is not supported"},
		{"a required header missing", "GET", "/api/v1/things/1", 429, "application/problem+json", nil, strings.ReplaceAll(problem, "%d", "429"), "Retry-After"},
		{"a required header present", "GET", "/api/v1/things/1", 429, "application/problem+json", map[string]string{"Retry-After": "3"}, strings.ReplaceAll(problem, "%d", "429"), ""},
		{"an undocumented media type", "GET", "/api/v1/things/1", 200, "text/html", nil, `<p>`, `"text/html" is not documented`},
		{"a non-JSON body is not parsed", "GET", "/api/v1/report", 200, "text/csv; charset=utf-8", nil, "a,b\n\"unclosed", ""},
		{"a key with slashes", "GET", "/api/v1/files/org/a/b.png?sig=x", 200, "image/png", nil, "\x89PNG", ""},
		{"an undocumented method", "POST", "/api/v1/things/1", 201, "application/json", nil, `{"id":"1"}`, "undocumented operation"},
		{"an undocumented path", "GET", "/api/v1/other", 200, "application/json", nil, `{}`, "undocumented operation"},
		{"no such route", "GET", "/api/v1/other", 404, "application/problem+json", nil, strings.ReplaceAll(problem, "%d", "404"), ""},
		{"no such route, not a problem", "GET", "/api/v1/other", 404, "text/plain", nil, "404 page not found", "not a problem document"},
		{"the gateway's refusal of an unknown path", "GET", "/api/v1/things/1/x", 401, "application/problem+json", nil, `{"type":"t","title":"T"}`, "status"},
		{"outside the API", "GET", "/healthz", 500, "text/plain", nil, "", ""},
		{"a HEAD", "HEAD", "/api/v1/things/1", 500, "", nil, "", ""},
	}
	const host = "contract-check.test:1"
	contracts.Store(host, k)
	t.Cleanup(func() { contracts.Delete(host) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "http://"+host+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.body)), Request: req}
			if tc.contentType != "" {
				resp.Header.Set("Content-Type", tc.contentType)
			}
			for k, v := range tc.header {
				resp.Header.Set(k, v)
			}
			err = checkContract(req, resp)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("conforming answer refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error = %v, want one saying %q", err, tc.wantErr)
			case err != nil && !strings.Contains(err.Error(), tc.method+" "+tc.path):
				t.Errorf("the error does not name the request: %v", err)
			}
			// The caller still reads the whole body.
			if b, _ := io.ReadAll(resp.Body); string(b) != tc.body {
				t.Errorf("the body handed back is %q, want %q", b, tc.body)
			}
		})
	}
}

// recordT records the errors reported to it instead of failing.
type recordT struct {
	testing.TB
	errs []string
}

func (r *recordT) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestContractTransport: a mismatch fails the test that sent the request
// and still hands it the answer; a request sent without a test (http.Get)
// gets the mismatch as its error.
func TestContractTransport(t *testing.T) {
	t.Parallel()
	k, err := newContract(t.Context(), []byte(checkDoc))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"n":"not a number"}`)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	contracts.Store(u.Host, k)
	t.Cleanup(func() { contracts.Delete(u.Host) })

	rec := &recordT{TB: t}
	resp, err := send(rec, mustRequest(t, http.MethodGet, srv.URL+"/api/v1/things/1"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "GET /api/v1/things/1 answered 200") || string(b) != `{"n":"not a number"}` {
		t.Errorf("reported %q, body %q", rec.errs, b)
	}
	if resp, err := http.Get(srv.URL + "/api/v1/things/1"); err == nil || !strings.Contains(err.Error(), "contract:") {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("http.Get = %v, want the mismatch as its error", err)
	}
}
