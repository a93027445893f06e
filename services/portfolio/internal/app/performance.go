package app

import (
	"context"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/services/portfolio/internal/domain"
)

// PerformanceQuery is the period: From defaults to the day of the
// portfolio's first ledger entry (since inception), To to today.
type PerformanceQuery struct {
	From, To *time.Time
}

// PerformanceReport is a portfolio's performance over a period.
type PerformanceReport struct {
	Portfolio domain.Portfolio
	domain.PerfReport
}

// Performance computes the period's figures (domain.Performance) from the
// ledger and the marks as of the period's first and last days.
func (s *service) Performance(ctx context.Context, portfolioID string, q PerformanceQuery) (PerformanceReport, error) {
	caller, err := requirePortfolio(ctx, domain.PermRead, portfolioID)
	if err != nil {
		return PerformanceReport{}, err
	}
	var rep PerformanceReport
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		if rep.Portfolio, err = tx.Portfolios().Get(ctx, portfolioID); err != nil {
			return err
		}
		to := s.today()
		if q.To != nil {
			to = *q.To
		}
		from := to
		if q.From != nil {
			from = *q.From
		} else if first, found, err := tx.Ledger().FirstDay(ctx, portfolioID); err != nil {
			return err
		} else if found && first.Before(to) {
			from = first
		}
		if from.After(to) {
			return apperr.BadRequest("from", "must not be after to")
		}
		in := domain.PerfInput{From: from, To: to}
		if in.Holdings, err = tx.Holdings().ForPerformance(ctx, portfolioID, from, to); err != nil {
			return err
		}
		if in.Entries, err = tx.Ledger().Period(ctx, portfolioID, from, to); err != nil {
			return err
		}
		opening, err := tx.Properties().MarksAt(ctx, portfolioID, from)
		if err != nil {
			return err
		}
		closing, err := tx.Properties().MarksAt(ctx, portfolioID, to)
		if err != nil {
			return err
		}
		for i, h := range in.Holdings {
			if m, ok := opening[h.PropertyID]; ok {
				in.Holdings[i].Opening = &m
			}
			if m, ok := closing[h.PropertyID]; ok {
				in.Holdings[i].Closing = &m
			}
		}
		rep.PerfReport, err = domain.Performance(in)
		return err
	})
	return rep, err
}
