package app

import (
	"context"
	"slices"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
)

// Unsubscribe sources (the events contract's).
const (
	SourceLink     = "link"
	SourceOneClick = "one_click"
)

// UnsubscribeResult says what an unsubscribe did.
type UnsubscribeResult struct {
	Channel compliance.Channel
	// Already is true when the address was unsubscribed before.
	Already bool
}

// DNCInput is a number to add to the do-not-call list.
type DNCInput struct {
	Phone  string
	Reason *string
}

// ConsentInput is a consent grant or withdrawal as a user records it: for
// a channel, the address given or the one of the contact (or lead's
// contact) named; how (Source), with what proof (required for a grant),
// when (OccurredAt, default now). Who is the caller.
type ConsentInput struct {
	Channel    string
	Address    *string
	ContactID  *string
	LeadID     *string
	Action     string
	Source     string
	Proof      *string
	OccurredAt *time.Time
}

// errBadToken is the answer to a token that is not one of ours: 400
// naming token, whatever was wrong with it.
func errBadToken() error {
	e := apperr.BadRequest("token", "is not a valid unsubscribe token")
	e.Reason = domain.ReasonInvalidUnsubscribe
	return e
}

func (s *service) CheckUnsubscribe(_ context.Context, token string) (unsubscribe.Claims, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return unsubscribe.Claims{}, errBadToken()
	}
	return c, nil
}

// Unsubscribe puts the token's address on its organisation's unsubscribe
// list for the token's channel, with the event in the same transaction;
// unsubscribing again changes nothing and announces nothing. The gate
// reads the list before every message, so the next one is blocked.
func (s *service) Unsubscribe(ctx context.Context, token, source string) (UnsubscribeResult, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return UnsubscribeResult{}, errBadToken()
	}
	ch := compliance.Channel(c.Channel)
	now := s.now()
	u := domain.Unsubscribe{Channel: ch, Address: c.Address, ContactID: optional(c.ContactID), LeadID: optional(c.LeadID),
		CampaignID: optional(c.CampaignID), Source: source, CreatedAt: now}
	out := UnsubscribeResult{Channel: ch}
	err = s.store.InOrg(ctx, c.OrgID, func(tx Tx) error {
		added, err := tx.Compliance().Unsubscribe(ctx, c.OrgID, u)
		if err != nil || !added {
			out.Already = !added
			return err
		}
		return publish(ctx, tx, c.OrgID, recipientEvent(EventContactUnsubscribed, u.ContactID, c.Channel, c.Address,
			optOutEventData{ContactID: u.ContactID, LeadID: u.LeadID, Channel: c.Channel, Source: source, OccurredAt: now}))
	})
	return out, err
}

func (s *service) ListDNC(ctx context.Context, pr PageRequest) (Page[domain.DNCEntry], error) {
	p, err := auth.CallerWith(ctx, PermComplianceRead)
	if err != nil {
		return Page[domain.DNCEntry]{}, err
	}
	var out Page[domain.DNCEntry]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = tx.Compliance().ListDNC(ctx, pr)
		return err
	})
	return out, err
}

// AddDNC puts a number on the do-not-call list; added is false when it
// was there already (the entry is unchanged).
func (s *service) AddDNC(ctx context.Context, in DNCInput) (domain.DNCEntry, bool, error) {
	p, err := auth.CallerWith(ctx, PermComplianceWrite)
	if err != nil {
		return domain.DNCEntry{}, false, err
	}
	var f domain.FieldErrors
	phone, ok := domain.Phone(in.Phone)
	if !ok {
		f.Add("phone", "must be a valid phone number in E.164 form (+14155550100)")
	}
	e := domain.DNCEntry{ID: newID(), Phone: phone, Reason: domain.OptionalText("reason", in.Reason, domain.MaxReasonLen, &f), AddedBy: actorID(p), CreatedAt: s.now()}
	if err := f.Err(); err != nil {
		return domain.DNCEntry{}, false, err
	}
	var added bool
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		e, added, err = tx.Compliance().AddDNC(ctx, p.OrgID, e)
		return err
	})
	return e, added, err
}

// RemoveDNC takes a number off the list; one not listed is a 404.
func (s *service) RemoveDNC(ctx context.Context, raw string) error {
	p, err := auth.CallerWith(ctx, PermComplianceWrite)
	if err != nil {
		return err
	}
	phone, ok := domain.Phone(raw)
	if !ok {
		return apperr.BadRequest("phone", "must be a valid phone number in E.164 form (+14155550100)")
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Compliance().RemoveDNC(ctx, phone) })
}

func (s *service) ListConsent(ctx context.Context, q ConsentQuery) (Page[domain.ConsentEntry], error) {
	p, err := auth.CallerWith(ctx, PermComplianceRead)
	if err != nil {
		return Page[domain.ConsentEntry]{}, err
	}
	var out Page[domain.ConsentEntry]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = tx.Compliance().ListConsent(ctx, q)
		return err
	})
	return out, err
}

