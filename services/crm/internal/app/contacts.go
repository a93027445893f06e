package app

import (
	"context"
	"strings"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

func (s *service) CreateContact(ctx context.Context, in domain.ContactInput) (domain.Contact, error) {
	p, err := auth.CallerWith(ctx, PermLeadsWrite)
	if err != nil {
		return domain.Contact{}, err
	}
	var f domain.FieldErrors
	nc := in.Normalize(s.cfg.DefaultPhoneRegion, &f)
	if nc.Empty() {
		f.Add("email", "a contact needs at least one of first_name, last_name, email, phone")
	}
	if err := f.Err(); err != nil {
		return domain.Contact{}, err
	}
	now := s.now()
	c := domain.Contact{ID: newID(), Email: nc.Email, Phone: nc.Phone, TimeZone: nc.TimeZone, PostalCode: nc.PostalCode,
		CreatedBy: actorID(p), CreatedAt: now, UpdatedAt: now}
	if nc.FirstName != nil {
		c.FirstName = *nc.FirstName
	}
	if nc.LastName != nil {
		c.LastName = *nc.LastName
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		inserted, err := tx.Contacts().Create(ctx, p.OrgID, c)
		if err != nil {
			return err
		}
		if !inserted {
			return apperr.Conflict(domain.ReasonContactTaken, "a contact with this email or phone exists")
		}
		return s.emit(ctx, tx, p, EventContactCreated, c.ID, contactEvent(c))
	})
	return c, err
}

func (s *service) GetContact(ctx context.Context, id string) (domain.Contact, error) {
	p, err := requireOn(ctx, PermLeadsRead, id, domain.ReasonContactNotFound, "contact")
	if err != nil {
		return domain.Contact{}, err
	}
	var c domain.Contact
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		c, err = visibleContact(ctx, tx, p, id)
		return err
	})
	return c, err
}

// visibleContact loads a contact the caller may see: for a scoped caller
// the contact of one of its leads, or one it created that has no lead yet.
// Any other contact is not found, exactly like another organisation's.
func visibleContact(ctx context.Context, tx Tx, p auth.Principal, id string) (domain.Contact, error) {
	scope, err := leadScope(ctx, tx, p)
	if err != nil {
		return domain.Contact{}, err
	}
	return tx.Contacts().Get(ctx, id, scope)
}

// UpdateContact changes the fields given (non-nil); an empty email, phone,
// time zone or postal code clears it. Unlike the merge on lead creation,
// an explicit edit overwrites. An edit that changes nothing writes nothing
// and emits nothing, as for leads and deals.
func (s *service) UpdateContact(ctx context.Context, id string, in domain.ContactInput) (domain.Contact, error) {
	p, err := requireOn(ctx, PermLeadsWrite, id, domain.ReasonContactNotFound, "contact")
	if err != nil {
		return domain.Contact{}, err
	}
	var f domain.FieldErrors
	nc := in.Normalize(s.cfg.DefaultPhoneRegion, &f)
	if err := f.Err(); err != nil {
		return domain.Contact{}, err
	}
	var c domain.Contact
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if c, err = visibleContact(ctx, tx, p, id); err != nil {
			return err
		}
		if !c.Edit(in, nc) {
			return nil
		}
		c.UpdatedAt = s.now()
		if err := tx.Contacts().Update(ctx, c); err != nil {
			return err // a taken email or phone is a conflict
		}
		return s.emit(ctx, tx, p, EventContactUpdated, c.ID, contactEvent(c))
	})
	return c, err
}

func (s *service) ListContacts(ctx context.Context, f ContactFilter) (Page[domain.Contact], error) {
	p, err := auth.CallerWith(ctx, PermLeadsRead)
	if err != nil {
		return Page[domain.Contact]{}, err
	}
	var fe domain.FieldErrors
	q := ContactQuery{Page: f.Page}
	if strings.TrimSpace(f.Email) != "" || strings.TrimSpace(f.Phone) != "" {
		nc := domain.ContactInput{Email: &f.Email, Phone: &f.Phone, PhoneRegion: f.PhoneRegion}.Normalize(s.cfg.DefaultPhoneRegion, &fe)
		q.Email, q.Phone = nc.Email, nc.Phone
	}
	if err := fe.Err(); err != nil {
		return Page[domain.Contact]{}, err
	}
	var page Page[domain.Contact]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if q.VisibleTo, err = leadScope(ctx, tx, p); err != nil {
			return err
		}
		page, err = tx.Contacts().List(ctx, q)
		return err
	})
	return page, err
}
