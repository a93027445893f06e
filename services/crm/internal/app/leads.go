package app

import (
	"context"
	"errors"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// ActivityInput logs an activity; OccurredAt defaults to now.
type ActivityInput struct {
	Type       string
	Direction  *string
	Outcome    string
	Body       string
	OccurredAt *time.Time
}

// scoreWindow is the activity window of the frequency and responsiveness
// factors.
const scoreWindow = 30 * 24 * time.Hour

func (s *service) CreateLead(ctx context.Context, in domain.LeadInput) (LeadRow, error) {
	p, err := auth.CallerWith(ctx, PermLeadsWrite)
	if err != nil {
		return LeadRow{}, err
	}
	now := s.now()
	draft, err := domain.NewLead(newID(), in, s.cfg.DefaultPhoneRegion, now)
	if err != nil {
		return LeadRow{}, err
	}
	var row LeadRow
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		l := draft.Lead
		if err := tx.Catalog().EnsureDefaults(ctx, p.OrgID, now); err != nil {
			return err
		}
		src, err := resolveSource(ctx, tx, l.SourceID, draft.SourceKey)
		if err != nil {
			return err
		}
		if src != nil {
			l.SourceID = &src.ID
		}
		row.SourceKey = sourceKey(src)
		if err := checkKnownProperties(ctx, tx, "property_ids", l.PropertyIDs); err != nil {
			return err
		}
		if row.Contact, err = leadContact(ctx, tx, p, draft, now); err != nil {
			return err
		}
		l.ContactID = row.Contact.ID
		ruleID, err := s.assignNewLead(ctx, tx, p, &l)
		if err != nil {
			return err
		}
		score := domain.ComputeScore(scoreInput(now, l, ActivityStats{}, src))
		l.Score = &score.Value
		row.Lead = l
		if err := s.insertLead(ctx, tx, p, row, score, now); err != nil {
			return err
		}
		if l.AssigneeID != nil {
			return s.recordAssignment(ctx, tx, p, row, nil, ruleID, now)
		}
		return nil
	})
	return row, err
}

// leadContact is the contact of a new lead: the one it names, if the
// caller sees it (a lead on another agent's contact would make that contact
// the caller's), or the person it gives, found by email or phone or created.
func leadContact(ctx context.Context, tx Tx, p auth.Principal, d domain.LeadDraft, now time.Time) (domain.Contact, error) {
	if d.ContactID == nil {
		return upsertContact(ctx, tx, p.OrgID, d.Contact, actorID(p), now)
	}
	scope, err := leadScope(ctx, tx, p)
	if err != nil {
		return domain.Contact{}, err
	}
	c, err := tx.Contacts().Get(ctx, *d.ContactID, scope)
	return c, asFieldNotFound(err, "contact_id", "no such contact")
}

// insertLead writes a new, scored lead: the lead, its first score, its
// "created" entry and lead.created.
func (s *service) insertLead(ctx context.Context, tx Tx, p auth.Principal, row LeadRow, score domain.Score, now time.Time) error {
	l := row.Lead
	if err := tx.Leads().Create(ctx, p.OrgID, l); err != nil {
		return err
	}
	if err := tx.Scores().Record(ctx, p.OrgID, l.ID, newID(), score, now); err != nil {
		return err
	}
	created := Change{ID: newID(), LeadID: l.ID, Kind: "created", To: &l.Status, ActorID: actorID(p), OccurredAt: now}
	if err := tx.Leads().RecordChange(ctx, p.OrgID, created); err != nil {
		return err
	}
	return s.emit(ctx, tx, p, EventLeadCreated, l.ID, leadEvent(row))
}

