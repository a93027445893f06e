package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// Request bodies refuse unknown fields (httpx.DecodeJSON): a body that sets
// id, org_id or created_at is a 422 naming the field.

// createListingRequest is POST /listings: the property plus the editable fields.
type createListingRequest struct {
	PropertyID string `json:"property_id"`
	domain.ListingFields
}

type idRequest struct{ ID string }

type fieldsRequest[F any] struct {
	ID     string
	Fields F
}

type pageRequest struct {
	ID     string
	Limit  int
	Cursor string
}

// searchBody is POST /search/properties. bbox is [minLon, minLat, maxLon, maxLat].
type searchBody struct {
	Q               string    `json:"q"`
	Status          []string  `json:"status"`
	Type            []string  `json:"type"`
	City            *string   `json:"city"`
	PostalCode      *string   `json:"postal_code"`
	MinPriceCents   *int64    `json:"min_price_cents"`
	MaxPriceCents   *int64    `json:"max_price_cents"`
	MinBeds         *int      `json:"min_beds"`
	MaxBeds         *int      `json:"max_beds"`
	MinBaths        *int      `json:"min_baths"`
	MaxBaths        *int      `json:"max_baths"`
	BBox            []float64 `json:"bbox"`
	IncludeArchived bool      `json:"include_archived"`
	Limit           *int      `json:"limit"`
	Cursor          string    `json:"cursor"`
}

func decodeID(_ context.Context, r *http.Request) (idRequest, error) {
	return idRequest{ID: mux.Vars(r)["id"]}, nil
}

func decodeFields[F any](_ context.Context, r *http.Request) (fieldsRequest[F], error) {
	var f F
	if err := httpx.DecodeJSON(r, &f); err != nil {
		return fieldsRequest[F]{}, err
	}
	return fieldsRequest[F]{ID: mux.Vars(r)["id"], Fields: f}, nil
}

func decodePageOf(_ context.Context, r *http.Request) (pageRequest, error) {
	if err := onlyParams(r.URL.Query(), "limit", "cursor"); err != nil {
		return pageRequest{}, err
	}
	p, err := httpx.ParsePage(r)
	if err != nil {
		return pageRequest{}, err
	}
	return pageRequest{ID: mux.Vars(r)["id"], Limit: p.Limit, Cursor: p.Cursor}, nil
}

// onlyParams refuses query parameters the route does not know, so a typo
// (min_price for min_price_cents) is a 400, not a silently ignored filter.
func onlyParams(q url.Values, allowed ...string) error {
	for name := range q {
		ok := false
		for _, a := range allowed {
			if name == a {
				ok = true
				break
			}
		}
		if !ok {
			return apperr.BadRequest(name, "is not a query parameter of this route")
		}
	}
	return nil
}

var filterParams = []string{"status", "type", "city", "postal_code", "min_price_cents", "max_price_cents",
	"min_beds", "max_beds", "min_baths", "max_baths", "bbox", "include_archived", "limit", "cursor"}

// queryParams reads the filter parameters shared by GET /properties and
// GET /properties/search. Lists (status, type) are comma separated and may
// repeat.
type queryParams struct {
	q    url.Values
	errs apperr.Fields
}

func (p *queryParams) list(name string) []string {
	var out []string
	for _, v := range p.q[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (p *queryParams) str(name string) *string {
	if !p.q.Has(name) {
		return nil
	}
	s := strings.TrimSpace(p.q.Get(name))
	return &s
}

func (p *queryParams) int64(name string) *int64 {
	if !p.q.Has(name) {
		return nil
	}
	n, err := strconv.ParseInt(p.q.Get(name), 10, 64)
	if err != nil {
		p.errs.Add(name, "must be an integer")
		return nil
	}
	return &n
}

func (p *queryParams) int(name string) *int {
	n := p.int64(name)
	if n == nil {
		return nil
	}
	if *n < -1<<31 || *n > 1<<31-1 {
		p.errs.Add(name, "is out of range")
		return nil
	}
	v := int(*n)
	return &v
}

func (p *queryParams) bool(name string) bool {
	if !p.q.Has(name) {
		return false
	}
	b, err := strconv.ParseBool(p.q.Get(name))
	if err != nil {
		p.errs.Add(name, "must be true or false")
	}
	return b
}

func (p *queryParams) bbox() *app.BBox {
	if !p.q.Has("bbox") {
		return nil
	}
	parts := strings.Split(p.q.Get("bbox"), ",")
	if len(parts) != 4 {
		p.errs.Add("bbox", "must be minLon,minLat,maxLon,maxLat")
		return nil
	}
	var v [4]float64
	for i, s := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			p.errs.Add("bbox", "must be four numbers minLon,minLat,maxLon,maxLat")
			return nil
		}
		v[i] = f
	}
	return &app.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
}

