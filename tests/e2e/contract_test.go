package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The contract: every answer the suite receives to a request under /api/v1
// of a running stack (through nginx or straight to the gateway) is checked
// against the merged OpenAPI document that stack serves, fetched once when
// it starts, with kin-openapi's openapi3filter.ValidateResponse. A mismatch
// fails the test that made the request, naming the method, path, status and
// what does not match; so the document and the behaviour cannot drift.
//
// What is checked, answer by answer:
//
//   - the operation (path template and method) is documented, and the
//     status is one of its responses (no "default" response is written);
//   - the headers the response documents (required ones present, values
//     of their schema);
//   - a JSON body (application/json, application/problem+json, any
//     +json) against the schema of its status and media type;
//   - any other body (CSV, images, PDFs, Prometheus text, HTML, an SSE
//     stream) only by its Content-Type being one the response documents:
//     its bytes are the scenario's business, and a stream has no end to wait
//     for. An SSE stream is not read by the check at all.
//
// Not checked: HEAD (no body; kin-openapi skips it, and the GET of the same
// path is), 301/304/307/308 (kin-openapi skips them), CORS preflights
// (OPTIONS with Origin: the gateway's CORS layer answers them for any path,
// they are not operations). An answer to a path the document does not have,
// or to a method it does not list there, is allowed only as what the
// gateway or a service says about a route that does not exist — 404 or 405
// — or as one of the answers the gateway gives before any route is
// reached (400, 401, 429, 502, 503, 504); each of those must be a problem
// document of the Problem schema. Anything else there is an undocumented
// operation, which fails.
//
// The check reads a body into memory to validate it and hands the caller
// the same bytes, so it is meant for the scenarios' small answers, not for
// multi-gigabyte downloads.

// contract is one stack's merged document, ready to match requests.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	// spanning are the literal prefixes (up to "/{") of the paths whose
	// last segment is a parameter marked x-reos-multi-segment: a stored
	// file's key, which carries unescaped slashes. OpenAPI gives a path
	// parameter one segment; such a request is matched with the rest of
	// its path escaped into one.
	spanning []string
}

// multiSegment is the extension that marks a path parameter whose value
// may contain "/" (and therefore must be the path's last segment).
const multiSegment = "x-reos-multi-segment"

// spanningPrefixes finds the paths of doc that end in a multi-segment
// parameter (see contract.spanning).
func spanningPrefixes(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		i := strings.LastIndex(path, "/{")
		if i < 0 || !strings.HasSuffix(path, "}") {
			continue
		}
		name := path[i+2 : len(path)-1]
		params := slices.Clone(item.Parameters)
		for _, op := range item.Operations() {
			params = append(params, op.Parameters...)
		}
		for _, p := range params {
			if p.Value != nil && p.Value.In == openapi3.ParameterInPath && p.Value.Name == name && p.Value.Extensions[multiSegment] == true {
				out = append(out, path[:i+1])
				break
			}
		}
	}
	return out
}

// findRoute matches req to an operation, a multi-segment parameter's
// slashes included.
func (k *contract) findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := k.router.FindRoute(req)
	if !errors.Is(err, routers.ErrPathNotFound) {
		return route, params, err
	}
	for _, prefix := range k.spanning {
		rest, ok := strings.CutPrefix(req.URL.EscapedPath(), prefix)
		if !ok || rest == "" {
			continue
		}
		u := *req.URL
		u.RawPath = prefix + strings.ReplaceAll(rest, "/", "%2F")
		var uerr error
		if u.Path, uerr = url.PathUnescape(u.RawPath); uerr != nil {
			continue
		}
		alt := req.Clone(req.Context())
		alt.URL = &u
		if route, params, err := k.router.FindRoute(alt); err == nil {
			return route, params, nil
		}
	}
	return nil, nil, err
}

// contracts maps the host (127.0.0.1:port) of a running stack's nginx and
// gateway to its contract.
var contracts sync.Map

// testKey carries, in a request's context, the test that sends it.
type testKey struct{}

// contractTransport checks every answer that passes through it (see above).
// A mismatch is reported to the test in the request's context (withTest) and
// the answer is returned; a request without one gets the mismatch as its
// error, so no request escapes the check.
type contractTransport struct {
	next http.RoundTripper
}

// apiClient is the suite's HTTP client; TestMain makes it http.DefaultClient
// too, so a scenario that calls http.Get is checked as well.
var apiClient = &http.Client{Transport: contractTransport{next: http.DefaultTransport}}

func TestMain(m *testing.M) {
	http.DefaultClient = apiClient
	os.Exit(m.Run())
}

