package app

import (
	"context"
	"errors"
	"slices"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// PermLeadsAdmin manages the organisation's assignment rules and crm
// settings (identity's catalogue; admins hold it through "*", other roles
// only when an admin grants it).
const PermLeadsAdmin = "leads:admin"

// RuleInput creates or changes an assignment rule. On update only the
// fields that are not nil change; Match and Target change as a whole.
type RuleInput struct {
	Name     *string
	Position *int
	Enabled  *bool
	Match    *domain.RuleMatch
	Target   *domain.RuleTarget
}

// SettingsUpdate changes the settings that are not nil.
type SettingsUpdate struct {
	AgentsSeeOnlyAssigned *bool
}

// rulePositionStep spaces appended rules so one can go between two.
const rulePositionStep = 10

// ReasonTooManyRules is the problem reason of a rule beyond domain.MaxRules.
const ReasonTooManyRules = "too_many_assignment_rules"

func (s *service) ListAssignmentRules(ctx context.Context) ([]domain.AssignmentRule, error) {
	p, err := auth.CallerWith(ctx, PermLeadsRead)
	if err != nil {
		return nil, err
	}
	var rules []domain.AssignmentRule
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		rules, err = tx.Rules().List(ctx)
		return err
	})
	return rules, err
}

func (s *service) CreateAssignmentRule(ctx context.Context, in RuleInput) (domain.AssignmentRule, error) {
	p, err := auth.CallerWith(ctx, PermLeadsAdmin)
	if err != nil {
		return domain.AssignmentRule{}, err
	}
	now := s.now()
	r := domain.AssignmentRule{ID: newID(), Enabled: true, CreatedAt: now, UpdatedAt: now}
	var f domain.FieldErrors
	applyRuleInput(&r, in, &f)
	if err := f.Err(); err != nil {
		return domain.AssignmentRule{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		rules, err := tx.Rules().List(ctx)
		if err != nil {
			return err
		}
		if len(rules) >= domain.MaxRules {
			return apperr.Unprocessable(ReasonTooManyRules, "an organisation has at most 100 assignment rules")
		}
		if in.Position == nil {
			r.Position = rulePositionStep
			if len(rules) > 0 {
				r.Position = rules[len(rules)-1].Position + rulePositionStep
			}
		}
		if err := checkRuleReferences(ctx, tx, r, true, true); err != nil {
			return err
		}
		if err := tx.Rules().Create(ctx, p.OrgID, r); err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventRuleCreated, r.ID, ruleEvent(r))
	})
	return r, err
}

func (s *service) UpdateAssignmentRule(ctx context.Context, id string, in RuleInput) (domain.AssignmentRule, error) {
	p, err := requireOn(ctx, PermLeadsAdmin, id, domain.ReasonRuleNotFound, "assignment rule")
	if err != nil {
		return domain.AssignmentRule{}, err
	}
	now := s.now()
	var r domain.AssignmentRule
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if r, err = tx.Rules().GetForUpdate(ctx, id); err != nil {
			return err
		}
		before := r
		var f domain.FieldErrors
		applyRuleInput(&r, in, &f)
		if err := f.Err(); err != nil {
			return err
		}
		if sameRule(before, r) {
			return nil
		}
		// Only what changes is checked: a rule keeps working references it
		// already had (a since deactivated target is skipped when leads come).
		newTarget := !sameTarget(before.Target, r.Target)
		newSources := !slices.Equal(before.Match.SourceIDs, r.Match.SourceIDs)
		if err := checkRuleReferences(ctx, tx, r, newTarget, newSources); err != nil {
			return err
		}
		if newTarget {
			r.LastAssigneeID = nil // a new target starts its own rotation
		}
		r.UpdatedAt = now
		if err := tx.Rules().Update(ctx, r); err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventRuleUpdated, r.ID, ruleEvent(r))
	})
	return r, err
}

func (s *service) DeleteAssignmentRule(ctx context.Context, id string) error {
	p, err := requireOn(ctx, PermLeadsAdmin, id, domain.ReasonRuleNotFound, "assignment rule")
	if err != nil {
		return err
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		r, err := tx.Rules().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.Rules().Delete(ctx, r.ID); err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventRuleDeleted, r.ID, ruleEvent(r))
	})
}

