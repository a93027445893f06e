package http

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/datetime"
	"reos.dev/pkg/httpx"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// valuationRequestBody is POST /properties/{id}/valuations; the body is
// optional (no body: as of today). as_of is a pkg/datetime date, then
// domain.CheckAsOf's.
type valuationRequestBody struct {
	AsOf *datetime.Date `json:"as_of"`
}

type requestValuationRequest struct {
	PropertyID string
	In         app.ValuationRequest
}

type valuationIDRequest struct {
	PropertyID, ValuationID string
}

func decodeRequestValuation(_ context.Context, r *http.Request) (requestValuationRequest, error) {
	req := requestValuationRequest{PropertyID: mux.Vars(r)["id"]}
	if r.ContentLength == 0 {
		return req, nil
	}
	var b valuationRequestBody
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return req, err
	}
	if b.AsOf != nil {
		t := b.AsOf.Time()
		req.In.AsOf = &t
	}
	return req, nil
}

func decodeValuationID(_ context.Context, r *http.Request) (valuationIDRequest, error) {
	v := mux.Vars(r)
	return valuationIDRequest{PropertyID: v["id"], ValuationID: v["valuation_id"]}, nil
}

// valuationDTO is a valuation on the wire: result is null until it has
// completed, failure null unless it failed. Money is integer cents;
// confidence is 0–100; similarity per mille; weights and index factors in
// basis points.
type valuationDTO struct {
	ID          string               `json:"id"`
	PropertyID  string               `json:"property_id"`
	Status      string               `json:"status"`
	AsOf        string               `json:"as_of"`
	RequestedBy *string              `json:"requested_by"`
	RequestedAt time.Time            `json:"requested_at"`
	JobID       int64                `json:"job_id"`
	CompletedAt *time.Time           `json:"completed_at"`
	Result      *valuationResultDTO  `json:"result"`
	Failure     *valuationFailureDTO `json:"failure"`
}

type valuationResultDTO struct {
	Method            string          `json:"method"`
	EstimateCents     int64           `json:"estimate_cents"`
	LowCents          int64           `json:"low_cents"`
	HighCents         int64           `json:"high_cents"`
	Confidence        int             `json:"confidence"`
	PricePerSqftCents int64           `json:"price_per_sqft_cents"`
	Market            marketDTO       `json:"market"`
	Comparables       []comparableDTO `json:"comparables"`
	MemoSHA256        string          `json:"memo_sha256"`
	Memo              string          `json:"memo"`
}

type marketDTO struct {
	Region string `json:"region"`
	Month  string `json:"month"`
	Index  int64  `json:"index"`
}

type comparableDTO struct {
	PropertyID                string  `json:"property_id"`
	Address                   string  `json:"address"`
	City                      string  `json:"city"`
	PostalCode                *string `json:"postal_code"`
	DistanceMeters            *int64  `json:"distance_meters"`
	LivingArea                int64   `json:"living_area"`
	BedroomsTotal             *int    `json:"bedrooms_total"`
	BathroomsTotalInteger     *int    `json:"bathrooms_total_integer"`
	YearBuilt                 *int    `json:"year_built"`
	PriceCents                int64   `json:"price_cents"`
	PriceSource               string  `json:"price_source"`
	PriceMonth                string  `json:"price_month"`
	PricePerSqftCents         int64   `json:"price_per_sqft_cents"`
	IndexFactorBP             int64   `json:"index_factor_bp"`
	AdjustedPricePerSqftCents int64   `json:"adjusted_price_per_sqft_cents"`
	Similarity                int     `json:"similarity"`
	WeightBP                  int64   `json:"weight_bp"`
}

type valuationFailureDTO struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func toValuation(v domain.Valuation) valuationDTO {
	out := valuationDTO{ID: v.ID, PropertyID: v.PropertyID, Status: v.Status, AsOf: v.AsOf.Format(time.DateOnly),
		RequestedBy: v.RequestedBy, RequestedAt: v.RequestedAt, JobID: v.JobID, CompletedAt: v.CompletedAt}
	if r := v.Result; r != nil {
		res := &valuationResultDTO{Method: r.Method, EstimateCents: r.EstimateCents, LowCents: r.LowCents,
			HighCents: r.HighCents, Confidence: r.Confidence, PricePerSqftCents: r.PricePerSqftCents,
			Market:     marketDTO{Region: r.Market.Region, Month: r.Market.Month.String(), Index: r.Market.Index},
			MemoSHA256: r.MemoSHA256, Memo: r.Memo, Comparables: make([]comparableDTO, len(r.Comparables))}
		for i, c := range r.Comparables {
			res.Comparables[i] = comparableDTO{PropertyID: c.PropertyID, Address: c.Address, City: c.City,
				PostalCode: c.PostalCode, DistanceMeters: c.DistanceMeters, LivingArea: c.LivingArea,
				BedroomsTotal: c.Beds, BathroomsTotalInteger: c.Baths, YearBuilt: c.YearBuilt, PriceCents: c.PriceCents,
				PriceSource: c.PriceSource, PriceMonth: c.PriceMonth.String(), PricePerSqftCents: c.PricePerSqftCents,
				IndexFactorBP: c.IndexFactorBP, AdjustedPricePerSqftCents: c.AdjustedPricePerSqftCents,
				Similarity: c.Similarity, WeightBP: c.WeightBP}
		}
		out.Result = res
	}
	if v.FailureReason != nil {
		f := &valuationFailureDTO{Reason: *v.FailureReason}
		if v.FailureMessage != nil {
			f.Message = *v.FailureMessage
		}
		out.Failure = f
	}
	return out
}

// acceptedValuation is the 202 of a request: the queued valuation, with a
// Location to poll.
type acceptedValuation struct{ valuationDTO }

func (a acceptedValuation) Headers() http.Header {
	return http.Header{"Location": {APIPrefix + "/properties/" + a.PropertyID + "/valuations/" + a.ID}}
}

func (h *handlers) requestValuation() http.Handler {
	return endpoint(h, decodeRequestValuation, func(ctx context.Context, req requestValuationRequest) (acceptedValuation, error) {
		v, err := h.svc.RequestValuation(ctx, req.PropertyID, req.In)
		return acceptedValuation{toValuation(v)}, err
	}, http.StatusAccepted)
}

func (h *handlers) listValuations() http.Handler {
	return endpoint(h, decodePageOf, func(ctx context.Context, req pageRequest) (httpx.List[valuationDTO], error) {
		page, err := h.svc.ListValuations(ctx, req.ID, req.Limit, req.Cursor)
		return httpx.NewList(mapItems(page.Items, toValuation), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) getValuation() http.Handler {
	return endpoint(h, decodeValuationID, func(ctx context.Context, req valuationIDRequest) (valuationDTO, error) {
		v, err := h.svc.GetValuation(ctx, req.PropertyID, req.ValuationID)
		return toValuation(v), err
	}, http.StatusOK)
}

// valuationMemo serves the memo's exact bytes as text/markdown, with its
// SHA-256 as the ETag. httpx.Endpoint writes JSON only, hence a plain
// handler around the same decode and call.
func (h *handlers) valuationMemo() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := decodeValuationID(r.Context(), r)
		v, err := h.svc.ValuationMemo(r.Context(), req.PropertyID, req.ValuationID)
		if err != nil {
			httpx.WriteError(w, r, h.log, err)
			return
		}
		etag := `"` + v.Result.MemoSHA256 + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "private, max-age=0, must-revalidate")
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(v.Result.Memo))
	})
}
