// Package openapi builds the combined OpenAPI document served at
// /api/v1/openapi.json from the gateway's own document and every upstream
// service's GET /openapi.json.
//
// Merge rules:
//   - paths: union; the same path published by two services is a conflict,
//     the first service (by name) keeps it and the conflict is listed in
//     x-reos-merge-conflicts;
//   - components (schemas, responses, parameters, …): union; a name defined
//     identically by several documents is kept once; a name defined
//     differently is renamed to "<service>.<Name>" in every service whose
//     definition differs from the gateway's (all of them when the gateway
//     has no such component; no service's version is privileged), and all
//     $refs of that service are rewritten, so nothing is silently replaced;
//     renames are listed in x-reos-renamed-components;
//   - tags: union by name; security schemes: the gateway's bearerAuth wins;
//   - a service that cannot be fetched or parsed is skipped and named in
//     x-reos-missing-services with the reason;
//   - shared responses (Options.Shared, GatewayResponses): the statuses the
//     gateway and nginx answer on any proxied operation are defined once, in
//     the gateway's components/responses, and every service operation that
//     does not document that status itself gets a $ref to the definition
//     (the service's own answer for a status, more specific, is kept). The
//     services' documents say only what the services answer.
//
// Documents are parsed and the result is checked with kin-openapi; the
// output is OpenAPI 3.1 JSON.
package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// ServiceDoc is one upstream's document, JSON or YAML.
type ServiceDoc struct {
	Service string
	Raw     []byte
}

// Missing names a service left out of the merge and why.
type Missing struct {
	Service string `json:"service"`
	Reason  string `json:"reason"`
}

// Rename records a component renamed to avoid a collision.
type Rename struct {
	Service string `json:"service"`
	Section string `json:"section"`
	From    string `json:"from"`
	To      string `json:"to"`
}

// Conflict records a path published by two services.
type Conflict struct {
	Path    string `json:"path"`
	Kept    string `json:"kept"`
	Dropped string `json:"dropped"`
}

// Result is a merged document and what happened while merging.
type Result struct {
	Doc       *openapi3.T
	Missing   []Missing
	Renames   []Rename
	Conflicts []Conflict
	// Invalid is the validation error of the merged document, if any; the
	// document is still served (a partly wrong spec beats none) and the
	// error is logged.
	Invalid error
}

// sections are the component kinds referenced by $ref and therefore
// renameable; security schemes are referenced by name and are not.
func sections() []string {
	return []string{"schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks"}
}

// componentNameChar reports whether c may appear in a component name
// (^[a-zA-Z0-9._-]+$ per the specification).
func componentNameChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// When says which proxied operations a shared response applies to.
type When int

// The operations a shared response applies to.
const (
	// Always: every proxied operation.
	Always When = iota
	// Authenticated: the operations the gateway serves only with a token
	// (Options.Public says which it serves without).
	Authenticated
	// WithBody: the operations that take a request body.
	WithBody
)

// Shared is a response the gateway adds to the proxied operations: Status
// answered with the base document's components/responses/Response.
type Shared struct {
	Status   string
	Response string
	When     When
}

// GatewayResponses returns what the gateway, and nginx in front of it,
// answer on any proxied operation, whatever the service behind it does:
//
//   - 400 non_canonical_path (and upload_interrupted, nginx's bad_request);
//   - 401 on the routes that need a token (the gateway verifies it first);
//   - 408 request_body_timeout, 413 (nginx's body limit, the idempotency
//     layer's, the services' JSON limit) and 415 (pkg/httpx's JSON decoding
//     and pkg/storage's upload checks, in every service) where a body is
//     taken;
//   - 429 from the rate limits, with Retry-After and the RateLimit headers;
//   - 502 upstream_error (nginx: gateway_unavailable), 503 (upstream not
//     configured or unavailable, breaker open, keys or the rate limiter out)
//     and 504 upstream_timeout (nginx: gateway_timeout).
func GatewayResponses() []Shared {
	return []Shared{
		{Status: "400", Response: "NonCanonicalPath", When: Always},
		{Status: "401", Response: "AuthenticationRequired", When: Authenticated},
		{Status: "408", Response: "RequestBodyTimeout", When: WithBody},
		{Status: "413", Response: "PayloadTooLarge", When: WithBody},
		{Status: "415", Response: "UnsupportedContentType", When: WithBody},
		{Status: "429", Response: "TooManyRequests", When: Always},
		{Status: "502", Response: "BadGateway", When: Always},
		{Status: "503", Response: "ServiceUnavailable", When: Always},
		{Status: "504", Response: "GatewayTimeout", When: Always},
	}
}

// Options are what a merge needs to know of the gateway.
type Options struct {
	// Shared are added to every proxied operation (see GatewayResponses);
	// each must be defined in the base document's components/responses.
	Shared []Shared
	// Public reports whether the gateway serves method on path (a path
	// template of the document) without a token; nil means never.
	Public func(method, path string) bool
}

