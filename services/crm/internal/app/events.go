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
	EventLeadCreated  = "reos.crm.lead.created"
	EventLeadUpdated  = "reos.crm.lead.updated"
	EventLeadAssigned = "reos.crm.lead.assigned"
	EventLeadScored   = "reos.crm.lead.scored"
	EventLeadArchived = "reos.crm.lead.archived"
	// EventContactCreated and EventContactUpdated carry the contact's
	// details (contactEventData): outreach sends to them. Contacts are
	// never deleted, so there is no contact.deleted.
	EventContactCreated   = "reos.crm.contact.created"
	EventContactUpdated   = "reos.crm.contact.updated"
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
	EventContactCreated: "contact", EventContactUpdated: "contact",
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

// leadEventData is the lead's state, the data of lead.created, updated
// and archived and the common part of lead.assigned and lead.scored: ids
// and facts, no contact details (those travel in the contact's own
// events). Every lead event carries it whole, so a read model (outreach's
// audience) can upsert the lead from any of them, the newest by event
// time winning.
type leadEventData struct {
	LeadID    string  `json:"lead_id"`
	ContactID string  `json:"contact_id"`
	SourceID  *string `json:"source_id"`
	// SourceKey is the source's key ("referral"), for filters by source.
	SourceKey        *string    `json:"source_key"`
	Status           string     `json:"status"`
	AssigneeID       *string    `json:"assignee_id"`
	BudgetMinCents   *int64     `json:"budget_min_cents"`
	BudgetMaxCents   *int64     `json:"budget_max_cents"`
	TargetPriceCents *int64     `json:"target_price_cents"`
	PostalCode       *string    `json:"postal_code"`
	PropertyIDs      []string   `json:"property_ids"`
	Tags             []string   `json:"tags"`
	Score            *int       `json:"score"`
	ArchivedAt       *time.Time `json:"archived_at,omitempty"`
}

func leadEvent(r LeadRow) leadEventData {
	l := r.Lead
	tags := l.Tags
	if tags == nil {
		tags = []string{}
	}
	return leadEventData{
		LeadID: l.ID, ContactID: l.ContactID, SourceID: l.SourceID, SourceKey: r.SourceKey, Status: l.Status, AssigneeID: l.AssigneeID,
		BudgetMinCents: l.BudgetMinCents, BudgetMaxCents: l.BudgetMaxCents, TargetPriceCents: l.TargetPriceCents,
		PostalCode: l.PostalCode, PropertyIDs: l.PropertyIDs, Tags: tags, Score: l.Score, ArchivedAt: l.ArchivedAt,
	}
}

// sourceKey is the key of src, nil without a source.
func sourceKey(src *domain.LeadSource) *string {
	if src == nil {
		return nil
	}
	return &src.Key
}

// assignedEvent is lead.assigned: the lead's state (assignee_id is To)
// and the assignment.
type assignedEvent struct {
	leadEventData
	From *string `json:"from_user_id"`
	To   *string `json:"to_user_id"`
	// RuleID is the assignment rule that chose To; null when explicit.
	RuleID  *string `json:"rule_id"`
	ActorID *string `json:"actor_id"`
}

// scoredEvent is lead.scored: the lead's state (score is the new value)
// and how the score was made.
type scoredEvent struct {
	leadEventData
	Factors    []domain.Factor `json:"factors"`
	ComputedAt time.Time       `json:"computed_at"`
}

// contactEventData is the data of contact.created and contact.updated:
// the person's details as crm holds them (email lower case, phone E.164,
// time zone IANA; null when unknown). They travel on reos.crm.events by
// decision: outreach must send to them, and the topic is internal, never
// exposed to integrators as it is.
type contactEventData struct {
	ContactID  string    `json:"contact_id"`
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	Email      *string   `json:"email"`
	Phone      *string   `json:"phone"`
	TimeZone   *string   `json:"time_zone"`
	PostalCode *string   `json:"postal_code"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func contactEvent(c domain.Contact) contactEventData {
	return contactEventData{ContactID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		TimeZone: c.TimeZone, PostalCode: c.PostalCode, UpdatedAt: c.UpdatedAt.UTC()}
}

// contactEvents announces the contacts a change created and the ones it
// changed.
func contactEvents(created, updated []domain.Contact) []Event {
	out := make([]Event, 0, len(created)+len(updated))
	for _, c := range created {
		out = append(out, newEvent(EventContactCreated, c.ID, contactEvent(c)))
	}
	for _, c := range updated {
		out = append(out, newEvent(EventContactUpdated, c.ID, contactEvent(c)))
	}
	return out
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
