package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"reos.dev/pkg/events"
	"reos.dev/services/outreach/internal/domain"
)

// crm's event types the audience read model applies (topic
// reos.crm.events; crm defines them). Every lead event carries the lead's
// whole state; `crm republish` re-emits contact.updated and lead.updated
// for everything. Other types on the topic are ignored.
const (
	CRMLeadCreated    = "reos.crm.lead.created"
	CRMLeadUpdated    = "reos.crm.lead.updated"
	CRMLeadAssigned   = "reos.crm.lead.assigned"
	CRMLeadScored     = "reos.crm.lead.scored"
	CRMLeadArchived   = "reos.crm.lead.archived"
	CRMContactCreated = "reos.crm.contact.created"
	CRMContactUpdated = "reos.crm.contact.updated"
	CRMContactDeleted = "reos.crm.contact.deleted"
)

// AudienceReadModel is the write side of the audience read model, bound to
// the consumer's transaction (app.org_id is the event's organisation).
// Newer wins: each upsert changes a row only when `at` is later than the
// time of the state it holds, so a redelivered, replayed or republished
// event, or one overtaken by a later change, changes nothing. Deletion of
// a contact and archiving of a lead are terminal.
type AudienceReadModel interface {
	UpsertContact(ctx context.Context, orgID string, c domain.AudienceContact, at time.Time) error
	UpsertLead(ctx context.Context, orgID string, l domain.AudienceLead, at time.Time) error
}

// ErrBadCRMEvent marks a crm event the read model cannot apply (no org, a
// missing or malformed id). The consumer retries it a few times, then
// logs and skips it.
var ErrBadCRMEvent = errors.New("malformed crm event")

// crmLeadData is the part of a lead event's state the audience keeps.
type crmLeadData struct {
	LeadID     string     `json:"lead_id"`
	ContactID  string     `json:"contact_id"`
	SourceKey  *string    `json:"source_key"`
	Status     string     `json:"status"`
	AssigneeID *string    `json:"assignee_id"`
	PostalCode *string    `json:"postal_code"`
	Score      *int       `json:"score"`
	Tags       []string   `json:"tags"`
	ArchivedAt *time.Time `json:"archived_at"`
}

// crmContactData is contact.created|updated|deleted's data.
type crmContactData struct {
	ContactID  string    `json:"contact_id"`
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	Email      *string   `json:"email"`
	Phone      *string   `json:"phone"`
	TimeZone   *string   `json:"time_zone"`
	PostalCode *string   `json:"postal_code"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ApplyCRMEvent applies one event of reos.crm.events to the audience. A
// lead event is judged by its time (crm's lead events carry no
// updated_at), a contact event by the contact's updated_at (its event time
// when absent). A lead event without a status predates crm carrying the
// lead's state on every event: it is skipped, and `crm republish` brings
// the lead in.
func ApplyCRMEvent(ctx context.Context, m AudienceReadModel, ev events.Event) error {
	switch ev.Type {
	case CRMLeadCreated, CRMLeadUpdated, CRMLeadAssigned, CRMLeadScored, CRMLeadArchived:
		return applyLead(ctx, m, ev)
	case CRMContactCreated, CRMContactUpdated, CRMContactDeleted:
		return applyContact(ctx, m, ev)
	}
	return nil
}

func applyLead(ctx context.Context, m AudienceReadModel, ev events.Event) error {
	var d crmLeadData
	if err := decodeCRM(ev, &d); err != nil {
		return err
	}
	if d.Status == "" {
		return nil
	}
	if !domain.ValidID(d.LeadID) || !domain.ValidID(d.ContactID) || (d.AssigneeID != nil && !domain.ValidID(*d.AssigneeID)) {
		return fmt.Errorf("%w: %s %s: lead_id %q, contact_id %q or assignee_id is not a UUID", ErrBadCRMEvent, ev.Type, ev.ID, d.LeadID, d.ContactID)
	}
	tags := d.Tags
	if tags == nil {
		tags = []string{}
	}
	l := domain.AudienceLead{LeadID: d.LeadID, ContactID: d.ContactID, Status: d.Status, SourceKey: d.SourceKey,
		AssigneeID: d.AssigneeID, Score: d.Score, Tags: tags, PostalCode: d.PostalCode,
		Archived: ev.Type == CRMLeadArchived || d.ArchivedAt != nil}
	return m.UpsertLead(ctx, ev.OrgID, l, ev.Time.UTC())
}

func applyContact(ctx context.Context, m AudienceReadModel, ev events.Event) error {
	var d crmContactData
	if err := decodeCRM(ev, &d); err != nil {
		return err
	}
	if !domain.ValidID(d.ContactID) {
		return fmt.Errorf("%w: %s %s: contact_id %q is not a UUID", ErrBadCRMEvent, ev.Type, ev.ID, d.ContactID)
	}
	at := d.UpdatedAt
	if at.IsZero() {
		at = ev.Time
	}
	c := domain.AudienceContact{ContactID: d.ContactID, FirstName: d.FirstName, LastName: d.LastName,
		Email: lower(d.Email), Phone: d.Phone, TimeZone: d.TimeZone, PostalCode: d.PostalCode, Deleted: ev.Type == CRMContactDeleted}
	return m.UpsertContact(ctx, ev.OrgID, c, at.UTC())
}

func decodeCRM(ev events.Event, v any) error {
	if !domain.ValidID(ev.OrgID) {
		return fmt.Errorf("%w: %s %s: orgid %q", ErrBadCRMEvent, ev.Type, ev.ID, ev.OrgID)
	}
	if err := ev.DecodeData(v); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrBadCRMEvent, ev.Type, ev.ID, err)
	}
	return nil
}

// lower keeps emails in the one form the lists compare (crm sends them
// lower case already).
func lower(s *string) *string {
	if s == nil {
		return nil
	}
	l := strings.ToLower(*s)
	return &l
}
