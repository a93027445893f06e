package http

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/httpx"
	pgstore "reos.dev/services/portfolio/internal/adapters/postgres"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

type withID[T any] struct {
	ID   string
	Body T
}

func pathID(r *http.Request) string { return mux.Vars(r)["id"] }

func decodeID(_ context.Context, r *http.Request) (string, error) { return pathID(r), nil }

// decodeIDBody reads the path id and the JSON body.
func decodeIDBody[T any]() func(context.Context, *http.Request) (withID[T], error) {
	return func(_ context.Context, r *http.Request) (withID[T], error) {
		v := withID[T]{ID: pathID(r)}
		return v, httpx.DecodeJSON(r, &v.Body)
	}
}

func decodePage(_ context.Context, r *http.Request) (app.PageRequest, error) {
	p, err := httpx.ParsePage(r)
	return app.PageRequest{Limit: p.Limit, Cursor: p.Cursor}, err
}

func decodeIDPage(ctx context.Context, r *http.Request) (withID[app.PageRequest], error) {
	p, err := decodePage(ctx, r)
	return withID[app.PageRequest]{ID: pathID(r), Body: p}, err
}

type reconciliationIDs struct{ PortfolioID, ID string }

func decodeReconciliationIDs(_ context.Context, r *http.Request) (reconciliationIDs, error) {
	v := mux.Vars(r)
	return reconciliationIDs{PortfolioID: v["id"], ID: v["reconciliation_id"]}, nil
}

type portfolioRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Currency    string `json:"currency"`
}

func (p portfolioRequest) input() domain.PortfolioInput {
	return domain.PortfolioInput{Name: p.Name, Description: p.Description, Currency: p.Currency}
}

type holdingRequest struct {
	PropertyID     string         `json:"property_id"`
	AcquiredOn     *datetime.Date `json:"acquired_on"`
	CostBasisCents *int64         `json:"cost_basis_cents"`
	Currency       string         `json:"currency"`
	Memo           string         `json:"memo"`
}

func (b holdingRequest) input() domain.HoldingInput {
	return domain.HoldingInput{PropertyID: b.PropertyID, AcquiredOn: datePtr(b.AcquiredOn), CostBasisCents: b.CostBasisCents,
		Currency: b.Currency, Memo: b.Memo}
}

type transactionRequest struct {
	HoldingID   *string        `json:"holding_id"`
	Kind        string         `json:"kind"`
	Category    string         `json:"category"`
	AmountCents *int64         `json:"amount_cents"`
	Currency    string         `json:"currency"`
	OccurredOn  *datetime.Date `json:"occurred_on"`
	Memo        string         `json:"memo"`
	Voids       *string        `json:"voids"`
}

func (b transactionRequest) input() domain.TransactionInput {
	return domain.TransactionInput{HoldingID: b.HoldingID, Kind: b.Kind, Category: b.Category, AmountCents: b.AmountCents,
		Currency: b.Currency, OccurredOn: datePtr(b.OccurredOn), Memo: b.Memo, Voids: b.Voids}
}

func datePtr(d *datetime.Date) *time.Time {
	if d == nil {
		return nil
	}
	t := d.Time()
	return &t
}

// queryDate reads an optional date query parameter (400 naming it).
func queryDate(r *http.Request, name string) (*time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	t, err := datetime.ParseDate(s)
	if err != nil {
		return nil, apperr.BadRequest(name, datetime.DateRule)
	}
	return &t, nil
}

// decodeListTransactions reads the ledger's filters: holding_id, kind
// (repeatable or comma separated), category, from, to (occurred_on, both
// included), voids (only | exclude), sort (occurred_on | recorded_at,
// "-" for descending; default -occurred_on), limit, cursor.
func decodeListTransactions(ctx context.Context, r *http.Request) (withID[app.TransactionQuery], error) {
	out := withID[app.TransactionQuery]{ID: pathID(r)}
	p, err := decodePage(ctx, r)
	if err != nil {
		return out, err
	}
	q := app.TransactionQuery{Page: p}
	v := r.URL.Query()
	if s := v.Get("holding_id"); s != "" {
		if !domain.ValidID(s) {
			return out, apperr.BadRequest("holding_id", "must be a holding id (UUID)")
		}
		q.HoldingID = &s
	}
	for _, k := range v["kind"] {
		for _, kind := range strings.Split(k, ",") {
			if !slices.Contains(domain.Kinds(), kind) {
				return out, apperr.BadRequest("kind", "must be one of "+strings.Join(domain.Kinds(), ", "))
			}
			q.Kinds = append(q.Kinds, kind)
		}
	}
	if c := v.Get("category"); c != "" {
		known := false
		for _, k := range domain.Kinds() {
			known = known || slices.Contains(domain.Categories(k), c)
		}
		if !known {
			return out, apperr.BadRequest("category", "is not a category of any kind of entry")
		}
		q.Category = c
	}
	if q.From, err = queryDate(r, "from"); err != nil {
		return out, err
	}
	if q.To, err = queryDate(r, "to"); err != nil {
		return out, err
	}
	switch s := v.Get("voids"); s {
	case "", "only", "exclude":
		q.Voids = s
	default:
		return out, apperr.BadRequest("voids", "must be only or exclude")
	}
	if s := v.Get("sort"); s != "" {
		q.Sort.Field, q.Sort.Desc = strings.CutPrefix(s, "-")
		if !slices.Contains(pgstore.TransactionSortFields(), q.Sort.Field) {
			return out, apperr.BadRequest("sort", "must be occurred_on or recorded_at, optionally prefixed with -")
		}
	}
	out.Body = q
	return out, nil
}

func decodePerformance(_ context.Context, r *http.Request) (withID[app.PerformanceQuery], error) {
	out := withID[app.PerformanceQuery]{ID: pathID(r)}
	var err error
	if out.Body.From, err = queryDate(r, "from"); err != nil {
		return out, err
	}
	if out.Body.To, err = queryDate(r, "to"); err != nil {
		return out, err
	}
	if f, t := out.Body.From, out.Body.To; f != nil && t != nil && f.After(*t) {
		return out, apperr.BadRequest("from", "must not be after to")
	}
	return out, nil
}