// assignNewLead sets the assignee of a new lead: the one given, who must be
// an active user of the organisation (else 422 naming assignee_id); else
// the organisation's rules' choice; else, for a caller limited to its own
// leads, the caller, who would otherwise create a lead it cannot see. It
// returns the rule that chose, nil when none did.
func (s *service) assignNewLead(ctx context.Context, tx Tx, p auth.Principal, l *domain.Lead) (*string, error) {
	if l.AssigneeID != nil {
		return nil, checkAssignee(ctx, tx, "assignee_id", l.AssigneeID)
	}
	userID, ruleID, err := assignByRules(ctx, tx, *l)
	if err != nil || userID != nil {
		l.AssigneeID = userID
		return ruleID, err
	}
	scope, err := leadScope(ctx, tx, p)
	if scope != Unscoped {
		me := string(scope)
		l.AssigneeID = &me
	}
	return nil, err
}

// asFieldNotFound turns a referenced row's absence into a 422 naming the
// body field (the path resource exists; the reference does not).
func asFieldNotFound(err error, field, msg string) error {
	if errors.Is(err, apperr.ErrNotFound) {
		return apperr.Invalid(field, msg)
	}
	return err
}

// resolveSource finds the lead source by id or key; nil when neither given.
func resolveSource(ctx context.Context, tx Tx, id, key *string) (*domain.LeadSource, error) {
	switch {
	case id != nil:
		src, err := tx.Catalog().Source(ctx, *id)
		if err != nil {
			return nil, asFieldNotFound(err, "source_id", "no such lead source")
		}
		return &src, nil
	case key != nil:
		all, err := tx.Catalog().Sources(ctx)
		if err != nil {
			return nil, err
		}
		for _, src := range all {
			if src.Key == *key {
				return &src, nil
			}
		}
		return nil, apperr.Invalid("source", "no lead source with this key")
	}
	return nil, nil
}

// upsertContact finds the contact with the same email (first) or phone, or
// creates one. On a match, existing non-empty fields win and empty ones are
// filled from the input, except an email or phone that another contact
// already holds (then the two stay separate people; merging contacts is a
// later, explicit operation).
func upsertContact(ctx context.Context, tx Tx, orgID string, nc domain.NormalizedContact, createdBy *string, now time.Time) (domain.Contact, error) {
	for attempt := 0; attempt < 2; attempt++ {
		matches, err := tx.Contacts().Find(ctx, nc.Email, nc.Phone)
		if err != nil {
			return domain.Contact{}, err
		}
		if len(matches) == 0 {
			c := domain.Contact{ID: newID(), Email: nc.Email, Phone: nc.Phone, TimeZone: nc.TimeZone, PostalCode: nc.PostalCode,
				CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
			if nc.FirstName != nil {
				c.FirstName = *nc.FirstName
			}
			if nc.LastName != nil {
				c.LastName = *nc.LastName
			}
			inserted, err := tx.Contacts().Create(ctx, orgID, c)
			if err != nil {
				return domain.Contact{}, err
			}
			if inserted {
				return c, tx.Events().Publish(ctx, orgID, contactEvents([]domain.Contact{c}, nil)...)
			}
			continue // a concurrent request created the person: merge into it
		}
		c := pickMatch(matches, nc.Email)
		fill := nc
		for _, m := range matches {
			if m.ID == c.ID {
				continue
			}
			if m.Email != nil && nc.Email != nil && *m.Email == *nc.Email {
				fill.Email = nil
			}
			if m.Phone != nil && nc.Phone != nil && *m.Phone == *nc.Phone {
				fill.Phone = nil
			}
		}
		if c.Merge(fill) {
			c.UpdatedAt = now
			if err := tx.Contacts().Update(ctx, c); err != nil {
				return domain.Contact{}, err
			}
			return c, tx.Events().Publish(ctx, orgID, contactEvents(nil, []domain.Contact{c})...)
		}
		return c, nil
	}
	return domain.Contact{}, apperr.Conflict(domain.ReasonContactTaken, "the contact changed concurrently; retry")
}

func pickMatch(matches []domain.Contact, email *string) domain.Contact {
	if email != nil {
		for _, m := range matches {
			if m.Email != nil && *m.Email == *email {
				return m
			}
		}
	}
	return matches[0]
}

func (s *service) GetLead(ctx context.Context, id string) (LeadRow, error) {
	p, err := requireOn(ctx, PermLeadsRead, id, domain.ReasonLeadNotFound, "lead")
	if err != nil {
		return LeadRow{}, err
	}
	var row LeadRow
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		row, err = visibleLead(ctx, tx, p, id, false)
		return err
	})
	return row, err
}

