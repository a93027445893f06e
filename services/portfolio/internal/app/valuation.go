package app

import (
	"context"
	"errors"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/services/portfolio/internal/domain"
)

// Why a held holding has no mark.
const (
	// UnmarkedNoValuation: neither the read model nor property has a
	// completed valuation of the property.
	UnmarkedNoValuation = "no_valuation"
	// UnmarkedPropertyUnavailable: the read model has none and property
	// could not be asked (down, slow, its breaker open).
	UnmarkedPropertyUnavailable = "property_unavailable"
	// UnmarkedNotLookedUp: the read model has none and this request had
	// spent its calls to property (Config.FallbackLookups).
	UnmarkedNotLookedUp = "not_looked_up"
)

// HoldingValuation is one holding marked to its property's newest
// valuation: the mark (nil when there is none, with the reason in
// Unmarked) and its age in days (today − the valuation's as_of).
type HoldingValuation struct {
	domain.Holding
	Mark     *domain.Mark
	AgeDays  *int
	Unmarked string
}

// ValuationReport marks a portfolio's holdings. Totals cover the held
// holdings that have a mark; the unmarked ones are counted and listed,
// never valued at cost.
type ValuationReport struct {
	Portfolio            domain.Portfolio
	AsOf                 time.Time
	Holdings             []HoldingValuation
	MarkedValueCents     int64
	MarkedCostBasisCents int64
	Marked, Unmarked     int
}

// Valuation marks every holding to the newest valuation the read model
// has. For a held holding without one it asks property (as the caller,
// through the breaker, at most Config.FallbackLookups times a request) and
// keeps what it learns in the read model. Property being down never fails
// the request: holdings keep their last marks and their ages, and the
// unmarked ones say why.
func (s *service) Valuation(ctx context.Context, portfolioID string) (ValuationReport, error) {
	caller, err := requirePortfolio(ctx, domain.PermRead, portfolioID)
	if err != nil {
		return ValuationReport{}, err
	}
	today := s.today()
	rep := ValuationReport{AsOf: s.now()}
	var holdings []MarkedHolding
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		if rep.Portfolio, err = tx.Portfolios().Get(ctx, portfolioID); err != nil {
			return err
		}
		holdings, err = tx.Holdings().Marked(ctx, portfolioID, today)
		return err
	})
	if err != nil {
		return rep, err
	}
	learned := s.lookUpMissing(ctx, holdings)
	if len(learned) > 0 {
		if err := s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
			for _, m := range learned {
				if m == nil {
					continue
				}
				if err := tx.Properties().AddValuation(ctx, caller.OrgID, *m); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return rep, err
		}
	}
	for _, h := range holdings {
		v := HoldingValuation{Holding: h.Holding, Mark: h.Mark}
		if v.Mark == nil && h.Status == domain.HoldingHeld {
			if m, asked := learned[h.PropertyID]; asked && m != nil {
				v.Mark = m
			} else if asked {
				v.Unmarked = UnmarkedNoValuation
			} else if _, down := learned[unavailableKey]; down {
				v.Unmarked = UnmarkedPropertyUnavailable
			} else {
				v.Unmarked = UnmarkedNotLookedUp
			}
		}
		if v.Mark != nil {
			age := int(today.Sub(v.Mark.AsOf).Hours() / 24)
			v.AgeDays = &age
		}
		if h.Status == domain.HoldingHeld {
			if v.Mark == nil {
				rep.Unmarked++
			} else {
				rep.Marked++
				var err error
				if rep.MarkedValueCents, err = domain.Sum(rep.MarkedValueCents, v.Mark.EstimateCents); err != nil {
					return rep, err
				}
				if rep.MarkedCostBasisCents, err = domain.Sum(rep.MarkedCostBasisCents, h.CostBasisCents); err != nil {
					return rep, err
				}
			}
		}
		rep.Holdings = append(rep.Holdings, v)
	}
	return rep, nil
}

// unavailableKey marks, in lookUpMissing's answer, that property could
// not be asked.
const unavailableKey = "\x00unavailable"

// lookUpMissing asks property for the newest valuation of the held
// holdings' properties that have no mark, up to the request's budget:
// property id → mark (nil: property has none). It stops at the first
// failure to reach property (the breaker would refuse the rest anyway).
func (s *service) lookUpMissing(ctx context.Context, holdings []MarkedHolding) map[string]*domain.Mark {
	out := map[string]*domain.Mark{}
	calls := 0
	for _, h := range holdings {
		if h.Mark != nil || h.Status != domain.HoldingHeld {
			continue
		}
		if _, done := out[h.PropertyID]; done {
			continue
		}
		if calls == s.cfg.FallbackLookups {
			break
		}
		calls++
		m, err := s.property.LatestValuation(ctx, h.PropertyID)
		switch {
		case err == nil:
			out[h.PropertyID] = m
		case errors.Is(err, apperr.ErrNotFound):
			out[h.PropertyID] = nil // archived or gone since: no mark to be had
		default:
			s.log.WarnContext(ctx, "property valuation fallback failed", "property_id", h.PropertyID, "error", err)
			out[unavailableKey] = nil
			return out
		}
	}
	return out
}
