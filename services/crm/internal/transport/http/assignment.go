package http

import (
	"context"
	"net/http"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// Routes of the lead assignment rules and the organisation's crm settings.
const (
	rulesPath    = "/assignment-rules"
	settingsPath = "/crm/settings"
)

type ruleMatchJSON struct {
	PostalCodes        []string `json:"postal_codes"`
	PostalCodePrefixes []string `json:"postal_code_prefixes"`
	MinPriceCents      *int64   `json:"min_price_cents"`
	MaxPriceCents      *int64   `json:"max_price_cents"`
	SourceIDs          []string `json:"source_ids"`
}

type ruleTargetJSON struct {
	UserID *string `json:"user_id"`
	TeamID *string `json:"team_id"`
}

// ruleRequest is the body of POST and PUT /assignment-rules. PUT changes
// the fields present; match and target change as a whole ({} clears the
// conditions). Plain pointers, not domain.Optional, so the strict decoder also
// refuses unknown fields inside match and target: a misspelt condition must
// not turn a rule into a catch-all.
type ruleRequest struct {
	Name     *string         `json:"name"`
	Position *int            `json:"position"`
	Enabled  *bool           `json:"enabled"`
	Match    *ruleMatchJSON  `json:"match"`
	Target   *ruleTargetJSON `json:"target"`
}

func (r ruleRequest) input() app.RuleInput {
	in := app.RuleInput{Name: r.Name, Position: r.Position, Enabled: r.Enabled}
	if v := r.Match; v != nil {
		in.Match = &domain.RuleMatch{PostalCodes: v.PostalCodes, PostalCodePrefixes: v.PostalCodePrefixes,
			MinPriceCents: v.MinPriceCents, MaxPriceCents: v.MaxPriceCents, SourceIDs: v.SourceIDs}
	}
	if v := r.Target; v != nil {
		in.Target = &domain.RuleTarget{UserID: v.UserID, TeamID: v.TeamID}
	}
	return in
}

type ruleJSON struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Position       int            `json:"position"`
	Enabled        bool           `json:"enabled"`
	Match          ruleMatchJSON  `json:"match"`
	Target         ruleTargetJSON `json:"target"`
	LastAssigneeID *string        `json:"last_assignee_id"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func ruleOut(r domain.AssignmentRule) ruleJSON {
	m := r.Match
	return ruleJSON{
		ID: r.ID, Name: r.Name, Position: r.Position, Enabled: r.Enabled,
		Match: ruleMatchJSON{PostalCodes: nonNil(m.PostalCodes), PostalCodePrefixes: nonNil(m.PostalCodePrefixes),
			MinPriceCents: m.MinPriceCents, MaxPriceCents: m.MaxPriceCents, SourceIDs: nonNil(m.SourceIDs)},
		Target:         ruleTargetJSON{UserID: r.Target.UserID, TeamID: r.Target.TeamID},
		LastAssigneeID: r.LastAssigneeID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type settingsRequest struct {
	AgentsSeeOnlyAssigned domain.Optional[bool] `json:"agents_see_only_assigned"`
}

type settingsJSON struct {
	AgentsSeeOnlyAssigned bool       `json:"agents_see_only_assigned"`
	UpdatedAt             *time.Time `json:"updated_at"`
}

func settingsOut(s domain.Settings) settingsJSON {
	return settingsJSON{AgentsSeeOnlyAssigned: s.AgentsSeeOnlyAssigned, UpdatedAt: utcPtr(s.UpdatedAt)}
}

func (h *handlers) listRules() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (httpx.List[ruleJSON], error) {
		rules, err := h.svc.ListAssignmentRules(ctx)
		return listOut(app.Page[domain.AssignmentRule]{Items: rules}, ruleOut), err
	}, http.StatusOK)
}

func (h *handlers) createRule() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[ruleRequest](), func(ctx context.Context, req ruleRequest) (ruleJSON, error) {
		r, err := h.svc.CreateAssignmentRule(ctx, req.input())
		return ruleOut(r), err
	}, http.StatusCreated)
}

func (h *handlers) updateRule() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[ruleRequest](), func(ctx context.Context, req withID[ruleRequest]) (ruleJSON, error) {
		r, err := h.svc.UpdateAssignmentRule(ctx, req.ID, req.Body.input())
		return ruleOut(r), err
	}, http.StatusOK)
}

func (h *handlers) deleteRule() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteAssignmentRule(ctx, id)
	}, http.StatusNoContent)
}

func (h *handlers) getSettings() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (settingsJSON, error) {
		s, err := h.svc.GetSettings(ctx)
		return settingsOut(s), err
	}, http.StatusOK)
}

func (h *handlers) updateSettings() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[settingsRequest](), func(ctx context.Context, req settingsRequest) (settingsJSON, error) {
		if req.AgentsSeeOnlyAssigned.Set && req.AgentsSeeOnlyAssigned.Value == nil {
			return settingsJSON{}, apperr.Invalid("agents_see_only_assigned", "must be true or false")
		}
		s, err := h.svc.UpdateSettings(ctx, app.SettingsUpdate{AgentsSeeOnlyAssigned: req.AgentsSeeOnlyAssigned.Value})
		return settingsOut(s), err
	}, http.StatusOK)
}
