package app

import (
	"context"
	"time"

	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// EventSource is the CloudEvents source of crm's events; they go to topic
// reos.crm.events keyed by the aggregate (lead, deal …) id.
const EventSource = "reos.crm"

// Event types.
const (
	EventLeadCreated      = "reos.crm.lead.created"
	EventLeadUpdated      = "reos.crm.lead.updated"
	EventLeadAssigned     = "reos.crm.lead.assigned"
	EventLeadScored       = "reos.crm.lead.scored"
	EventLeadArchived     = "reos.crm.lead.archived"
	EventActivityLogged   = "reos.crm.activity.logged"
	EventNoteAdded        = "reos.crm.note.added"
	EventDealCreated      = "reos.crm.deal.created"
	EventDealUpdated      = "reos.crm.deal.updated"
	EventDealStageChanged = "reos.crm.deal.stage_changed"
	EventDealWon          = "reos.crm.deal.won"
	EventDealLost         = "reos.crm.deal.lost"
	// EventDealDocumentAdded announces a document attached to a deal.
	EventDealDocumentAdded = "reos.crm.deal.document_added"

	EventRuleCreated     = "reos.crm.assignment_rule.created"
	EventRuleUpdated     = "reos.crm.assignment_rule.updated"
	EventRuleDeleted     = "reos.crm.assignment_rule.deleted"
	EventSettingsUpdated = "reos.crm.settings.updated"

	// EventImportCompleted summarises an ended import (completed or
	// failed); each new lead also has its own lead.created.
	EventImportCompleted = "reos.crm.lead_import.completed"
)

// eventAggregates names, for every event type, the kind of aggregate its
// id names: activities and notes are a lead's, documents a deal's, so
// their events keep the order of the lead's or the deal's own.
var eventAggregates = map[string]string{
	EventLeadCreated: "lead", EventLeadUpdated: "lead", EventLeadAssigned: "lead", EventLeadScored: "lead",
	EventLeadArchived: "lead", EventActivityLogged: "lead", EventNoteAdded: "lead",
	EventDealCreated: "deal", EventDealUpdated: "deal", EventDealStageChanged: "deal", EventDealWon: "deal",
	EventDealLost: "deal", EventDealDocumentAdded: "deal",
	EventRuleCreated: "assignment_rule", EventRuleUpdated: "assignment_rule", EventRuleDeleted: "assignment_rule",
	EventSettingsUpdated: "settings",
	EventImportCompleted: "lead_import",
}

// newEvent is the event typ about the aggregate id (of the kind the type
// names) carrying data.
func newEvent(typ, id string, data any) Event {
	return Event{Type: typ, Aggregate: eventAggregates[typ], ID: id, Data: data}
}

// emit publishes an event about aggregate id in tx.
func (s *service) emit(ctx context.Context, tx Tx, p auth.Principal, typ, id string, data any) error {
	return tx.Events().Publish(ctx, p.OrgID, newEvent(typ, id, data))
}

// leadEventData is the payload of lead.created/updated/archived: ids and
// facts, no contact details (consumers that need them ask crm).
type leadEventData struct {
	LeadID           string     `json:"lead_id"`
	ContactID        string     `json:"contact_id"`
	SourceID         *string    `json:"source_id"`
	Status           string     `json:"status"`
	AssigneeID       *string    `json:"assignee_id"`
	BudgetMinCents   *int64     `json:"budget_min_cents"`
	BudgetMaxCents   *int64     `json:"budget_max_cents"`
	TargetPriceCents *int64     `json:"target_price_cents"`
	PostalCode       *string    `json:"postal_code"`
	PropertyIDs      []string   `json:"property_ids"`
	Score            *int       `json:"score"`
	ArchivedAt       *time.Time `json:"archived_at,omitempty"`
}

func leadEvent(r LeadRow) leadEventData {
	l := r.Lead
	return leadEventData{
		LeadID: l.ID, ContactID: l.ContactID, SourceID: l.SourceID, Status: l.Status, AssigneeID: l.AssigneeID,
		BudgetMinCents: l.BudgetMinCents, BudgetMaxCents: l.BudgetMaxCents, TargetPriceCents: l.TargetPriceCents,
		PostalCode: l.PostalCode, PropertyIDs: l.PropertyIDs, Score: l.Score, ArchivedAt: l.ArchivedAt,
	}
}

type assignedEvent struct {
	LeadID string  `json:"lead_id"`
	From   *string `json:"from_user_id"`
	To     *string `json:"to_user_id"`
	// RuleID is the assignment rule that chose To; null when explicit.
	RuleID  *string `json:"rule_id"`
	ActorID *string `json:"actor_id"`
}

type scoredEvent struct {
	LeadID     string          `json:"lead_id"`
	Score      int             `json:"score"`
	Factors    []domain.Factor `json:"factors"`
	ComputedAt time.Time       `json:"computed_at"`
}

type activityEventData struct {
	ActivityID string    `json:"activity_id"`
	LeadID     string    `json:"lead_id"`
	Type       string    `json:"type"`
	Direction  *string   `json:"direction"`
	Outcome    string    `json:"outcome"`
	OccurredAt time.Time `json:"occurred_at"`
	ActorID    *string   `json:"actor_id"`
}

func activityEvent(a domain.Activity) activityEventData {
	return activityEventData{ActivityID: a.ID, LeadID: a.LeadID, Type: a.Type, Direction: a.Direction,
		Outcome: a.Outcome, OccurredAt: a.OccurredAt, ActorID: a.ActorID}
}

type noteEventData struct {
	NoteID   string  `json:"note_id"`
	LeadID   string  `json:"lead_id"`
	AuthorID *string `json:"author_id"`
}

func noteEvent(n domain.Note) noteEventData {
	return noteEventData{NoteID: n.ID, LeadID: n.LeadID, AuthorID: n.AuthorID}
}

type dealEventData struct {
	DealID     string  `json:"deal_id"`
	LeadID     string  `json:"lead_id"`
	Title      string  `json:"title"`
	ValueCents int64   `json:"value_cents"`
	Currency   string  `json:"currency"`
	StageID    string  `json:"stage_id"`
	StageKey   string  `json:"stage_key"`
	PropertyID *string `json:"property_id"`
	AssigneeID *string `json:"assignee_id"`
}

func dealEvent(d domain.Deal, stage domain.Stage) dealEventData {
	return dealEventData{DealID: d.ID, LeadID: d.LeadID, Title: d.Title, ValueCents: d.ValueCents, Currency: d.Currency,
		StageID: d.StageID, StageKey: stage.Key, PropertyID: d.PropertyID, AssigneeID: d.AssigneeID}
}

type stageChangedEvent struct {
	DealID    string  `json:"deal_id"`
	LeadID    string  `json:"lead_id"`
	FromStage string  `json:"from_stage"`
	ToStage   string  `json:"to_stage"`
	ChangedBy *string `json:"changed_by"`
	// ValueCents is set on won and lost events.
	ValueCents int64  `json:"value_cents"`
	Currency   string `json:"currency"`
}