// send sends req with apiClient on behalf of t: a contract mismatch fails t.
func send(t testing.TB, req *http.Request) (*http.Response, error) {
	return apiClient.Do(req.WithContext(context.WithValue(req.Context(), testKey{}, t)))
}

func (c contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if err := checkContract(req, resp); err != nil {
		if t, ok := req.Context().Value(testKey{}).(testing.TB); ok {
			t.Errorf("%v", err)
			return resp, nil
		}
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// registerContract fetches the merged document of s once, checks it is
// usable and includes every service started, and holds the answers of the
// stack to it from then on.
func registerContract(t *testing.T, s *Stack, started []string) {
	t.Helper()
	// Fetched before registration: the document is what the rest is
	// checked against, it is not checked against itself.
	resp, err := http.DefaultTransport.RoundTrip(mustRequest(t, http.MethodGet, s.API()+"/openapi.json"))
	if err != nil {
		t.Fatalf("fetch the merged OpenAPI document: %v", err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d %v: %.500s", resp.StatusCode, err, raw)
	}
	k, err := newContract(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range k.missing() {
		if slices.Contains(started, name) {
			t.Fatalf("the merged OpenAPI document lacks %s, which the stack started", name)
		}
	}
	for _, base := range []string{s.NginxURL, s.GatewayURL} {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		contracts.Store(u.Host, k)
		t.Cleanup(func() { contracts.Delete(u.Host) })
	}
}

// newContract loads and validates a merged document and routes it.
func newContract(ctx context.Context, raw []byte) (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("the merged OpenAPI document does not load: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("the merged OpenAPI document does not validate: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the merged OpenAPI document: %w", err)
	}
	return &contract{doc: doc, router: router, spanning: spanningPrefixes(doc)}, nil
}

// missing names the services the merge left out (x-reos-missing-services).
func (k *contract) missing() []string {
	var out []string
	list, _ := k.doc.Extensions["x-reos-missing-services"].([]any)
	for _, m := range list {
		if m, ok := m.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["service"]))
		}
	}
	return out
}

func mustRequest(t testing.TB, method, rawURL string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// checkContract checks resp, the answer to req, against the contract of
// the stack req went to; requests elsewhere, or outside /api/v1, pass.
// The body is read (except a stream's) and put back for the caller.
func checkContract(req *http.Request, resp *http.Response) error {
	v, ok := contracts.Load(req.URL.Host)
	if !ok || !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return nil
	}
	if req.Method == http.MethodHead || (req.Method == http.MethodOptions && req.Header.Get("Origin") != "") {
		return nil
	}
	k := v.(*contract)
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var body []byte
	if mediaType != "text/event-stream" {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("contract: %s %s: reading the answer: %w", req.Method, req.URL.RequestURI(), err)
		}
		body = b
	}
	err := k.check(req, resp, mediaType, body)
	if err == nil {
		return nil
	}
	return fmt.Errorf("contract: %s %s answered %d (%s), which the merged OpenAPI document does not allow: %w\nbody: %.400s",
		req.Method, req.URL.RequestURI(), resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
}

// beforeRouting are the statuses the gateway may answer for any path
// under a routed prefix before the service is asked (see the comment at
// the top); with 404 and 405 they are what an undocumented operation may get.
var beforeRouting = []int{
	http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed,
	http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

func (k *contract) check(req *http.Request, resp *http.Response, mediaType string, body []byte) error {
	route, params, err := k.findRoute(req)
	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			return err
		}
		if !slices.Contains(beforeRouting, resp.StatusCode) {
			return fmt.Errorf("undocumented operation (%v)", err)
		}
		return k.problem(mediaType, body)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	if isJSON := mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"); !isJSON {
		// Only its media type (see the top): kin-openapi would otherwise
		// try to decode CSV, images or a stream.
		opts.ExcludeResponseBody = true
		if r := route.Operation.Responses.Status(resp.StatusCode); r != nil && r.Value != nil &&
			len(r.Value.Content) > 0 && r.Value.Content.Get(resp.Header.Get("Content-Type")) == nil {
			return fmt.Errorf("Content-Type %q is not documented for %d (documented: %v)",
				resp.Header.Get("Content-Type"), resp.StatusCode, slices.Sorted(maps.Keys(r.Value.Content)))
		}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(req.Context(), in)
}

// problem checks that an answer is a problem document of the Problem schema.
func (k *contract) problem(mediaType string, body []byte) error {
	if mediaType != "application/problem+json" {
		return fmt.Errorf("not a problem document (Content-Type %q)", mediaType)
	}
	schema := k.doc.Components.Schemas["Problem"]
	if schema == nil || schema.Value == nil {
		return errors.New("the document defines no Problem schema")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("problem document: %w", err)
	}
	return schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse())
}
