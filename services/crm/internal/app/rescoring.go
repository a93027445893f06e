package app

import (
	"context"
	"errors"
	"strconv"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// JobRun is the background job a use case works for. The use case claims
// the job's side effect and completes the job inside its own transaction,
// so effect, claim and completion commit together and a retried or
// replayed job never applies an effect twice.
type JobRun interface {
	// ClaimEffect records that the effect named key happens; false when it
	// already happened (then the caller must not apply it again).
	ClaimEffect(ctx context.Context, tx Tx, key string) (bool, error)
	// Complete marks the job completed in tx.
	Complete(ctx context.Context, tx Tx) error
}

// rescoreEffectKey names the effect of scoring a lead as it stood after its
// first `activities` activities. Activities are never deleted, so the
// count only grows: every new activity makes a new effect, and a job run
// again over the same activities (a retry, a replay, a second job of a
// burst) finds its effect claimed.
func rescoreEffectKey(leadID string, activities int) string {
	return "crm.lead_rescore:" + leadID + ":" + strconv.Itoa(activities)
}

// RescoreLead is the background rescoring after new activity, for the
// rescore job of orgID's lead. In one transaction holding the lead's lock
// (so an activity being logged is either seen or enqueues its own job) it
// claims the effect for the lead's activity count; when fresh, it computes
// the score and records it in the history and on the lead, emitting
// reos.crm.lead.scored, only if the value or any factor's points differ
// from the latest recorded score. Archived leads and leads that no longer
// exist are not scored; the job completes either way.
func (s *service) RescoreLead(ctx context.Context, orgID, leadID string, job JobRun) error {
	if job == nil {
		return errors.New("app: RescoreLead: nil job")
	}
	now := s.now()
	system := auth.Principal{OrgID: orgID}
	return s.store.InOrg(ctx, orgID, func(tx Tx) error {
		row, err := tx.Leads().GetForUpdate(ctx, leadID, Unscoped)
		if errors.Is(err, apperr.ErrNotFound) {
			return job.Complete(ctx, tx)
		}
		if err != nil {
			return err
		}
		stats, err := tx.Activities().Stats(ctx, row.Lead.ID, now.Add(-scoreWindow))
		if err != nil {
			return err
		}
		fresh, err := job.ClaimEffect(ctx, tx, rescoreEffectKey(row.Lead.ID, stats.All))
		if err != nil {
			return err
		}
		if fresh && row.Lead.ArchivedAt == nil {
			score, err := s.scoreFrom(ctx, tx, row.Lead, stats, now)
			if err != nil {
				return err
			}
			prev, err := tx.Scores().Latest(ctx, row.Lead.ID)
			if err != nil {
				return err
			}
			if prev == nil || !samePoints(*prev, score) {
				if err := s.recordScore(ctx, tx, system, &row, score, now); err != nil {
					return err
				}
			}
		}
		return job.Complete(ctx, tx)
	})
}

// samePoints reports whether two scores give the same points for the same
// factors (details such as "3.2 days since the last activity" may differ).
func samePoints(a, b domain.Score) bool {
	if a.Value != b.Value || len(a.Factors) != len(b.Factors) {
		return false
	}
	for i := range a.Factors {
		if a.Factors[i].Name != b.Factors[i].Name || a.Factors[i].Points != b.Factors[i].Points {
			return false
		}
	}
	return true
}
