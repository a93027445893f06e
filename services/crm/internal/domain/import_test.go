package domain

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// row builds the values of one record from field=value pairs.
func row(kv ...string) []string {
	v := make([]string, len(ImportFields()))
	for i := 0; i+1 < len(kv); i += 2 {
		v[ImportFieldIndex(kv[i])] = kv[i+1]
	}
	return v
}

func fieldNames(f FieldErrors) []string {
	var out []string
	for _, e := range f {
		out = append(out, e.Field)
	}
	return out
}

func TestParseImportRow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		bad    []string
		check  func(t *testing.T, r ImportRow)
	}{
		{"normalised like the API", row("email", " Ann@Example.COM ", "phone", "(415) 555-0101", "first_name", " Ann "), nil, func(t *testing.T, r ImportRow) {
			if *r.Contact.Email != "ann@example.com" || *r.Contact.Phone != "+14155550101" || *r.Contact.FirstName != "Ann" || r.Status != StatusNew {
				t.Fatalf("row = %+v", r)
			}
		}},
		{"own phone region", row("phone", "020 7946 0958", "phone_region", "gb"), nil, func(t *testing.T, r ImportRow) {
			if *r.Contact.Phone != "+442079460958" {
				t.Fatalf("phone = %s", *r.Contact.Phone)
			}
		}},
		{"lead fields", row("email", "a@b.io", "status", "Qualified", "source", " Open house ", "postal_code", "94103-1234",
			"budget_min_cents", "100", "budget_max_cents", "200", "target_price_cents", "150"), nil, func(t *testing.T, r ImportRow) {
			if r.Status != StatusQualified || *r.Source != "Open house" || *r.PostalCode != "94103-1234" ||
				*r.BudgetMinCents != 100 || *r.BudgetMaxCents != 200 || *r.TargetPriceCents != 150 {
				t.Fatalf("row = %+v", r)
			}
		}},
		{"the columns people have", row("email", "a@b.io", "full_name", "Diaz, Dee", "tags", "Buyer; downtown|buyer", "notes", " wants a yard ",
			"assigned_agent", "Pat", "budget_max", "$450,000", "target_price", "€1.234,56"), nil, func(t *testing.T, r ImportRow) {
			if *r.Contact.FirstName != "Dee" || *r.Contact.LastName != "Diaz" || strings.Join(r.Tags, ",") != "buyer,downtown" ||
				*r.Note != "wants a yard" || *r.Agent != "Pat" || *r.BudgetMaxCents != 45000000 || *r.TargetPriceCents != 123456 {
				t.Fatalf("row = %+v", r)
			}
		}},
		{"a full name does not override the names", row("email", "a@b.io", "first_name", "Ann", "full_name", "Someone Else"), nil, func(t *testing.T, r ImportRow) {
			if *r.Contact.FirstName != "Ann" || (r.Contact.LastName != nil && *r.Contact.LastName != "") {
				t.Fatalf("row = %+v", r.Contact)
			}
		}},
		{"bad people values", row("email", "a@b.io", "budget_min", "12.345", "budget_max", "1", "budget_max_cents", "100",
			"tags", strings.Repeat("t,", 0)+"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u", "notes", "a\x00b"),
			[]string{"budget_min", "budget_max", "tags", "notes"}, nil},
		{"neither email nor phone", row("first_name", "Nobody"), []string{"email"}, nil},
		{"bad email names only email", row("email", "Jane <j@x.io>"), []string{"email"}, nil},
		{"bad phone names only phone", row("phone", "12"), []string{"phone"}, nil},
		{"every bad column", row("email", "a@b.io", "phone_region", "ZZ", "status", "hot", "postal_code", "!!", "budget_min_cents", "12.50",
			"budget_max_cents", "1,200", "target_price_cents", "99999999999999999999"),
			[]string{"phone_region", "status", "postal_code", "budget_min_cents", "budget_max_cents", "target_price_cents"}, nil},
		{"budget range", row("email", "a@b.io", "budget_min_cents", "300", "budget_max_cents", "200"), []string{"budget_max_cents"}, nil},
		{"NUL in a name", row("email", "a@b.io", "first_name", "a\x00b"), []string{"first_name"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var f FieldErrors
			r := ParseImportRow(7, tc.values, "US", &f)
			if got := fieldNames(f); !reflect.DeepEqual(got, tc.bad) {
				t.Fatalf("bad fields = %v (%+v), want %v", got, f, tc.bad)
			}
			if r.Line != 7 {
				t.Fatalf("line = %d", r.Line)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestSplitFullName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"Ann Ames": {"Ann", "Ames"}, "Mary Ann Smith": {"Mary Ann", "Smith"}, "Diaz, Dee": {"Dee", "Diaz"}, "Cher": {"Cher", ""},
		" van Dyke ,  Dick ": {"Dick", "van Dyke"},
	} {
		if f, l := SplitFullName(in); f != want[0] || l != want[1] {
			t.Errorf("SplitFullName(%q) = %q, %q; want %v", in, f, l, want)
		}
	}
}

func TestNewImportedSource(t *testing.T) {
	t.Parallel()
	for in, key := range map[string]string{
		"Zillow": "zillow", " Realtor.com ": "realtor_com", "Open House!": "open_house", "99 Acres": "s_99_acres", "***": "source",
		strings.Repeat("ab ", 30): strings.TrimRight(strings.Repeat("ab_", 17)[:50], "_"),
	} {
		s, ok := NewImportedSource(in)
		if !ok || s.Key != key || s.Name != strings.TrimSpace(in) || s.Weight != ImportedSourceWeight {
			t.Errorf("NewImportedSource(%q) = %+v, %v; want key %q", in, s, ok, key)
		}
	}
	if _, ok := NewImportedSource(strings.Repeat("x", 101)); ok {
		t.Error("a 101-character name made a source")
	}
}

func TestCheckImportColumns(t *testing.T) {
	t.Parallel()
	if err := CheckImportColumns(func(i int) bool { return i == ColFirstName }); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("names only: %v", err)
	}
	if err := CheckImportColumns(func(i int) bool { return i == ColPhone }); err != nil {
		t.Fatal(err)
	}
}

func sp(s string) *string { return &s }

func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("id-%d", n) }
}

func TestPlanImportMergeRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	old := now.Add(-time.Hour)
	known := []ImportMatch{
		// Has an active lead: rows for her merge.
		{Contact: Contact{ID: "ann", FirstName: "Ann", Email: sp("ann@x.io"), CreatedAt: old}, ActiveLead: true},
		// No active lead (only an archived one): a row gives her a new lead.
		{Contact: Contact{ID: "bob", Phone: sp("+14155550102"), CreatedAt: old}},
		// Holds a phone another row carries for Ann: never copied to Ann.
		{Contact: Contact{ID: "cy", Phone: sp("+14155550103"), CreatedAt: old}, ActiveLead: true},
	}
	rows := []ImportRow{
		{Line: 2, Contact: NormalizedContact{Email: sp("ann@x.io"), Phone: sp("+14155550103"), LastName: sp("Ames")}, Status: StatusNew},
		{Line: 3, Contact: NormalizedContact{Phone: sp("+14155550102"), FirstName: sp("Bob"), Email: sp("bob@x.io")}, Status: StatusContacted, Source: sp("Web Site")},
		{Line: 4, Contact: NormalizedContact{Email: sp("bob@x.io")}, Status: StatusNew},                                  // Bob again, by the email row 3 filled
		{Line: 5, Contact: NormalizedContact{Email: sp("dee@x.io"), FirstName: sp("Dee")}, Status: StatusNew},            // new person
		{Line: 6, Contact: NormalizedContact{Phone: sp("+14155550104"), Email: sp("dee@x.io")}, Status: StatusQualified}, // Dee again by email
		{Line: 7, Contact: NormalizedContact{Phone: sp("+14155550104")}, Status: StatusNew},                              // Dee by the phone row 6 filled
	}
	plan := PlanImport(rows, known, map[string]string{"web site": "src-web"}, ids(), now)

	if len(plan.Leads) != 2 || plan.Leads[0].Line != 3 || plan.Leads[1].Line != 5 {
		t.Fatalf("leads = %+v", plan.Leads)
	}
	bobLead, deeLead := plan.Leads[0].Lead, plan.Leads[1].Lead
	if bobLead.ContactID != "bob" || bobLead.Status != StatusContacted || bobLead.SourceID == nil || *bobLead.SourceID != "src-web" || !bobLead.CreatedAt.Equal(now) {
		t.Fatalf("bob's lead = %+v", bobLead)
	}
	if !reflect.DeepEqual(plan.Merged, []int{2, 4, 6, 7}) {
		t.Fatalf("merged = %v", plan.Merged)
	}
	if len(plan.NewContacts) != 1 {
		t.Fatalf("new contacts = %+v", plan.NewContacts)
	}
	dee := plan.NewContacts[0]
	if dee.ID != deeLead.ContactID || *dee.Email != "dee@x.io" || dee.Phone == nil || *dee.Phone != "+14155550104" || dee.FirstName != "Dee" {
		t.Fatalf("dee = %+v", dee)
	}
	// Ann got her empty last name, not cy's phone; Bob his name and email.
	want := map[string]Contact{
		"ann": {ID: "ann", FirstName: "Ann", LastName: "Ames", Email: sp("ann@x.io"), CreatedAt: old, UpdatedAt: now},
		"bob": {ID: "bob", FirstName: "Bob", Email: sp("bob@x.io"), Phone: sp("+14155550102"), CreatedAt: old, UpdatedAt: now},
	}
	if len(plan.UpdatedContacts) != 2 {
		t.Fatalf("updated = %+v", plan.UpdatedContacts)
	}
	for _, c := range plan.UpdatedContacts {
		if !reflect.DeepEqual(c, want[c.ID]) {
			t.Errorf("updated %s = %+v, want %+v", c.ID, c, want[c.ID])
		}
	}
}

func TestPlanImportNeverOverwrites(t *testing.T) {
	t.Parallel()
	now := time.Now()
	known := []ImportMatch{{Contact: Contact{ID: "k", FirstName: "Kim", LastName: "Old", Email: sp("k@x.io"), Phone: sp("+14155550109")}, ActiveLead: true}}
	rows := []ImportRow{{Line: 2, Contact: NormalizedContact{Email: sp("k@x.io"), Phone: sp("+14155550100"), FirstName: sp("Kimberly"), LastName: sp("New")}}}
	plan := PlanImport(rows, known, nil, ids(), now)
	if len(plan.UpdatedContacts) != 0 || len(plan.Leads) != 0 || len(plan.Merged) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
}

func TestSourceLookupPrefersKeys(t *testing.T) {
	t.Parallel()
	m := SourceLookup([]LeadSource{{ID: "1", Key: "website", Name: "Web"}, {ID: "2", Key: "web", Name: "Website"}})
	if m["website"] != "1" || m["web"] != "2" {
		t.Fatalf("lookup = %v", m)
	}
}