// applyRuleInput sets the fields of in on r and validates the result.
func applyRuleInput(r *domain.AssignmentRule, in RuleInput, f *domain.FieldErrors) {
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Position != nil {
		r.Position = *in.Position
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	if in.Match != nil {
		m := *in.Match
		m.SourceIDs = domain.CheckUUIDs("match.source_ids", m.SourceIDs, f)
		r.Match = m
	}
	if in.Target != nil {
		r.Target = domain.RuleTarget{
			UserID: domain.CheckUUID("target.user_id", in.Target.UserID, f),
			TeamID: domain.CheckUUID("target.team_id", in.Target.TeamID, f),
		}
	}
	r.Validate(f)
}

// checkRuleReferences refuses a rule whose target user is not an active
// user of the organisation or whose target team crm does not know (when
// target), or whose sources are not the organisation's (when sources): 422
// naming the field.
func checkRuleReferences(ctx context.Context, tx Tx, r domain.AssignmentRule, target, sources bool) error {
	var f domain.FieldErrors
	switch {
	case !target:
	case r.Target.UserID != nil:
		ok, err := tx.Users().ActiveUser(ctx, *r.Target.UserID)
		if err != nil {
			return err
		}
		if !ok {
			f.Add("target.user_id", "no active user of the organisation has this id")
		}
	case r.Target.TeamID != nil:
		ok, err := tx.Users().KnownTeam(ctx, *r.Target.TeamID)
		if err != nil {
			return err
		}
		if !ok {
			f.Add("target.team_id", "no team of the organisation with members has this id (crm learns teams from identity's events as members are added)")
		}
	}
	for _, id := range r.Match.SourceIDs {
		if !sources {
			break
		}
		_, err := tx.Catalog().Source(ctx, id)
		if errors.Is(err, apperr.ErrNotFound) {
			f.Add("match.source_ids", "no lead source "+id)
			continue
		}
		if err != nil {
			return err
		}
	}
	return f.Err()
}

func sameTarget(a, b domain.RuleTarget) bool {
	return domain.EqualPtr(a.UserID, b.UserID) && domain.EqualPtr(a.TeamID, b.TeamID)
}

func sameRule(a, b domain.AssignmentRule) bool {
	return a.Name == b.Name && a.Position == b.Position && a.Enabled == b.Enabled && sameTarget(a.Target, b.Target) &&
		slices.Equal(a.Match.PostalCodes, b.Match.PostalCodes) && slices.Equal(a.Match.PostalCodePrefixes, b.Match.PostalCodePrefixes) &&
		domain.EqualPtr(a.Match.MinPriceCents, b.Match.MinPriceCents) && domain.EqualPtr(a.Match.MaxPriceCents, b.Match.MaxPriceCents) &&
		slices.Equal(a.Match.SourceIDs, b.Match.SourceIDs)
}

// checkAssignee refuses an assignee who is not an active user of the
// organisation as crm's users read model knows it (422 naming field).
func checkAssignee(ctx context.Context, tx Tx, field string, userID *string) error {
	if userID == nil {
		return nil
	}
	ok, err := tx.Users().ActiveUser(ctx, *userID)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.Invalid(field, "no active user of the organisation has this id")
	}
	return nil
}

// assignByRules returns the assignee of a new lead by the organisation's
// rules, with the rule that chose it; nil when no rule applies. The first
// enabled rule whose match holds wins, unless its target has no active user
// (a deactivated user, an empty or deleted team): then the next rule is
// tried. A round-robin rule is locked while its cursor advances, so leads
// created concurrently take turns.
func assignByRules(ctx context.Context, tx Tx, l domain.Lead) (userID, ruleID *string, err error) {
	rules, err := tx.Rules().List(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rules {
		if !r.Enabled || !r.Match.Matches(l) {
			continue
		}
		if !r.Target.RoundRobin() {
			ok, err := tx.Users().ActiveUser(ctx, *r.Target.UserID)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				return r.Target.UserID, &r.ID, nil
			}
			continue
		}
		locked, err := tx.Rules().GetForUpdate(ctx, r.ID)
		if errors.Is(err, apperr.ErrNotFound) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, nil, err
		}
		if !locked.Target.RoundRobin() || !locked.Enabled || !locked.Match.Matches(l) {
			continue // changed since it was listed
		}
		agents, err := tx.Users().TeamAgents(ctx, *locked.Target.TeamID)
		if err != nil {
			return nil, nil, err
		}
		if len(agents) == 0 {
			continue
		}
		slices.Sort(agents)
		next := domain.NextInRotation(agents, locked.LastAssigneeID)
		if err := tx.Rules().Advance(ctx, locked.ID, next); err != nil {
			return nil, nil, err
		}
		return &next, &locked.ID, nil
	}
	return nil, nil, nil
}