// Merge combines base (the gateway's own document) with docs. missing
// lists services already known to be unavailable. It fails only when base
// itself is unusable, a shared response it should define included.
func Merge(ctx context.Context, base []byte, docs []ServiceDoc, missing []Missing, opts Options) (*Result, error) {
	res := &Result{Missing: slices.Clone(missing)}
	baseDoc, err := load(base)
	if err != nil {
		return nil, fmt.Errorf("openapi: gateway document: %w", err)
	}
	for _, sh := range opts.Shared {
		if baseDoc.Components == nil || baseDoc.Components.Responses[sh.Response] == nil {
			return nil, fmt.Errorf("openapi: gateway document: components/responses/%s (shared %s) is not defined", sh.Response, sh.Status)
		}
	}
	baseGen, err := generic(baseDoc)
	if err != nil {
		return nil, err
	}

	docs = slices.Clone(docs)
	slices.SortFunc(docs, func(a, b ServiceDoc) int { return strings.Compare(a.Service, b.Service) })
	type parsed struct {
		service string
		gen     map[string]any
	}
	var ok []parsed
	for _, d := range docs {
		doc, err := load(d.Raw)
		if err != nil {
			res.Missing = append(res.Missing, Missing{Service: d.Service, Reason: "invalid OpenAPI document: " + err.Error()})
			continue
		}
		g, err := generic(doc)
		if err != nil {
			res.Missing = append(res.Missing, Missing{Service: d.Service, Reason: err.Error()})
			continue
		}
		prefixPaths(g)
		ok = append(ok, parsed{service: d.Service, gen: g})
	}

	// Find every component name defined differently by two documents.
	type def struct{ owner, canon string }
	defs := map[string][]def{} // "section/name" → definitions
	collect := func(owner string, g map[string]any) {
		for _, sec := range sections() {
			for name, v := range componentSection(g, sec) {
				b, _ := json.Marshal(v) // map keys are sorted: canonical
				defs[sec+"/"+name] = append(defs[sec+"/"+name], def{owner: owner, canon: string(b)})
			}
		}
	}
	collect("", baseGen)
	for _, p := range ok {
		collect(p.service, p.gen)
	}
	renames := map[string]map[string]string{} // service → "#/components/sec/name" → new ref
	for _, key := range slices.Sorted(maps.Keys(defs)) {
		ds := defs[key]
		distinct := map[string]bool{}
		for _, d := range ds {
			distinct[d.canon] = true
		}
		if len(distinct) < 2 {
			continue
		}
		sec, name, _ := strings.Cut(key, "/")
		gatewayDef := ""
		for _, d := range ds {
			if d.owner == "" {
				gatewayDef = d.canon
			}
		}
		for _, d := range ds {
			if d.owner == "" || (gatewayDef != "" && d.canon == gatewayDef) {
				continue // the gateway's definition, and copies of it, keep the name
			}
			to := strings.Map(func(r rune) rune {
				if componentNameChar(r) {
					return r
				}
				return '_'
			}, d.owner+"."+name)
			if renames[d.owner] == nil {
				renames[d.owner] = map[string]string{}
			}
			renames[d.owner]["#/components/"+sec+"/"+name] = "#/components/" + sec + "/" + to
			res.Renames = append(res.Renames, Rename{Service: d.owner, Section: sec, From: name, To: to})
		}
	}

	merged := baseDoc
	if merged.Paths == nil {
		merged.Paths = openapi3.NewPaths()
	}
	if merged.Components == nil {
		merged.Components = &openapi3.Components{}
	}
	pathOwner := map[string]string{}
	for _, p := range merged.Paths.InMatchingOrder() {
		pathOwner[p] = "gateway"
	}
	for _, p := range ok {
		if r := renames[p.service]; len(r) > 0 {
			applyRenames(p.gen, r)
		}
		raw, err := json.Marshal(p.gen)
		if err != nil {
			res.Missing = append(res.Missing, Missing{Service: p.service, Reason: err.Error()})
			continue
		}
		doc, err := load(raw)
		if err != nil {
			res.Missing = append(res.Missing, Missing{Service: p.service, Reason: "document unusable after renaming: " + err.Error()})
			continue
		}
		if doc.Paths != nil {
			for _, path := range sortedPaths(doc.Paths) {
				if owner, taken := pathOwner[path]; taken {
					res.Conflicts = append(res.Conflicts, Conflict{Path: path, Kept: owner, Dropped: p.service})
					continue
				}
				pathOwner[path] = p.service
				item := doc.Paths.Value(path)
				addShared(item, path, baseDoc.Components.Responses, opts)
				merged.Paths.Set(path, item)
			}
		}
		if doc.Components != nil {
			mergeComponents(merged.Components, doc.Components)
		}
		for _, t := range doc.Tags {
			if merged.Tags.Get(t.Name) == nil {
				merged.Tags = append(merged.Tags, t)
			}
		}
	}
	sort.SliceStable(merged.Tags, func(i, j int) bool { return merged.Tags[i].Name < merged.Tags[j].Name })

	if merged.Extensions == nil {
		merged.Extensions = map[string]any{}
	}
	if res.Missing == nil {
		res.Missing = []Missing{}
	}
	slices.SortFunc(res.Missing, func(a, b Missing) int { return strings.Compare(a.Service, b.Service) })
	merged.Extensions["x-reos-missing-services"] = res.Missing
	if len(res.Renames) > 0 {
		merged.Extensions["x-reos-renamed-components"] = res.Renames
	}
	if len(res.Conflicts) > 0 {
		merged.Extensions["x-reos-merge-conflicts"] = res.Conflicts
	}
	res.Doc = merged
	res.Invalid = merged.Validate(ctx, openapi3.DisableExamplesValidation())
	return res, nil
}

