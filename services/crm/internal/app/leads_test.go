package app_test

import (
	"context"
	"slices"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// eventsOf lists the events' "type aggregate/id", in order.
func eventsOf(evs []app.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type + " " + e.Aggregate + "/" + e.ID
	}
	return out
}

// expectInvalid checks err is invalid input naming field (and reason, when
// given).
func expectInvalid(t *testing.T, err error, field, reason string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) == 0 || e.Fields[0].Field != field || (reason != "" && e.Reason != reason) {
		t.Fatalf("err = %v, want invalid input naming %s (reason %q)", err, field, reason)
	}
}

func (e *env) admin() context.Context { return e.as(0, []string{"admin"}, "*") }

func (e *env) newLead(t *testing.T, ctx context.Context, in domain.LeadInput) app.LeadRow {
	t.Helper()
	row, err := e.svc.CreateLead(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func TestCreateLeadRecordsAndAnnouncesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	row := e.newLead(t, e.admin(), domain.LeadInput{
		Contact: domain.ContactInput{FirstName: ptr("Ada"), Email: ptr("Ada@Example.com")}, Source: ptr("referral"),
	})
	d := e.store.org(e.org)
	l, ok := d.leads[row.Lead.ID]
	if !ok || l.Status != domain.StatusNew || l.ContactID != row.Contact.ID || l.Score == nil || l.SourceID == nil {
		t.Fatalf("stored lead = %+v (ok %v)", l, ok)
	}
	if c := d.contacts[row.Contact.ID]; *c.Email != "ada@example.com" || c.FirstName != "Ada" {
		t.Errorf("contact = %+v", c)
	}
	if len(d.scores[l.ID]) != 1 || d.scores[l.ID][0].Value != *l.Score {
		t.Errorf("score history = %+v, lead score %d", d.scores[l.ID], *l.Score)
	}
	if len(d.changes) != 1 || d.changes[0].Kind != "created" || *d.changes[0].To != domain.StatusNew {
		t.Errorf("changes = %+v", d.changes)
	}
	// The new person is announced with the lead.
	if got, want := eventsOf(d.events), []string{app.EventContactCreated + " contact/" + row.Contact.ID, app.EventLeadCreated + " lead/" + l.ID}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}

	// The same person again is the same contact, not a second one; the
	// name the form filled in is announced as the contact's update.
	again := e.newLead(t, e.admin(), domain.LeadInput{Contact: domain.ContactInput{Email: ptr("ada@example.com"), LastName: ptr("Byron")}})
	if again.Contact.ID != row.Contact.ID || again.Contact.FirstName != "Ada" || again.Contact.LastName != "Byron" {
		t.Errorf("second lead's contact = %+v, want %s merged", again.Contact, row.Contact.ID)
	}
	d = e.store.org(e.org)
	if got, want := eventsOf(d.events)[2:], []string{app.EventContactUpdated + " contact/" + row.Contact.ID, app.EventLeadCreated + " lead/" + again.Lead.ID}; !slices.Equal(got, want) {
		t.Errorf("events of the second lead = %v, want %v", got, want)
	}
}

func TestCreateLeadAssignsAndAnnouncesTheAssignment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := fakeID("user", 1)
	d := e.store.org(e.org)
	d.users[agent] = true
	rule := domain.AssignmentRule{ID: fakeID("lead", 9), Name: "all", Enabled: true, Target: domain.RuleTarget{UserID: &agent}}
	d.rules = []domain.AssignmentRule{rule}

	row := e.newLead(t, e.admin(), domain.LeadInput{Contact: domain.ContactInput{Email: ptr("b@example.com")}})
	if !domain.EqualPtr(row.Lead.AssigneeID, &agent) {
		t.Fatalf("assignee = %v, want the rule's %s", row.Lead.AssigneeID, agent)
	}
	d = e.store.org(e.org)
	want := []string{app.EventContactCreated + " contact/" + row.Contact.ID, app.EventLeadCreated + " lead/" + row.Lead.ID,
		app.EventLeadAssigned + " lead/" + row.Lead.ID}
	if got := eventsOf(d.events); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if last := d.changes[len(d.changes)-1]; last.Kind != "assigned" || !domain.EqualPtr(last.RuleID, &rule.ID) {
		t.Errorf("last change = %+v, want assigned by the rule", last)
	}
}