// RecordConsent appends a grant or a withdrawal to the consent log, with
// its event, in one transaction. The contact and lead named must be the
// caller's organisation's in the audience read model (422 naming the
// field otherwise); the address defaults to the contact's for the channel.
func (s *service) RecordConsent(ctx context.Context, in ConsentInput) (domain.ConsentEntry, error) {
	p, err := auth.CallerWith(ctx, PermComplianceWrite)
	if err != nil {
		return domain.ConsentEntry{}, err
	}
	now := s.now()
	e, err := consentEntry(in, now)
	if err != nil {
		return domain.ConsentEntry{}, err
	}
	e.ID, e.ActorID, e.RecordedAt = newID(), actorID(p), now
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if err := resolveRecipient(ctx, tx, &e); err != nil {
			return err
		}
		if err := tx.Compliance().AppendConsent(ctx, p.OrgID, e); err != nil {
			return err
		}
		typ := EventConsentGranted
		if e.Action == domain.ConsentWithdrawn {
			typ = EventConsentWithdrawn
		}
		return publish(ctx, tx, p.OrgID, recipientEvent(typ, e.ContactID, string(e.Channel), e.Address,
			optOutEventData{ContactID: e.ContactID, LeadID: e.LeadID, Channel: string(e.Channel), Source: e.Source, OccurredAt: e.OccurredAt}))
	})
	return e, err
}

// consentEntry validates what needs no lookup.
func consentEntry(in ConsentInput, now time.Time) (domain.ConsentEntry, error) {
	var f domain.FieldErrors
	e := domain.ConsentEntry{Action: in.Action, Source: in.Source, OccurredAt: now}
	ch, ok := domain.Channel(in.Channel)
	if !ok {
		f.Add("channel", `must be "email" or "sms"`)
	}
	e.Channel = ch
	if in.Action != domain.ConsentGranted && in.Action != domain.ConsentWithdrawn {
		f.Add("action", `must be "granted" or "withdrawn"`)
	}
	if !slices.Contains(domain.ConsentSources, in.Source) {
		f.Add("source", "must be one of the documented sources (web_form, paper_form, verbal, import, api, sms_keyword, unsubscribe)")
	}
	e.Proof = domain.OptionalText("proof", in.Proof, domain.MaxProofLen, &f)
	if in.Action == domain.ConsentGranted && e.Proof == nil {
		f.Add("proof", "is required for a grant: what shows the recipient agreed (a form submission id, a recording reference …)")
	}
	if in.OccurredAt != nil {
		if in.OccurredAt.After(now.Add(time.Minute)) {
			f.Add("occurred_at", "must not be in the future")
		}
		e.OccurredAt = in.OccurredAt.UTC().Truncate(time.Microsecond)
	}
	for field, id := range map[string]*string{"contact_id": in.ContactID, "lead_id": in.LeadID} {
		if id != nil && !domain.ValidID(*id) {
			f.Add(field, "must be a UUID")
		}
	}
	e.ContactID, e.LeadID = in.ContactID, in.LeadID
	if in.Address != nil && ok {
		a, msg, valid := domain.Address(ch, *in.Address)
		if !valid {
			f.Add("address", msg)
		}
		e.Address = a
	}
	if in.Address == nil && in.ContactID == nil && in.LeadID == nil {
		f.Add("address", "is required without a contact_id or lead_id")
	}
	return e, f.Err()
}

// resolveRecipient checks the contact and lead against the read model and
// fills the contact from the lead and the address from the contact.
func resolveRecipient(ctx context.Context, tx Tx, e *domain.ConsentEntry) error {
	if e.LeadID != nil {
		leads, err := tx.Audience().Leads(ctx, []string{*e.LeadID})
		if err != nil {
			return err
		}
		l, ok := leads[*e.LeadID]
		switch {
		case !ok:
			return apperr.Invalid("lead_id", "unknown lead")
		case e.ContactID != nil && *e.ContactID != l.ContactID:
			return apperr.Invalid("contact_id", "is not the lead's contact")
		}
		e.ContactID = &l.ContactID
	}
	if e.ContactID == nil {
		return nil
	}
	c, found, err := tx.Audience().Contact(ctx, *e.ContactID)
	if err != nil {
		return err
	}
	if !found || c.Deleted {
		return apperr.Invalid("contact_id", "unknown contact")
	}
	if e.Address != "" {
		return nil
	}
	addr := c.Email
	if e.Channel == compliance.SMS {
		addr = c.Phone
	}
	if addr == nil {
		return apperr.Invalid("address", "is required: the contact has no "+map[compliance.Channel]string{compliance.Email: "email", compliance.SMS: "phone number"}[e.Channel])
	}
	e.Address = *addr
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
