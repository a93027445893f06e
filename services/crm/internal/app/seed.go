package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// SeedReport says what SeedDemo did.
type SeedReport struct {
	Lines   []string
	Changed bool
}

// SeedLeads is the number of demo leads.
const SeedLeads = 20

var (
	seedFirst   = []string{"Ava", "Liam", "Mia", "Noah", "Emma", "Lucas", "Sofia", "Ethan", "Chloe", "Mason"}
	seedLast    = []string{"Carter", "Nguyen", "Patel", "Garcia", "Kim", "Rossi", "Okafor", "Schmidt", "Silva", "Dubois"}
	seedSources = []string{"website", "referral", "portal", "open_house", "social"}
	seedStatus  = []string{domain.StatusNew, domain.StatusContacted, domain.StatusQualified, domain.StatusNurturing}
	seedStages  = []string{"qualified", "showing", "offer", "under_contract"}
)

// SeedDemo creates the demo leads of orgID (contacts, a few activities and
// deals). It acts as a system caller (no user) and is idempotent: a lead
// whose contact email already exists is skipped, so re-running changes
// nothing. The content is deterministic; ids and times are not.
func (s *service) SeedDemo(ctx context.Context, orgID string) (SeedReport, error) {
	if _, err := uuid.Parse(orgID); err != nil {
		return SeedReport{}, fmt.Errorf("seed: org id %q is not a UUID", orgID)
	}
	ctx = auth.WithPrincipal(ctx, auth.Principal{UserID: uuid.Nil.String(), OrgID: orgID, Roles: []string{"system"}, Perms: []string{PermAdmin}})
	var rep SeedReport
	for i := range SeedLeads {
		email := fmt.Sprintf("lead%02d@demo.reos.dev", i+1)
		existing, err := s.ListContacts(ctx, ContactFilter{Email: email, Page: PageRequest{Limit: 1}})
		if err != nil {
			return rep, err
		}
		if len(existing.Items) > 0 {
			continue
		}
		first, last := seedFirst[i%len(seedFirst)], seedLast[(i*3)%len(seedLast)]
		phone := fmt.Sprintf("+1415555%04d", 100+i)
		status, source := seedStatus[i%len(seedStatus)], seedSources[i%len(seedSources)]
		budgetMin, budgetMax := int64(300_000+i*25_000)*100, int64(450_000+i*25_000)*100
		target := int64(400_000+i*20_000) * 100
		row, err := s.CreateLead(ctx, domain.LeadInput{
			Contact: domain.ContactInput{FirstName: &first, LastName: &last, Email: &email, Phone: &phone},
			Source:  &source, Status: &status, BudgetMinCents: &budgetMin, BudgetMaxCents: &budgetMax, TargetPriceCents: &target,
		})
		if err != nil {
			return rep, fmt.Errorf("seed lead %s: %w", email, err)
		}
		rep.Changed = true
		rep.Lines = append(rep.Lines, fmt.Sprintf("lead %s (%s %s, %s)", row.Lead.ID, first, last, status))
		if i%3 == 0 {
			in, out := domain.DirectionIn, domain.DirectionOut
			when := s.now().Add(-time.Duration(i+1) * 24 * time.Hour)
			later := when.Add(2 * time.Hour)
			for _, a := range []ActivityInput{
				{Type: "call", Direction: &out, Outcome: "left voicemail", OccurredAt: &when},
				{Type: "email", Direction: &in, Outcome: "replied", Body: "Interested in a viewing next week.", OccurredAt: &later},
			} {
				if _, err := s.LogActivity(ctx, row.Lead.ID, a); err != nil {
					return rep, fmt.Errorf("seed activity: %w", err)
				}
			}
			if _, err := s.AddNote(ctx, row.Lead.ID, "Prefers a garden and a short commute."); err != nil {
				return rep, fmt.Errorf("seed note: %w", err)
			}
		}
		if i%4 == 0 {
			value := target
			d, err := s.CreateDeal(ctx, DealInput{LeadID: row.Lead.ID, Title: first + " " + last + " purchase", ValueCents: &value})
			if err != nil {
				return rep, fmt.Errorf("seed deal: %w", err)
			}
			stage := seedStages[(i/4)%len(seedStages)]
			if _, err := s.MoveDeal(ctx, d.ID, StageMove{Stage: &stage}); err != nil && apperr.KindOf(err) != apperr.KindInvalid {
				return rep, fmt.Errorf("seed deal stage: %w", err)
			}
			rep.Lines = append(rep.Lines, fmt.Sprintf("deal %s (%s)", d.ID, stage))
		}
	}
	return rep, nil
}