// TestCreateLeadByAnAgentLimitedToItsOwn: with agents_see_only_assigned,
// an agent's new lead that no rule assigns is the agent's, or the agent
// could not see what it just created.
func TestCreateLeadByAnAgentLimitedToItsOwn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.org(e.org).settings.AgentsSeeOnlyAssigned = true
	agent := e.as(1, []string{domain.RoleAgent}, app.PermLeadsRead, app.PermLeadsWrite)
	row := e.newLead(t, agent, domain.LeadInput{Contact: domain.ContactInput{Email: ptr("c@example.com")}})
	if me := fakeID("user", 1); !domain.EqualPtr(row.Lead.AssigneeID, &me) {
		t.Fatalf("assignee = %v, want the agent %s", row.Lead.AssigneeID, me)
	}
	if _, err := e.svc.GetLead(agent, row.Lead.ID); err != nil {
		t.Fatalf("the agent cannot see its lead: %v", err)
	}
	other := e.as(2, []string{domain.RoleAgent}, app.PermLeadsRead, app.PermLeadsWrite)
	if _, err := e.svc.GetLead(other, row.Lead.ID); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("another agent: err = %v, want not found", err)
	}
}

// TestRefusedCreateLeadLeavesNothing: a reference the store does not know
// (a source id, a property) is a 422 naming the field, and the transaction
// that found it out leaves no contact, lead or event behind.
func TestRefusedCreateLeadLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, field string
		in          domain.LeadInput
	}{
		{"unknown source id", "source_id", domain.LeadInput{SourceID: ptr(fakeID("source", 99))}},
		{"unknown source key", "source", domain.LeadInput{Source: ptr("billboard")}},
		{"unknown property", "property_ids", domain.LeadInput{PropertyIDs: []string{fakeID("property", 0)}}},
		{"inactive assignee", "assignee_id", domain.LeadInput{AssigneeID: ptr(fakeID("user", 5))}},
		{"a contact the caller cannot see", "contact_id", domain.LeadInput{ContactID: ptr(fakeID("lead", 7))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			in := tc.in
			if in.ContactID == nil {
				in.Contact = domain.ContactInput{Email: ptr("d@example.com")}
			}
			_, err := e.svc.CreateLead(e.admin(), in)
			expectInvalid(t, err, tc.field, "")
			d := e.store.org(e.org)
			if len(d.leads)+len(d.contacts)+len(d.events)+len(d.changes) != 0 {
				t.Fatalf("left %d leads, %d contacts, %v, %+v", len(d.leads), len(d.contacts), eventsOf(d.events), d.changes)
			}
		})
	}
}