// addShared adds the shared responses to the operations of one proxied
// path, by reference to the gateway's definitions (defs), where the
// operation does not document the status itself.
func addShared(item *openapi3.PathItem, path string, defs openapi3.ResponseBodies, opts Options) {
	for method, op := range item.Operations() {
		if op.Responses == nil {
			op.Responses = openapi3.NewResponses()
		}
		public := opts.Public != nil && opts.Public(method, path)
		for _, sh := range opts.Shared {
			switch {
			case sh.When == Authenticated && public,
				sh.When == WithBody && op.RequestBody == nil,
				op.Responses.Value(sh.Status) != nil:
				continue
			}
			op.Responses.Set(sh.Status, &openapi3.ResponseRef{
				Ref: "#/components/responses/" + sh.Response, Value: defs[sh.Response].Value,
			})
		}
	}
}

func load(raw []byte) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	return l.LoadFromData(raw)
}

func generic(doc *openapi3.T) (map[string]any, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: encode: %w", err)
	}
	var g map[string]any
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("openapi: decode: %w", err)
	}
	return g, nil
}

func componentSection(g map[string]any, section string) map[string]any {
	c, _ := g["components"].(map[string]any)
	s, _ := c[section].(map[string]any)
	return s
}

// prefixPaths turns paths relative to a server base path ("/api/v1") into
// the public paths the gateway serves, so a service may publish either way.
func prefixPaths(g map[string]any) {
	servers, _ := g["servers"].([]any)
	if len(servers) == 0 {
		return
	}
	first, _ := servers[0].(map[string]any)
	u, _ := first["url"].(string)
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			u = rest[j:]
		} else {
			u = ""
		}
	}
	base := strings.TrimSuffix(u, "/")
	if base == "" || !strings.HasPrefix(base, "/") {
		return
	}
	paths, _ := g["paths"].(map[string]any)
	out := make(map[string]any, len(paths))
	for p, v := range paths {
		if !strings.HasPrefix(p, base+"/") && p != base {
			p = base + p
		}
		out[p] = v
	}
	g["paths"] = out
	delete(g, "servers")
}

// applyRenames renames the components listed in r (old ref → new ref) and
// rewrites every $ref and discriminator mapping that points at them.
func applyRenames(g map[string]any, r map[string]string) {
	comps, _ := g["components"].(map[string]any)
	for from, to := range r {
		fromParts := strings.Split(from, "/") // #, components, section, name
		toParts := strings.Split(to, "/")
		sec, _ := comps[fromParts[2]].(map[string]any)
		if v, ok := sec[fromParts[3]]; ok {
			delete(sec, fromParts[3])
			sec[toParts[3]] = v
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				if s, ok := child.(string); ok && k == "$ref" {
					if to, ok := r[s]; ok {
						x[k] = to
					}
					continue
				}
				if k == "mapping" {
					if m, ok := child.(map[string]any); ok {
						for mk, mv := range m {
							if s, ok := mv.(string); ok {
								if to, ok := r[s]; ok {
									m[mk] = to
								}
							}
						}
					}
				}
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	walk(g)
}

func sortedPaths(p *openapi3.Paths) []string {
	keys := slices.Collect(maps.Keys(p.Map()))
	slices.Sort(keys)
	return keys
}

// mergeComponents adds src's components to dst; names already present are
// kept (collisions were renamed beforehand, so equal names mean equal
// definitions, or the gateway's own, which wins).
func mergeComponents(dst, src *openapi3.Components) {
	dst.Schemas = addAll(dst.Schemas, src.Schemas)
	dst.Parameters = addAll(dst.Parameters, src.Parameters)
	dst.Headers = addAll(dst.Headers, src.Headers)
	dst.RequestBodies = addAll(dst.RequestBodies, src.RequestBodies)
	dst.Responses = addAll(dst.Responses, src.Responses)
	dst.SecuritySchemes = addAll(dst.SecuritySchemes, src.SecuritySchemes)
	dst.Examples = addAll(dst.Examples, src.Examples)
	dst.Links = addAll(dst.Links, src.Links)
	dst.Callbacks = addAll(dst.Callbacks, src.Callbacks)
}

func addAll[M ~map[string]V, V any](dst, src M) M {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(M, len(src))
	}
	for k, v := range src {
		if _, ok := dst[k]; !ok {
			dst[k] = v
		}
	}
	return dst
}