// leadScope returns the caller's Scope: callers whose only role is agent
// are limited to their own leads (and what hangs off them) when the
// organisation's settings say so; every other caller is Unscoped.
func leadScope(ctx context.Context, tx Tx, p auth.Principal) (Scope, error) {
	if !domain.AgentOnly(p.Roles) {
		return Unscoped, nil
	}
	st, err := tx.Catalog().Settings(ctx)
	if err != nil || !st.AgentsSeeOnlyAssigned {
		return Unscoped, err
	}
	return Scope(p.UserID), nil
}

// visibleLead loads a lead the caller may see (forUpdate locks it). A lead
// outside the caller's scope is not found, exactly like another
// organisation's: its existence is not the caller's business.
func visibleLead(ctx context.Context, tx Tx, p auth.Principal, id string, forUpdate bool) (LeadRow, error) {
	scope, err := leadScope(ctx, tx, p)
	if err != nil {
		return LeadRow{}, err
	}
	if forUpdate {
		return tx.Leads().GetForUpdate(ctx, id, scope)
	}
	return tx.Leads().Get(ctx, id, scope)
}

func (s *service) GetSettings(ctx context.Context) (domain.Settings, error) {
	p, err := auth.CallerWith(ctx, PermLeadsRead)
	if err != nil {
		return domain.Settings{}, err
	}
	var st domain.Settings
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		st, err = tx.Catalog().Settings(ctx)
		return err
	})
	return st, err
}

func (s *service) UpdateSettings(ctx context.Context, in SettingsUpdate) (domain.Settings, error) {
	p, err := auth.CallerWith(ctx, PermLeadsAdmin)
	if err != nil {
		return domain.Settings{}, err
	}
	now := s.now()
	var st domain.Settings
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if st, err = tx.Catalog().Settings(ctx); err != nil {
			return err
		}
		if in.AgentsSeeOnlyAssigned == nil || *in.AgentsSeeOnlyAssigned == st.AgentsSeeOnlyAssigned {
			return nil
		}
		st.AgentsSeeOnlyAssigned, st.UpdatedAt = *in.AgentsSeeOnlyAssigned, &now
		if err := tx.Catalog().SaveSettings(ctx, p.OrgID, st); err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventSettingsUpdated, p.OrgID, settingsEventData{
			AgentsSeeOnlyAssigned: st.AgentsSeeOnlyAssigned, ActorID: actorID(p),
		})
	})
	return st, err
}

// ruleEventData is the payload of the assignment rule events.
type ruleEventData struct {
	RuleID             string   `json:"rule_id"`
	Name               string   `json:"name"`
	Position           int      `json:"position"`
	Enabled            bool     `json:"enabled"`
	PostalCodes        []string `json:"postal_codes"`
	PostalCodePrefixes []string `json:"postal_code_prefixes"`
	MinPriceCents      *int64   `json:"min_price_cents"`
	MaxPriceCents      *int64   `json:"max_price_cents"`
	SourceIDs          []string `json:"source_ids"`
	TargetUserID       *string  `json:"target_user_id"`
	TargetTeamID       *string  `json:"target_team_id"`
}

func ruleEvent(r domain.AssignmentRule) ruleEventData {
	return ruleEventData{
		RuleID: r.ID, Name: r.Name, Position: r.Position, Enabled: r.Enabled,
		PostalCodes: r.Match.PostalCodes, PostalCodePrefixes: r.Match.PostalCodePrefixes,
		MinPriceCents: r.Match.MinPriceCents, MaxPriceCents: r.Match.MaxPriceCents, SourceIDs: r.Match.SourceIDs,
		TargetUserID: r.Target.UserID, TargetTeamID: r.Target.TeamID,
	}
}

type settingsEventData struct {
	AgentsSeeOnlyAssigned bool    `json:"agents_see_only_assigned"`
	ActorID               *string `json:"actor_id"`
}