func (p *queryParams) filter() app.PropertyFilter {
	return app.PropertyFilter{
		Statuses: p.list("status"), Types: p.list("type"), City: p.str("city"), PostalCode: p.str("postal_code"),
		MinPriceCents: p.int64("min_price_cents"), MaxPriceCents: p.int64("max_price_cents"),
		MinBeds: p.int("min_beds"), MaxBeds: p.int("max_beds"), MinBaths: p.int("min_baths"), MaxBaths: p.int("max_baths"),
		BBox: p.bbox(), IncludeArchived: p.bool("include_archived"),
	}
}

// err turns malformed query values into a 400 naming them.
func (p *queryParams) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	e := apperr.BadRequest(p.errs[0].Field, p.errs[0].Message)
	e.Fields = p.errs
	return e
}

// parseSort reads sort=field or sort=-field.
func parseSort(s string) (field string, desc bool) {
	if strings.HasPrefix(s, "-") {
		return s[1:], true
	}
	return s, false
}

func decodePropertyQuery(_ context.Context, r *http.Request) (app.PropertyQuery, error) {
	q := r.URL.Query()
	if err := onlyParams(q, append([]string{"sort"}, filterParams...)...); err != nil {
		return app.PropertyQuery{}, err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return app.PropertyQuery{}, err
	}
	p := queryParams{q: q}
	out := app.PropertyQuery{Filter: p.filter(), Limit: page.Limit, Cursor: page.Cursor}
	if s := q.Get("sort"); s != "" {
		out.Sort, out.Desc = parseSort(s)
		if out.Sort == "" {
			return app.PropertyQuery{}, apperr.BadRequest("sort", "must be one of created_at, list_price (prefix - for descending)")
		}
	}
	return out, p.err()
}

func decodeSearchQuery(_ context.Context, r *http.Request) (app.SearchInput, error) {
	q := r.URL.Query()
	if err := onlyParams(q, append([]string{"q"}, filterParams...)...); err != nil {
		return app.SearchInput{}, err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return app.SearchInput{}, err
	}
	p := queryParams{q: q}
	out := app.SearchInput{Q: q.Get("q"), Filter: p.filter(), Limit: page.Limit, Cursor: page.Cursor}
	return out, p.err()
}

func decodeSearchBody(_ context.Context, r *http.Request) (app.SearchInput, error) {
	var b searchBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return app.SearchInput{}, err
	}
	in := app.SearchInput{Q: b.Q, Cursor: b.Cursor, Limit: httpx.DefaultLimit, Filter: app.PropertyFilter{
		Statuses: b.Status, Types: b.Type, City: b.City, PostalCode: b.PostalCode,
		MinPriceCents: b.MinPriceCents, MaxPriceCents: b.MaxPriceCents, MinBeds: b.MinBeds, MaxBeds: b.MaxBeds,
		MinBaths: b.MinBaths, MaxBaths: b.MaxBaths, IncludeArchived: b.IncludeArchived,
	}}
	if b.Limit != nil {
		if *b.Limit < 1 || *b.Limit > httpx.MaxLimit {
			return app.SearchInput{}, apperr.Invalid("limit", "must be an integer from 1 to "+strconv.Itoa(httpx.MaxLimit))
		}
		in.Limit = *b.Limit
	}
	if b.BBox != nil {
		if len(b.BBox) != 4 {
			return app.SearchInput{}, apperr.Invalid("bbox", "must be [minLon, minLat, maxLon, maxLat]")
		}
		in.Filter.BBox = &app.BBox{MinLon: b.BBox[0], MinLat: b.BBox[1], MaxLon: b.BBox[2], MaxLat: b.BBox[3]}
	}
	return in, nil
}

func decodeListingQuery(_ context.Context, r *http.Request) (app.ListingQuery, error) {
	q := r.URL.Query()
	if err := onlyParams(q, "property_id", "status", "agent_user_id", "sort", "limit", "cursor"); err != nil {
		return app.ListingQuery{}, err
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return app.ListingQuery{}, err
	}
	p := queryParams{q: q}
	out := app.ListingQuery{PropertyID: p.str("property_id"), Statuses: p.list("status"),
		AgentUserID: p.str("agent_user_id"), Limit: page.Limit, Cursor: page.Cursor}
	if s := q.Get("sort"); s != "" {
		out.Sort, out.Desc = parseSort(s)
		if out.Sort == "" {
			return app.ListingQuery{}, apperr.BadRequest("sort", "must be one of created_at, list_price (prefix - for descending)")
		}
	}
	return out, p.err()
}
