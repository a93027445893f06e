package app

import (
	"context"
	"errors"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/portfolio/internal/domain"
)

// PortfolioView is a portfolio with the summary of its holdings.
type PortfolioView struct {
	domain.Portfolio
	Summary PortfolioSummary
}

func (s *service) CreatePortfolio(ctx context.Context, in domain.PortfolioInput) (PortfolioView, error) {
	caller, err := auth.CallerWith(ctx, domain.PermWrite)
	if err != nil {
		return PortfolioView{}, err
	}
	p, err := domain.NewPortfolio(newID(), caller.OrgID, actorID(caller), in, s.now())
	if err != nil {
		return PortfolioView{}, err
	}
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		if err := tx.Portfolios().Create(ctx, p); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, caller.OrgID, portfolioEvent(EventPortfolioCreated, p, actorID(caller)))
	})
	return PortfolioView{Portfolio: p}, err
}

func (s *service) GetPortfolio(ctx context.Context, id string) (PortfolioView, error) {
	caller, err := requirePortfolio(ctx, domain.PermRead, id)
	if err != nil {
		return PortfolioView{}, err
	}
	var v PortfolioView
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		if v.Portfolio, err = tx.Portfolios().Get(ctx, id); err != nil {
			return err
		}
		v.Summary, err = tx.Portfolios().Summary(ctx, id)
		return err
	})
	return v, err
}

func (s *service) UpdatePortfolio(ctx context.Context, id string, in domain.PortfolioInput) (PortfolioView, error) {
	caller, err := requirePortfolio(ctx, domain.PermWrite, id)
	if err != nil {
		return PortfolioView{}, err
	}
	var v PortfolioView
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		p, err := tx.Portfolios().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if v.Portfolio, err = p.Update(in, s.now()); err != nil {
			return err
		}
		if err := tx.Portfolios().Update(ctx, v.Portfolio); err != nil {
			return err
		}
		if v.Summary, err = tx.Portfolios().Summary(ctx, id); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, caller.OrgID, portfolioEvent(EventPortfolioUpdated, v.Portfolio, actorID(caller)))
	})
	return v, err
}

func (s *service) ListPortfolios(ctx context.Context, p PageRequest) (Page[domain.Portfolio], error) {
	caller, err := auth.CallerWith(ctx, domain.PermRead)
	if err != nil {
		return Page[domain.Portfolio]{}, err
	}
	var page Page[domain.Portfolio]
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		page, err = tx.Portfolios().List(ctx, p)
		return err
	})
	return page, err
}

// AddHolding adds a property to the portfolio with its purchase as the
// holding's first ledger entry. The property must be one the caller's
// organisation has (the read model, or property itself when the read model
// has not seen it yet) and not archived: otherwise 422 on property_id.
func (s *service) AddHolding(ctx context.Context, portfolioID string, in domain.HoldingInput) (domain.Holding, error) {
	caller, err := requirePortfolio(ctx, domain.PermWrite, portfolioID)
	if err != nil {
		return domain.Holding{}, err
	}
	// Validate against the portfolio and read the read model first: the
	// call to property, when needed, happens outside any transaction.
	var known, archived bool
	if err := s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		p, err := tx.Portfolios().Get(ctx, portfolioID)
		if err != nil {
			return err
		}
		if _, _, err := domain.NewHolding(p, newID(), newID(), nil, in, s.now()); err != nil {
			return err
		}
		known, archived, err = tx.Properties().Known(ctx, in.PropertyID)
		return err
	}); err != nil {
		return domain.Holding{}, err
	}
	learned := false
	if !known {
		// The read model may lag behind property (a property created a
		// moment ago): ask property, as the caller.
		found, arch, err := s.property.Property(ctx, in.PropertyID)
		switch {
		case errors.Is(err, apperr.ErrNotFound) || (err == nil && !found):
			return domain.Holding{}, apperr.Invalid("property_id", "is not a property of this organisation")
		case err != nil:
			return domain.Holding{}, err
		}
		learned, archived = true, arch
	}
	if archived {
		return domain.Holding{}, apperr.Invalid("property_id", "names an archived property")
	}
	var h domain.Holding
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		p, err := tx.Portfolios().GetForUpdate(ctx, portfolioID)
		if err != nil {
			return err
		}
		var purchase domain.Transaction
		h, purchase, err = domain.NewHolding(p, newID(), newID(), actorID(caller), in, s.now())
		if err != nil {
			return err
		}
		if learned {
			if err := tx.Properties().UpsertKnown(ctx, caller.OrgID, in.PropertyID, nil, s.now()); err != nil {
				return err
			}
		}
		if err := tx.Holdings().Create(ctx, caller.OrgID, h); err != nil {
			return err
		}
		if err := tx.Ledger().Append(ctx, caller.OrgID, purchase); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, caller.OrgID, holdingEvent(EventHoldingAdded, p, h), transactionEvent(purchase))
	})
	return h, err
}

// RecordTransaction appends an entry to the ledger (or the void of an
// earlier one) and applies it to its holding's summary, under the
// portfolio's lock.
func (s *service) RecordTransaction(ctx context.Context, portfolioID string, in domain.TransactionInput) (domain.Transaction, error) {
	caller, err := requirePortfolio(ctx, domain.PermWrite, portfolioID)
	if err != nil {
		return domain.Transaction{}, err
	}
	if in.Voids != nil {
		if err := domain.VoidInput(in); err != nil {
			return domain.Transaction{}, err
		}
	}
	var t domain.Transaction
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		p, err := tx.Portfolios().GetForUpdate(ctx, portfolioID)
		if err != nil {
			return err
		}
		now := s.now()
		if in.Voids != nil {
			orig, err := tx.Ledger().Get(ctx, portfolioID, *in.Voids)
			if errors.Is(err, apperr.ErrNotFound) {
				return apperr.Invalid("voids", "is not a transaction of this portfolio")
			}
			if err != nil {
				return err
			}
			if t, err = orig.Void(newID(), actorID(caller), in, now); err != nil {
				return err
			}
		} else if t, err = domain.NewTransaction(p, newID(), actorID(caller), in, now); err != nil {
			return err
		}
		evs := []Event{transactionEvent(t)}
		if t.HoldingID != nil {
			h, err := tx.Holdings().Get(ctx, portfolioID, *t.HoldingID)
			if errors.Is(err, apperr.ErrNotFound) {
				return apperr.Invalid("holding_id", "is not a holding of this portfolio")
			}
			if err != nil {
				return err
			}
			was := h.Status
			if h, err = h.Apply(t); err != nil {
				return err
			}
			if err := tx.Holdings().Save(ctx, h); err != nil {
				return err
			}
			typ := EventHoldingChanged
			if was != h.Status && h.Status == domain.HoldingSold {
				typ = EventHoldingSold
			}
			evs = append(evs, holdingEvent(typ, p, h))
		}
		if err := tx.Ledger().Append(ctx, caller.OrgID, t); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, caller.OrgID, evs...)
	})
	return t, err
}

func (s *service) ListTransactions(ctx context.Context, portfolioID string, q TransactionQuery) (Page[domain.Transaction], error) {
	caller, err := requirePortfolio(ctx, domain.PermRead, portfolioID)
	if err != nil {
		return Page[domain.Transaction]{}, err
	}
	var page Page[domain.Transaction]
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		if _, err := tx.Portfolios().Get(ctx, portfolioID); err != nil {
			return err
		}
		page, err = tx.Ledger().List(ctx, portfolioID, q)
		return err
	})
	return page, err
}
