// Package property is portfolio's client of the property service (the HTTP
// fallback of the property read model), over pkg/svcclient: a timeout and
// a circuit breaker, the caller's own token passed on.
package property

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/svcclient"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

// Client is app.PropertyClient.
type Client struct{ c *svcclient.Client }

var _ app.PropertyClient = Client{}

// New returns a client of property at its base URL.
func New(c *svcclient.Client) (Client, error) {
	if c == nil {
		return Client{}, errors.New("property: New: nil client")
	}
	return Client{c: c}, nil
}

type propertyJSON struct {
	ID         string     `json:"id"`
	ArchivedAt *time.Time `json:"archived_at"`
}

// Property asks GET /api/v1/properties/{id}; a 404 is "not found".
func (c Client) Property(ctx context.Context, id string) (bool, bool, error) {
	var p propertyJSON
	err := c.c.Get(ctx, "/api/v1/properties/"+url.PathEscape(id), &p)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, p.ArchivedAt != nil, nil
}

type valuationJSON struct {
	ID          string     `json:"id"`
	PropertyID  string     `json:"property_id"`
	Status      string     `json:"status"`
	AsOf        string     `json:"as_of"`
	CompletedAt *time.Time `json:"completed_at"`
	Result      *struct {
		Method        string `json:"method"`
		EstimateCents int64  `json:"estimate_cents"`
		LowCents      int64  `json:"low_cents"`
		HighCents     int64  `json:"high_cents"`
		Confidence    int    `json:"confidence"`
	} `json:"result"`
}

// valuationPage is how many of property's newest valuations requests are
// read to find the newest completed one (failed and queued ones come in
// between).
const valuationPage = 50

// LatestValuation reads the property's newest valuations (newest
// requested first) and returns the newest completed one by as_of, then
// completion time: the same order the read model marks by.
func (c Client) LatestValuation(ctx context.Context, propertyID string) (*domain.Mark, error) {
	var page struct {
		Items []valuationJSON `json:"items"`
	}
	if err := c.c.Get(ctx, "/api/v1/properties/"+url.PathEscape(propertyID)+"/valuations?limit="+strconv.Itoa(valuationPage), &page); err != nil {
		return nil, err
	}
	var best *domain.Mark
	for _, v := range page.Items {
		if v.Status != "completed" || v.Result == nil || v.CompletedAt == nil || v.Result.EstimateCents <= 0 {
			continue
		}
		asOf, err := datetime.ParseDate(v.AsOf)
		if err != nil || !domain.ValidID(v.ID) {
			continue
		}
		m := &domain.Mark{ValuationID: v.ID, PropertyID: propertyID, AsOf: asOf, EstimateCents: v.Result.EstimateCents,
			LowCents: v.Result.LowCents, HighCents: v.Result.HighCents, Confidence: v.Result.Confidence, Method: v.Result.Method,
			CompletedAt: v.CompletedAt.UTC().Truncate(time.Microsecond), Source: app.MarkSourceProperty}
		if best == nil || newer(m, best) {
			best = m
		}
	}
	return best, nil
}

func newer(a, b *domain.Mark) bool {
	if !a.AsOf.Equal(b.AsOf) {
		return a.AsOf.After(b.AsOf)
	}
	if !a.CompletedAt.Equal(b.CompletedAt) {
		return a.CompletedAt.After(b.CompletedAt)
	}
	return a.ValuationID > b.ValuationID
}