// writableLead loads and locks a lead the caller may see for a change;
// archived leads are read-only.
func writableLead(ctx context.Context, tx Tx, p auth.Principal, id string) (LeadRow, error) {
	row, err := visibleLead(ctx, tx, p, id, true)
	if err != nil {
		return row, err
	}
	if row.Lead.ArchivedAt != nil {
		return row, apperr.Conflict(domain.ReasonLeadArchived, "the lead is archived")
	}
	return row, nil
}

// UpdateLead changes the fields the update sets. What the update says on
// its own is checked before the lead is looked up, the merged lead before
// the references it adds are checked against the store.
func (s *service) UpdateLead(ctx context.Context, id string, u domain.LeadUpdate) (LeadRow, error) {
	p, err := requireOn(ctx, PermLeadsWrite, id, domain.ReasonLeadNotFound, "lead")
	if err != nil {
		return LeadRow{}, err
	}
	if u, err = u.Check(); err != nil {
		return LeadRow{}, err
	}
	now := s.now()
	var row LeadRow
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if row, err = writableLead(ctx, tx, p, id); err != nil {
			return err
		}
		ch, err := row.Lead.Apply(u, now)
		if err != nil || !ch.Changed {
			return err // nothing changed: no write, no timeline entry, no event
		}
		if err := checkLeadReferences(ctx, tx, &row, u, ch); err != nil {
			return err
		}
		if ch.StatusFrom != nil {
			c := Change{ID: newID(), LeadID: id, Kind: "status_changed", From: ch.StatusFrom, To: &row.Lead.Status, ActorID: actorID(p), OccurredAt: now}
			if err := tx.Leads().RecordChange(ctx, p.OrgID, c); err != nil {
				return err
			}
		}
		if err := s.rescore(ctx, tx, p, &row, now); err != nil {
			return err
		}
		if err := tx.Leads().Update(ctx, row.Lead); err != nil {
			return err
		}
		if ch.Reassigned {
			if err := s.recordAssignment(ctx, tx, p, row, ch.AssigneeFrom, nil, now); err != nil {
				return err
			}
		}
		return s.emit(ctx, tx, p, EventLeadUpdated, id, leadEvent(row))
	})
	return row, err
}

// checkLeadReferences checks what an update of row's lead names against
// the store: its source (whose key it records on row), a new assignee and
// the properties it adds (422 naming the field).
func checkLeadReferences(ctx context.Context, tx Tx, row *LeadRow, u domain.LeadUpdate, ch domain.LeadChange) error {
	if u.SourceID.Set {
		src, err := resolveSource(ctx, tx, u.SourceID.Value, nil)
		if err != nil {
			return err
		}
		row.SourceKey = sourceKey(src)
	}
	if ch.Reassigned {
		if err := checkAssignee(ctx, tx, "assignee_id", row.Lead.AssigneeID); err != nil {
			return err
		}
	}
	return checkKnownProperties(ctx, tx, "property_ids", ch.AddedProperties)
}

// recordAssignment writes the timeline entry and the lead.assigned event of
// an assignment, by ruleID or (nil) explicit: every "assigned" entry of a
// timeline has exactly one event.
func (s *service) recordAssignment(ctx context.Context, tx Tx, p auth.Principal, row LeadRow, from, ruleID *string, now time.Time) error {
	if err := tx.Leads().RecordChange(ctx, p.OrgID, Change{ID: newID(), LeadID: row.Lead.ID, Kind: "assigned", From: from, To: row.Lead.AssigneeID,
		RuleID: ruleID, ActorID: actorID(p), OccurredAt: now}); err != nil {
		return err
	}
	return s.emit(ctx, tx, p, EventLeadAssigned, row.Lead.ID, assignedEvent{leadEventData: leadEvent(row), From: from, To: row.Lead.AssigneeID,
		RuleID: ruleID, ActorID: actorID(p)})
}