func TestUpdateLead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	row := e.newLead(t, e.admin(), domain.LeadInput{Contact: domain.ContactInput{Email: ptr("e@example.com")}})
	id := row.Lead.ID
	before := len(e.store.org(e.org).events)

	// A malformed update is refused before the lead is looked up: even an
	// unknown lead answers 422.
	_, err := e.svc.UpdateLead(e.admin(), fakeID("lead", 42), domain.LeadUpdate{Status: domain.Optional[string]{Set: true, Value: ptr("hot")}})
	expectInvalid(t, err, "status", "")

	contacted := domain.LeadUpdate{Status: domain.Optional[string]{Set: true, Value: ptr(domain.StatusContacted)}}
	got, err := e.svc.UpdateLead(e.admin(), id, contacted)
	if err != nil || got.Lead.Status != domain.StatusContacted || !got.Lead.UpdatedAt.Equal(e.now) {
		t.Fatalf("update = %+v, %v", got.Lead, err)
	}
	d := e.store.org(e.org)
	last := d.changes[len(d.changes)-1]
	if last.Kind != "status_changed" || *last.From != domain.StatusNew || *last.To != domain.StatusContacted {
		t.Errorf("change = %+v", last)
	}
	if evs := eventsOf(d.events[before:]); !slices.Contains(evs, app.EventLeadUpdated+" lead/"+id) {
		t.Errorf("events = %v, want lead.updated", evs)
	}

	// The same update again changes nothing: no entry, no event.
	changes, events := len(d.changes), len(d.events)
	if _, err := e.svc.UpdateLead(e.admin(), id, contacted); err != nil {
		t.Fatal(err)
	}
	if d = e.store.org(e.org); len(d.changes) != changes || len(d.events) != events {
		t.Errorf("a no-op update recorded %v", eventsOf(d.events[events:]))
	}

	// An assignee crm does not know as an active user is refused, and the
	// lead keeps its status although the update also changed it.
	_, err = e.svc.UpdateLead(e.admin(), id, domain.LeadUpdate{
		Status:     domain.Optional[string]{Set: true, Value: ptr(domain.StatusQualified)},
		AssigneeID: domain.Optional[string]{Set: true, Value: ptr(fakeID("user", 8))},
	})
	expectInvalid(t, err, "assignee_id", "")
	if d = e.store.org(e.org); d.leads[id].Status != domain.StatusContacted || len(d.events) != events {
		t.Errorf("a refused update changed the lead to %s or announced %v", d.leads[id].Status, eventsOf(d.events[events:]))
	}
}

func TestMoveDeal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lead := e.newLead(t, e.admin(), domain.LeadInput{Contact: domain.ContactInput{Email: ptr("f@example.com")}})
	agent := e.as(1, []string{"sales"}, app.PermDealsRead, app.PermDealsWrite, app.PermLeadsRead)
	deal, err := e.svc.CreateDeal(agent, app.DealInput{LeadID: lead.Lead.ID, Title: "Purchase", ValueCents: ptr(int64(500))})
	if err != nil {
		t.Fatal(err)
	}
	if first, _ := domain.FirstOpenStage(e.store.org(e.org).stages); deal.StageID != first.ID {
		t.Fatalf("a new deal starts in %s, want the first open stage %s", deal.StageID, first.Key)
	}
	move := func(ctx context.Context, key string) (domain.Deal, error) {
		return e.svc.MoveDeal(ctx, deal.ID, app.StageMove{Stage: &key})
	}

	d := e.store.org(e.org)
	history, events := len(d.stageChanges), len(d.events)
	_, err = move(agent, "closed_won")
	expectInvalid(t, err, "stage", domain.ReasonIllegalTransition)
	if d = e.store.org(e.org); len(d.stageChanges) != history || len(d.events) != events {
		t.Fatalf("a refused move recorded %d stage changes, %v", len(d.stageChanges)-history, eventsOf(d.events[events:]))
	}

	if _, err := move(agent, "under_contract"); err != nil {
		t.Fatal(err)
	}
	won, err := move(agent, "closed_won")
	if err != nil || won.ClosedAt == nil || !won.ClosedAt.Equal(e.now) {
		t.Fatalf("won = %+v, %v", won, err)
	}
	d = e.store.org(e.org)
	want := []string{app.EventDealStageChanged + " deal/" + deal.ID, app.EventDealStageChanged + " deal/" + deal.ID,
		app.EventDealWon + " deal/" + deal.ID}
	if got := eventsOf(d.events[events:]); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	// Closed is closed for an agent; an admin may reopen.
	if _, err := move(agent, "offer"); err == nil {
		t.Error("an agent reopened a won deal")
	}
	if reopened, err := move(e.admin(), "offer"); err != nil || reopened.ClosedAt != nil {
		t.Errorf("admin reopen = %+v, %v", reopened, err)
	}
}
