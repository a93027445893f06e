package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/jobs"
	"reos.dev/services/property/internal/domain"
)

// ValuationJobKind is the River kind of the valuation job.
const ValuationJobKind = "property.valuation"

// ValuationJob is the valuation job's arguments. A user is waiting for the
// answer, so it runs on the high-priority queue; the work is a few reads,
// one provider call and a write.
type ValuationJob struct {
	OrgID       uuid.UUID `json:"org_id"`
	PropertyID  string    `json:"property_id"`
	ValuationID string    `json:"valuation_id"`
}

// Kind is the job's kind.
func (ValuationJob) Kind() string { return ValuationJobKind }

// Org is the organisation the job works for.
func (j ValuationJob) Org() uuid.UUID { return j.OrgID }

// Queue is the queue the job runs on.
func (ValuationJob) Queue() string { return jobs.QueueHigh }

// ValuationRequest is POST /properties/{id}/valuations. AsOf defaults to
// today (UTC).
type ValuationRequest struct {
	AsOf *time.Time
}

// ValuationRepository stores valuations. Get returns
// domain.ErrValuationNotFound for a missing valuation, another property's
// or another org's.
type ValuationRepository interface {
	Create(ctx context.Context, v domain.Valuation) error
	Get(ctx context.Context, propertyID, id string) (domain.Valuation, error)
	// List is newest first (requested_at, id).
	List(ctx context.Context, propertyID string, limit int, cursor string) (Page[domain.Valuation], error)
	// Record stores v's outcome: status, result or failure, completed_at
	// and job id.
	Record(ctx context.Context, v domain.Valuation) error
	// Candidates returns the possible comparables of a subject.
	Candidates(ctx context.Context, q domain.CompSearch) ([]domain.CompCandidate, error)
}

// MarketData is the market data provider (ARCHITECTURE rule 8); MODE=mock
// uses the seeded mock of adapters/market.
type MarketData interface {
	// PriceIndex returns region's monthly price-per-square-foot index for
	// every month from from through to. An error means the provider could
	// not answer (the job retries).
	PriceIndex(ctx context.Context, region string, from, to domain.Month) (domain.PriceIndex, error)
}

func (s *service) RequestValuation(ctx context.Context, propertyID string, in ValuationRequest) (domain.Valuation, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return domain.Valuation{}, err
	}
	if err := parseID("id", propertyID); err != nil {
		return domain.Valuation{}, err
	}
	now := s.now()
	asOf := domain.Day(now)
	if in.AsOf != nil {
		if err := domain.CheckAsOf(*in.AsOf, now); err != nil {
			return domain.Valuation{}, err
		}
		asOf = domain.Day(*in.AsOf)
	}
	var actor *string
	if a := actorID(p); a != "" {
		actor = &a
	}
	var v domain.Valuation
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		prop, err := tx.Properties().Get(ctx, propertyID)
		if err != nil {
			return err
		}
		if err := domain.CheckValuable(prop); err != nil {
			return err
		}
		v = domain.NewValuation(newID(), p.OrgID, prop.ID, actor, now, asOf)
		// The job commits with the row: it exists exactly when the
		// valuation does.
		if v.JobID, err = tx.Jobs().Enqueue(ctx, ValuationJob{OrgID: uuid.MustParse(p.OrgID), PropertyID: prop.ID, ValuationID: v.ID}); err != nil {
			return err
		}
		return tx.Valuations().Create(ctx, v)
	})
	return v, err
}

func (s *service) GetValuation(ctx context.Context, propertyID, valuationID string) (domain.Valuation, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return domain.Valuation{}, err
	}
	if err := parseID("id", propertyID); err != nil {
		return domain.Valuation{}, err
	}
	if err := parseID("valuation_id", valuationID); err != nil {
		return domain.Valuation{}, err
	}
	var v domain.Valuation
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Properties().Get(ctx, propertyID); err != nil {
			return err
		}
		v, err = tx.Valuations().Get(ctx, propertyID, valuationID)
		return err
	})
	return v, err
}

func (s *service) ValuationMemo(ctx context.Context, propertyID, valuationID string) (domain.Valuation, error) {
	v, err := s.GetValuation(ctx, propertyID, valuationID)
	if err != nil {
		return domain.Valuation{}, err
	}
	if v.Status != domain.ValuationCompleted || v.Result == nil {
		return domain.Valuation{}, domain.ErrValuationNotCompleted(v.Status)
	}
	return v, nil
}

func (s *service) ListValuations(ctx context.Context, propertyID string, limit int, cursor string) (Page[domain.Valuation], error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return Page[domain.Valuation]{}, err
	}
	if err := parseID("id", propertyID); err != nil {
		return Page[domain.Valuation]{}, err
	}
	var page Page[domain.Valuation]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Properties().Get(ctx, propertyID); err != nil {
			return err // 404 for a missing or foreign property, not an empty list
		}
		page, err = tx.Valuations().List(ctx, propertyID, limit, cursor)
		return err
	})
	return page, err
}

