package app

import (
	"context"

	"reos.dev/services/portfolio/internal/domain"
)

// Reconcile compares every holding's summary with its ledger and records
// the outcome with every difference. A portfolio of up to
// Config.InlineReconcileHoldings holdings is reconciled inside the request
// (the answer is the ended reconciliation); a larger one is recorded as
// running and handed to a job in the same transaction (the answer names
// the job; the jobs API shows its progress).
func (s *service) Reconcile(ctx context.Context, portfolioID string) (domain.Reconciliation, error) {
	caller, err := requirePortfolio(ctx, domain.PermWrite, portfolioID)
	if err != nil {
		return domain.Reconciliation{}, err
	}
	r := domain.Reconciliation{ID: newID(), PortfolioID: portfolioID, Status: domain.ReconRunning, ToleranceBP: domain.ToleranceBP,
		RequestedBy: actorID(caller), CreatedAt: s.now()}
	inline := false
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		if _, err := tx.Portfolios().Get(ctx, portfolioID); err != nil {
			return err
		}
		if r.HoldingsTotal, err = tx.Holdings().Count(ctx, portfolioID); err != nil {
			return err
		}
		if err := tx.Reconciliations().Create(ctx, caller.OrgID, r); err != nil {
			return err
		}
		if inline = r.HoldingsTotal <= s.cfg.InlineReconcileHoldings; inline {
			return nil
		}
		job, err := tx.Jobs().EnqueueReconciliation(ctx, caller.OrgID, r.ID)
		if err != nil {
			return err
		}
		r.JobID = &job
		return tx.Reconciliations().Save(ctx, r)
	})
	if err != nil || !inline {
		return r, err
	}
	if err := s.RunReconciliation(ctx, caller.OrgID, r.ID, nil); err != nil {
		return r, err
	}
	return s.GetReconciliation(ctx, portfolioID, r.ID)
}

// RunReconciliation checks the reconciliation's holdings a batch at a
// time, each batch in one transaction with the reconciliation locked: its
// differences, the running totals and the checkpoint (the last holding
// checked) commit together, so a run that stops anywhere resumes after the
// last committed batch without counting a holding twice. The last batch
// ends it (passed or failed, and its event). Holdings added while it runs
// are checked if their ids sort after the checkpoint (UUIDv7: they do).
// In a job (step non-nil) a step hands over to its successor once its time
// is spent; an ended reconciliation is not worked again (a retried or
// replayed job only completes).
func (s *service) RunReconciliation(ctx context.Context, orgID, id string, step ReconciliationStep) error {
	for {
		var done, handedOver bool
		var checked, total int
		err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
			r, err := tx.Reconciliations().GetForUpdate(ctx, id)
			if err != nil {
				return err
			}
			if r.Status != domain.ReconRunning {
				done = true
				if step != nil {
					return step.Complete(ctx, tx)
				}
				return nil
			}
			after := ""
			if r.Checkpoint != nil {
				after = *r.Checkpoint
			}
			batch, err := tx.Holdings().Batch(ctx, r.PortfolioID, after, s.cfg.ReconcileBatch)
			if err != nil {
				return err
			}
			ids := make([]string, len(batch))
			for i, h := range batch {
				ids[i] = h.ID
			}
			sums, err := tx.Ledger().Sums(ctx, ids)
			if err != nil {
				return err
			}
			var diffs []domain.Difference
			for _, h := range batch {
				ledger := sums[h.ID]
				d, err := domain.Compare(h, ledger)
				if err != nil {
					return err
				}
				if err := r.Add(ledger.CostBasis, d); err != nil {
					return err
				}
				diffs = append(diffs, d...)
			}
			if err := tx.Reconciliations().AddDifferences(ctx, orgID, r.ID, diffs); err != nil {
				return err
			}
			if len(batch) > 0 {
				last := batch[len(batch)-1].ID
				r.Checkpoint = &last
			}
			if r.HoldingsTotal < r.HoldingsChecked {
				r.HoldingsTotal = r.HoldingsChecked
			}
			checked, total = r.HoldingsChecked, r.HoldingsTotal
			if len(batch) < s.cfg.ReconcileBatch {
				done = true
				r.Finish(s.now())
				if err := tx.Reconciliations().Save(ctx, r); err != nil {
					return err
				}
				if err := tx.Events().Publish(ctx, orgID, reconciliationEvent(r)); err != nil {
					return err
				}
				if step != nil {
					return step.Complete(ctx, tx)
				}
				return nil
			}
			if err := tx.Reconciliations().Save(ctx, r); err != nil {
				return err
			}
			if step != nil && step.Over(ctx) {
				handedOver = true
				return step.Continue(ctx, tx)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if step != nil {
			step.Progress(ctx, checked, total)
		}
		if done || handedOver {
			return nil
		}
	}
}

func (s *service) GetReconciliation(ctx context.Context, portfolioID, id string) (domain.Reconciliation, error) {
	caller, err := requirePortfolio(ctx, domain.PermRead, portfolioID)
	if err != nil {
		return domain.Reconciliation{}, err
	}
	if !domain.ValidID(id) {
		return domain.Reconciliation{}, domain.ErrNotFound(domain.ReasonReconciliationNotFound, "reconciliation")
	}
	var r domain.Reconciliation
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		r, err = tx.Reconciliations().Get(ctx, portfolioID, id)
		return err
	})
	return r, err
}

func (s *service) ListReconciliations(ctx context.Context, portfolioID string, p PageRequest) (Page[domain.Reconciliation], error) {
	caller, err := requirePortfolio(ctx, domain.PermRead, portfolioID)
	if err != nil {
		return Page[domain.Reconciliation]{}, err
	}
	var page Page[domain.Reconciliation]
	err = s.store.InOrg(ctx, caller.OrgID, func(tx Tx) error {
		if _, err := tx.Portfolios().Get(ctx, portfolioID); err != nil {
			return err
		}
		page, err = tx.Reconciliations().List(ctx, portfolioID, p)
		return err
	})
	return page, err
}
