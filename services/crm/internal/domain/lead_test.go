package domain

import (
	"slices"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
)

// fieldsOf lists the fields an error names, in order (none for nil).
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindInvalid {
		t.Fatalf("err = %v, want invalid input", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

const (
	uuidA = "01900000-0000-7000-8000-00000000000a"
	uuidB = "01900000-0000-7000-8000-00000000000b"
	uuidC = "01900000-0000-7000-8000-00000000000c"
)

func TestNewLead(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	person := ContactInput{FirstName: ptr("Ada"), Email: ptr(" Ada@Example.com ")}
	many := make([]string, MaxPropertyIDs+1)
	for i := range many {
		many[i] = uuidA
	}
	for _, tc := range []struct {
		name   string
		in     LeadInput
		fields []string // the fields the error names, in order
		check  func(t *testing.T, d LeadDraft)
	}{
		{"a person makes a new lead", LeadInput{Contact: person}, nil, func(t *testing.T, d LeadDraft) {
			if d.Lead.ID != "id" || d.Lead.Status != StatusNew || !d.Lead.CreatedAt.Equal(now) || !d.Lead.UpdatedAt.Equal(now) {
				t.Errorf("lead = %+v", d.Lead)
			}
			if d.ContactID != nil || d.Contact.Email == nil || *d.Contact.Email != "ada@example.com" {
				t.Errorf("contact = %v %+v", d.ContactID, d.Contact)
			}
		}},
		{"a named contact, a source by key, ids in canonical form", LeadInput{
			ContactID: ptr(strings.ToUpper(uuidA)), Source: ptr("referral"), Status: ptr(StatusQualified),
			AssigneeID: ptr(" " + uuidB + " "), PropertyIDs: []string{uuidC, strings.ToUpper(uuidC), uuidA},
		}, nil, func(t *testing.T, d LeadDraft) {
			if *d.ContactID != uuidA || *d.SourceKey != "referral" || d.Lead.SourceID != nil || *d.Lead.AssigneeID != uuidB {
				t.Errorf("draft = %+v", d)
			}
			if d.Lead.Status != StatusQualified || !slices.Equal(d.Lead.PropertyIDs, []string{uuidC, uuidA}) {
				t.Errorf("lead = %+v", d.Lead)
			}
		}},
		{"no contact at all", LeadInput{Contact: ContactInput{FirstName: ptr("  ")}}, []string{"email"}, nil},
		{"a contact named and given", LeadInput{ContactID: ptr(uuidA), Contact: person}, []string{"contact_id"}, nil},
		{"a source by id and by key", LeadInput{Contact: person, SourceID: ptr(uuidA), Source: ptr("web")}, []string{"source"}, nil},
		{"too many properties", LeadInput{Contact: person, PropertyIDs: many}, []string{"property_ids"}, nil},
		{"a budget upside down", LeadInput{Contact: person, BudgetMinCents: ptr(int64(10)), BudgetMaxCents: ptr(int64(9))},
			[]string{"budget_max_cents"}, nil},
		{"every field wrong names each, in order", LeadInput{
			ContactID: ptr("c"), Contact: ContactInput{Email: ptr("not mail")}, SourceID: ptr("s"), Source: ptr("web"),
			Status: ptr("hot"), AssigneeID: ptr("a"), BudgetMinCents: ptr(int64(-1)), PostalCode: ptr("#"),
			PropertyIDs: []string{"p"},
		}, []string{"status", "assignee_id", "postal_code", "source_id", "source", "property_ids", "budget_min_cents",
			"contact_id", "email"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := NewLead("id", tc.in, "US", now)
			if got := fieldsOf(t, err); !slices.Equal(got, tc.fields) {
				t.Fatalf("fields = %v, want %v", got, tc.fields)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestLeadApply(t *testing.T) {
	t.Parallel()
	created, now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	base := Lead{ID: "l", Status: StatusNew, AssigneeID: ptr(uuidA), BudgetMinCents: ptr(int64(100)),
		BudgetMaxCents: ptr(int64(200)), PropertyIDs: []string{uuidA}, CreatedAt: created, UpdatedAt: created}
	set := func(v string) Optional[string] { return Optional[string]{Set: true, Value: &v} }
	setInt := func(v int64) Optional[int64] { return Optional[int64]{Set: true, Value: &v} }
	props := func(ids ...string) Optional[[]string] { return Optional[[]string]{Set: true, Value: &ids} }
	for _, tc := range []struct {
		name   string
		u      LeadUpdate
		fields []string
		want   LeadChange
		after  func(l *Lead) // the lead's expected fields after a change
	}{
		{"nothing set changes nothing", LeadUpdate{}, nil, LeadChange{}, nil},
		{"the same values change nothing", LeadUpdate{Status: set(StatusNew), AssigneeID: set(strings.ToUpper(uuidA)),
			PropertyIDs: props(uuidA, uuidA)}, nil, LeadChange{}, nil},
		{"a status change names the old status", LeadUpdate{Status: set(StatusContacted)}, nil,
			LeadChange{Changed: true, StatusFrom: ptr(StatusNew)}, func(l *Lead) { l.Status = StatusContacted }},
		{"unassigning is a reassignment", LeadUpdate{AssigneeID: Optional[string]{Set: true}}, nil,
			LeadChange{Changed: true, Reassigned: true, AssigneeFrom: ptr(uuidA)}, func(l *Lead) { l.AssigneeID = nil }},
		{"only the properties not held before are added", LeadUpdate{PropertyIDs: props(uuidB, uuidA, uuidC)}, nil,
			LeadChange{Changed: true, AddedProperties: []string{uuidB, uuidC}},
			func(l *Lead) { l.PropertyIDs = []string{uuidB, uuidA, uuidC} }},
		{"null properties are none", LeadUpdate{PropertyIDs: Optional[[]string]{Set: true}}, nil,
			LeadChange{Changed: true}, func(l *Lead) { l.PropertyIDs = []string{} }},
		{"the budget is judged with the values kept", LeadUpdate{BudgetMinCents: setInt(300)}, []string{"budget_max_cents"},
			LeadChange{}, nil},
		{"a status cannot be cleared", LeadUpdate{Status: Optional[string]{Set: true}}, []string{"status"}, LeadChange{}, nil},
		{"malformed ids are named", LeadUpdate{SourceID: set("x"), AssigneeID: set("y")}, []string{"source_id", "assignee_id"},
			LeadChange{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := base
			l.PropertyIDs = slices.Clone(base.PropertyIDs)
			ch, err := l.Apply(tc.u, now)
			if got := fieldsOf(t, err); !slices.Equal(got, tc.fields) {
				t.Fatalf("fields = %v, want %v", got, tc.fields)
			}
			if ch.Changed != tc.want.Changed || ch.Reassigned != tc.want.Reassigned || !EqualPtr(ch.StatusFrom, tc.want.StatusFrom) ||
				!EqualPtr(ch.AssigneeFrom, tc.want.AssigneeFrom) || !slices.Equal(ch.AddedProperties, tc.want.AddedProperties) {
				t.Errorf("change = %+v, want %+v", ch, tc.want)
			}
			want := base
			want.PropertyIDs = slices.Clone(base.PropertyIDs)
			if tc.after != nil {
				tc.after(&want)
				want.UpdatedAt = now
			}
			if !sameLead(l, want) || !l.UpdatedAt.Equal(want.UpdatedAt) {
				t.Errorf("lead = %+v, want %+v", l, want)
			}
		})
	}
}

func TestLeadUpdateCheckCanonicalises(t *testing.T) {
	t.Parallel()
	ids := []string{strings.ToUpper(uuidB), uuidB}
	u, err := LeadUpdate{AssigneeID: Optional[string]{Set: true, Value: ptr(" " + strings.ToUpper(uuidA))},
		PostalCode: Optional[string]{Set: true, Value: ptr(" 94103 ")}, PropertyIDs: Optional[[]string]{Set: true, Value: &ids}}.Check()
	if err != nil {
		t.Fatal(err)
	}
	if *u.AssigneeID.Value != uuidA || *u.PostalCode.Value != "94103" || !slices.Equal(*u.PropertyIDs.Value, []string{uuidB}) {
		t.Errorf("checked = %v %v %v", *u.AssigneeID.Value, *u.PostalCode.Value, *u.PropertyIDs.Value)
	}
}
