package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of assignment rules: every new lead reads all of its
// organisation's rules, so both the rules and their lists stay small.
const (
	MaxRules         = 100
	MaxRuleListItems = 200
	MaxPostalCodeLen = 16
)

// ReasonRuleNotFound is the problem reason of a missing assignment rule.
const ReasonRuleNotFound = "assignment_rule_not_found"

// AssignmentRule routes new leads to an agent. An organisation's rules are
// tried in order (Position, then ID); the first enabled rule whose Match
// holds and whose Target has an active user assigns the lead.
type AssignmentRule struct {
	ID       string
	Name     string
	Position int
	Enabled  bool
	Match    RuleMatch
	Target   RuleTarget
	// LastAssigneeID is the round-robin cursor: the team member who got the
	// rule's latest lead.
	LastAssigneeID *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// RuleMatch are a rule's conditions; all that are set must hold, and an
// empty match holds for every lead (a catch-all rule).
type RuleMatch struct {
	// PostalCodes and PostalCodePrefixes (normalised, see
	// NormalizePostalCode) hold when the lead's postal code equals one of
	// the codes or starts with one of the prefixes; either list may match.
	PostalCodes        []string
	PostalCodePrefixes []string
	// MinPriceCents and MaxPriceCents bound the lead's price (LeadPrice),
	// both inclusive.
	MinPriceCents, MaxPriceCents *int64
	// SourceIDs holds when the lead comes from one of these sources.
	SourceIDs []string
}

// RuleTarget is whom a rule assigns to: one user, or the active members of
// a team in turn. Exactly one is set.
type RuleTarget struct {
	UserID *string
	TeamID *string
}

// RoundRobin reports whether the target is a team.
func (t RuleTarget) RoundRobin() bool { return t.TeamID != nil }

// NormalizePostalCode is the form postal codes are compared in: upper case
// without spaces and hyphens, so "sw1a 1aa" matches "SW1A1AA" and the ZIP+4
// "94103-1234" starts with "94103".
func NormalizePostalCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// validPostalCode reports whether s looks like a postal code of any
// country: letters, digits, spaces and hyphens, at most MaxPostalCodeLen.
func validPostalCode(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > MaxPostalCodeLen {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ' ' || r == '-') {
			return false
		}
	}
	return NormalizePostalCode(s) != ""
}

// CheckPostalCode trims a lead's postal code and records it in f under
// field when it is not one; an empty code is no code (nil).
func CheckPostalCode(field string, v *string, f *FieldErrors) *string {
	if v == nil {
		return nil
	}
	s := strings.TrimSpace(*v)
	if s == "" {
		return nil
	}
	if !validPostalCode(s) {
		f.Add(field, "must be a postal code: letters, digits, spaces and hyphens, at most 16 characters")
		return nil
	}
	return &s
}

// LeadPrice is the price a lead's price band is judged by: the target
// price when known, else the top of the budget, else its bottom; nil when
// the lead names no amount (then no price condition holds).
func LeadPrice(l Lead) *int64 {
	switch {
	case l.TargetPriceCents != nil:
		return l.TargetPriceCents
	case l.BudgetMaxCents != nil:
		return l.BudgetMaxCents
	default:
		return l.BudgetMinCents
	}
}

// Matches reports whether every condition of m holds for l.
func (m RuleMatch) Matches(l Lead) bool {
	if len(m.PostalCodes) > 0 || len(m.PostalCodePrefixes) > 0 {
		if l.PostalCode == nil {
			return false
		}
		code := NormalizePostalCode(*l.PostalCode)
		if !slices.Contains(m.PostalCodes, code) && !slices.ContainsFunc(m.PostalCodePrefixes, func(p string) bool { return strings.HasPrefix(code, p) }) {
			return false
		}
	}
	if m.MinPriceCents != nil || m.MaxPriceCents != nil {
		price := LeadPrice(l)
		if price == nil || (m.MinPriceCents != nil && *price < *m.MinPriceCents) || (m.MaxPriceCents != nil && *price > *m.MaxPriceCents) {
			return false
		}
	}
	if len(m.SourceIDs) > 0 && (l.SourceID == nil || !slices.Contains(m.SourceIDs, *l.SourceID)) {
		return false
	}
	return true
}

// Validate trims and checks a rule's own fields, normalises and
// deduplicates its postal codes, and records problems in f under the
// request's field names (match.*, target.*). Whether the target user or
// team exists is for the caller to check.
func (r *AssignmentRule) Validate(f *FieldErrors) {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || utf8.RuneCountInString(r.Name) > 100 {
		f.Add("name", "is required, at most 100 characters")
	}
	checkText("name", r.Name, f)
	if r.Position < 0 || r.Position > 1_000_000 {
		f.Add("position", "must be between 0 and 1000000")
	}
	r.Match.PostalCodes = postalList("match.postal_codes", r.Match.PostalCodes, f)
	r.Match.PostalCodePrefixes = postalList("match.postal_code_prefixes", r.Match.PostalCodePrefixes, f)
	ValidateMoney("match.min_price_cents", r.Match.MinPriceCents, f)
	ValidateMoney("match.max_price_cents", r.Match.MaxPriceCents, f)
	if r.Match.MinPriceCents != nil && r.Match.MaxPriceCents != nil && *r.Match.MinPriceCents > *r.Match.MaxPriceCents {
		f.Add("match.max_price_cents", "must not be below match.min_price_cents")
	}
	if r.Match.SourceIDs == nil {
		r.Match.SourceIDs = []string{}
	}
	if len(r.Match.SourceIDs) > MaxRuleListItems {
		f.Add("match.source_ids", "must list at most 200 sources")
	}
	if (r.Target.UserID == nil) == (r.Target.TeamID == nil) {
		f.Add("target", "needs exactly one of user_id (always that user) or team_id (round-robin over the team's members)")
	}
}

func postalList(field string, codes []string, f *FieldErrors) []string {
	if len(codes) > MaxRuleListItems {
		f.Add(field, "must list at most 200 postal codes")
		return nil
	}
	out := []string{}
	for _, c := range codes {
		if !validPostalCode(strings.TrimSpace(c)) {
			f.Add(field, "must hold postal codes: letters, digits, spaces and hyphens, at most 16 characters")
			return nil
		}
		if n := NormalizePostalCode(c); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// NextInRotation returns the member who gets a round-robin rule's next
// lead: members are the team's active members in a stable order (sorted
// ids), last the member who got the previous one. The turn passes to the
// first member after last in that order, wrapping around, so members joining
// or leaving do not reset the rotation and every member gets a lead once per
// round. members must not be empty.
func NextInRotation(members []string, last *string) string {
	if last != nil {
		for _, m := range members {
			if m > *last {
				return m
			}
		}
	}
	return members[0]
}

// Settings are an organisation's crm settings.
type Settings struct {
	// AgentsSeeOnlyAssigned limits callers whose only role is agent to the
	// leads assigned to them.
	AgentsSeeOnlyAssigned bool
	UpdatedAt             *time.Time
}

// RoleAgent is identity's system role of day-to-day agents (a system role:
// identity never renames or deletes it).
const RoleAgent = "agent"

// AgentOnly reports whether roles (a token's roles claim) are those of an
// agent and nothing more. Such a caller is the one AgentsSeeOnlyAssigned
// restricts; a caller holding any other role as well (sales, admin, a custom
// role) keeps the organisation-wide view.
func AgentOnly(roles []string) bool {
	if len(roles) == 0 {
		return false
	}
	for _, r := range roles {
		if r != RoleAgent {
			return false
		}
	}
	return true
}