func (s *service) ArchiveLead(ctx context.Context, id string) error {
	p, err := requireOn(ctx, PermLeadsWrite, id, domain.ReasonLeadNotFound, "lead")
	if err != nil {
		return err
	}
	now := s.now()
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		row, err := visibleLead(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if row.Lead.ArchivedAt != nil {
			return nil // archiving twice changes nothing and emits nothing
		}
		row.Lead.ArchivedAt, row.Lead.UpdatedAt = &now, now
		if err := tx.Leads().Update(ctx, row.Lead); err != nil {
			return err
		}
		if err := tx.Leads().RecordChange(ctx, p.OrgID, Change{ID: newID(), LeadID: id, Kind: "archived", ActorID: actorID(p), OccurredAt: now}); err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventLeadArchived, id, leadEvent(row))
	})
}

func (s *service) AssignLead(ctx context.Context, id string, userID *string) (LeadRow, error) {
	p, err := requireOn(ctx, PermLeadsWrite, id, domain.ReasonLeadNotFound, "lead")
	if err != nil {
		return LeadRow{}, err
	}
	var f domain.FieldErrors
	assignee := domain.CheckUUID("user_id", userID, &f)
	if err := f.Err(); err != nil {
		return LeadRow{}, err
	}
	now := s.now()
	var row LeadRow
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if row, err = writableLead(ctx, tx, p, id); err != nil {
			return err
		}
		from := row.Lead.AssigneeID
		if domain.EqualPtr(from, assignee) {
			return nil
		}
		if err := checkAssignee(ctx, tx, "user_id", assignee); err != nil {
			return err
		}
		row.Lead.AssigneeID, row.Lead.UpdatedAt = assignee, now
		if err := tx.Leads().Update(ctx, row.Lead); err != nil {
			return err
		}
		return s.recordAssignment(ctx, tx, p, row, from, nil, now)
	})
	return row, err
}

func (s *service) ScoreLead(ctx context.Context, id string) (domain.Score, error) {
	p, err := requireOn(ctx, PermLeadsWrite, id, domain.ReasonLeadNotFound, "lead")
	if err != nil {
		return domain.Score{}, err
	}
	now := s.now()
	var score domain.Score
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		row, err := visibleLead(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if score, err = s.computeScore(ctx, tx, row.Lead, now); err != nil {
			return err
		}
		return s.recordScore(ctx, tx, p, &row, score, now)
	})
	return score, err
}

func (s *service) computeScore(ctx context.Context, tx Tx, l domain.Lead, now time.Time) (domain.Score, error) {
	stats, err := tx.Activities().Stats(ctx, l.ID, now.Add(-scoreWindow))
	if err != nil {
		return domain.Score{}, err
	}
	return s.scoreFrom(ctx, tx, l, stats, now)
}

// scoreFrom scores l from its activity stats and its source's weight.
func (s *service) scoreFrom(ctx context.Context, tx Tx, l domain.Lead, stats ActivityStats, now time.Time) (domain.Score, error) {
	var src *domain.LeadSource
	if l.SourceID != nil {
		got, err := tx.Catalog().Source(ctx, *l.SourceID)
		if err != nil {
			return domain.Score{}, err
		}
		src = &got
	}
	return domain.ComputeScore(scoreInput(now, l, stats, src)), nil
}

// recordScore stores a computed score on the lead and in its history and
// emits lead.scored.
func (s *service) recordScore(ctx context.Context, tx Tx, p auth.Principal, row *LeadRow, score domain.Score, now time.Time) error {
	row.Lead.Score = &score.Value
	if err := tx.Leads().Update(ctx, row.Lead); err != nil {
		return err
	}
	if err := tx.Scores().Record(ctx, p.OrgID, row.Lead.ID, newID(), score, now); err != nil {
		return err
	}
	return s.emit(ctx, tx, p, EventLeadScored, row.Lead.ID, scoredEvent{leadEventData: leadEvent(*row), Factors: score.Factors, ComputedAt: now})
}