// RunValuation works one attempt of a valuation job. The inputs are read in
// one transaction, the market data asked for outside any, and the outcome
// recorded in a last transaction that also claims the effect
// "valuation:<id>" and completes the job: a retried or replayed job whose
// valuation already has its final outcome records nothing again.
//
// A provider failure is returned (River retries it); on the last attempt
// the valuation is first marked failed (market_data_unavailable), not
// final, so replaying the dead-lettered job still completes it. A
// valuation that cannot be computed from its inputs fails for good and the
// job completes.
func (s *service) RunValuation(ctx context.Context, job ValuationJob, run JobRun) error {
	org := job.OrgID.String()
	var v domain.Valuation
	var subject domain.ValuationSubject
	var candidates []domain.CompCandidate
	err := s.store.InOrg(ctx, org, func(tx Tx) error {
		var err error
		if v, err = tx.Valuations().Get(ctx, job.PropertyID, job.ValuationID); err != nil {
			return err
		}
		if v.Final() {
			return nil
		}
		prop, err := tx.Properties().Get(ctx, job.PropertyID)
		if err != nil {
			return err
		}
		subject = domain.SubjectOf(prop)
		candidates, err = tx.Valuations().Candidates(ctx, domain.CompSearchFor(subject, v.AsOf))
		return err
	})
	if err != nil {
		return err
	}
	if v.Final() {
		return s.finishValuation(ctx, v, run, nil)
	}

	from, to := domain.IndexWindow(v.AsOf, candidates)
	index, err := s.market.PriceIndex(ctx, subject.Region(), from, to)
	if err != nil {
		err = fmt.Errorf("market data for region %q: %w", subject.Region(), err)
		if run.LastAttempt() {
			s.markUnavailable(ctx, v, run, err)
		}
		return err
	}
	result, err := domain.Appraise(domain.ValuationInput{Subject: subject, AsOf: v.AsOf, Candidates: candidates, Index: index})
	var failure *domain.ValuationFailure
	switch {
	case errors.As(err, &failure):
		v.Status, v.FailureReason, v.FailureMessage, v.Result = domain.ValuationFailed, &failure.Reason, &failure.Message, nil
	case err != nil:
		return err // the provider's index lacks a month: its fault, retried
	default:
		v.Status, v.FailureReason, v.FailureMessage, v.Result = domain.ValuationCompleted, nil, nil, &result
	}
	now := s.now()
	v.CompletedAt, v.JobID = &now, run.JobID()
	return s.finishValuation(ctx, v, run, &v)
}

// finishValuation claims the valuation's effect for run, records outcome
// (nil: nothing to record) with its event when the claim is fresh, and
// completes the job, all in one transaction.
func (s *service) finishValuation(ctx context.Context, v domain.Valuation, run JobRun, outcome *domain.Valuation) error {
	return s.store.InOrg(ctx, v.OrgID, func(tx Tx) error {
		fresh, err := tx.Jobs().ClaimEffect(ctx, run, "valuation:"+v.ID)
		if err != nil {
			return err
		}
		if fresh && outcome != nil {
			if err := tx.Valuations().Record(ctx, *outcome); err != nil {
				return err
			}
			if err := publishValuation(ctx, tx, *outcome); err != nil {
				return err
			}
		}
		return tx.Jobs().Complete(ctx, run)
	})
}

// markUnavailable records that the provider failed the job's last attempt.
// It claims no effect: the valuation can still complete. A failure to
// record is logged, not returned: the job's own error matters more.
func (s *service) markUnavailable(ctx context.Context, v domain.Valuation, run JobRun, cause error) {
	reason, msg := domain.FailMarketDataUnavailable, "the market data provider failed every attempt ("+cause.Error()+"); replay the job once it is back"
	now := s.now()
	v.Status, v.FailureReason, v.FailureMessage, v.CompletedAt, v.JobID = domain.ValuationFailed, &reason, &msg, &now, run.JobID()
	if err := s.store.InOrg(ctx, v.OrgID, func(tx Tx) error { return tx.Valuations().Record(ctx, v) }); err != nil {
		s.log.Error("record market data failure of valuation", "valuation_id", v.ID, "error", err)
	}
}

func publishValuation(ctx context.Context, tx Tx, v domain.Valuation) error {
	asOf := v.AsOf.Format(time.DateOnly)
	if r := v.Result; r != nil {
		return tx.Events().Publish(ctx, EventValuationCompleted, v.PropertyID, v.OrgID, valuationCompletedData{
			ValuationID: v.ID, PropertyID: v.PropertyID, OrgID: v.OrgID, AsOf: asOf, Method: r.Method,
			EstimateCents: r.EstimateCents, LowCents: r.LowCents, HighCents: r.HighCents, Confidence: r.Confidence,
			Comparables: len(r.Comparables), MemoSHA256: r.MemoSHA256,
		})
	}
	var reason, msg string
	if v.FailureReason != nil {
		reason = *v.FailureReason
	}
	if v.FailureMessage != nil {
		msg = *v.FailureMessage
	}
	return tx.Events().Publish(ctx, EventValuationFailed, v.PropertyID, v.OrgID, valuationFailedData{
		ValuationID: v.ID, PropertyID: v.PropertyID, OrgID: v.OrgID, AsOf: asOf, Reason: reason, Message: msg,
	})
}