// rescore recomputes the score after a change of the lead's own fields; it
// records and announces it only when the value moved. The caller saves
// row.Lead. New activity is scored in the background instead (RescoreLead).
func (s *service) rescore(ctx context.Context, tx Tx, p auth.Principal, row *LeadRow, now time.Time) error {
	score, err := s.computeScore(ctx, tx, row.Lead, now)
	if err != nil {
		return err
	}
	if row.Lead.Score != nil && *row.Lead.Score == score.Value {
		return nil
	}
	return s.recordScore(ctx, tx, p, row, score, now)
}

func scoreInput(now time.Time, l domain.Lead, st ActivityStats, src *domain.LeadSource) domain.ScoreInput {
	in := domain.ScoreInput{
		Now: now, Status: l.Status, LastActivityAt: st.Last,
		Activities: st.Total, Inbound: st.Inbound, Outbound: st.Outbound,
		BudgetMinCents: l.BudgetMinCents, BudgetMaxCents: l.BudgetMaxCents, TargetPriceCents: l.TargetPriceCents,
	}
	if src != nil {
		w := src.Weight
		in.SourceWeight = &w
	}
	return in
}

func (s *service) LogActivity(ctx context.Context, id string, in ActivityInput) (domain.Activity, error) {
	p, err := requireOn(ctx, PermLeadsWrite, id, domain.ReasonLeadNotFound, "lead")
	if err != nil {
		return domain.Activity{}, err
	}
	now := s.now()
	a := domain.Activity{
		ID: newID(), LeadID: id, Type: in.Type, Direction: in.Direction, Outcome: in.Outcome, Body: in.Body,
		OccurredAt: now, ActorID: actorID(p), CreatedAt: now,
	}
	if in.OccurredAt != nil {
		a.OccurredAt = in.OccurredAt.UTC().Truncate(time.Microsecond)
	}
	var f domain.FieldErrors
	a.Validate(now, &f)
	if err := f.Err(); err != nil {
		return domain.Activity{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		row, err := writableLead(ctx, tx, p, id)
		if err != nil {
			return err
		}
		a.LeadID = row.Lead.ID
		if err := tx.Activities().Add(ctx, p.OrgID, a); err != nil {
			return err
		}
		if row.Lead.LastActivityAt == nil || a.OccurredAt.After(*row.Lead.LastActivityAt) {
			row.Lead.LastActivityAt = &a.OccurredAt
		}
		row.Lead.UpdatedAt = now
		if err := s.emit(ctx, tx, p, EventActivityLogged, row.Lead.ID, activityEvent(a)); err != nil {
			return err
		}
		// Scoring follows in the background (RescoreLead), once per burst.
		if err := tx.Jobs().EnqueueRescore(ctx, p.OrgID, row.Lead.ID); err != nil {
			return err
		}
		return tx.Leads().Update(ctx, row.Lead)
	})
	return a, err
}

func (s *service) AddNote(ctx context.Context, id, body string) (domain.Note, error) {
	p, err := requireOn(ctx, PermLeadsWrite, id, domain.ReasonLeadNotFound, "lead")
	if err != nil {
		return domain.Note{}, err
	}
	var f domain.FieldErrors
	now := s.now()
	n := domain.Note{ID: newID(), LeadID: id, Body: domain.ValidateNoteBody(body, &f), AuthorID: actorID(p), CreatedAt: now}
	if err := f.Err(); err != nil {
		return domain.Note{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := writableLead(ctx, tx, p, id); err != nil {
			return err
		}
		if err := tx.Activities().AddNote(ctx, p.OrgID, n); err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventNoteAdded, id, noteEvent(n))
	})
	return n, err
}

func (s *service) LeadTimeline(ctx context.Context, id string, pr PageRequest) (Page[TimelineItem], error) {
	return s.timeline(ctx, PermLeadsRead, id, domain.ReasonLeadNotFound, "lead", pr, func(tx Tx, p auth.Principal) (Page[TimelineItem], error) {
		if _, err := visibleLead(ctx, tx, p, id, false); err != nil {
			return Page[TimelineItem]{}, err
		}
		return tx.Leads().Timeline(ctx, id, pr)
	})
}
