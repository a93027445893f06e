package domain

import (
	"slices"
	"testing"
)

func TestRuleMatch(t *testing.T) {
	t.Parallel()
	src, other := "0190c0de-0000-7000-8000-00000000000a", "0190c0de-0000-7000-8000-00000000000b"
	lead := func(postal *string, target, bmin, bmax *int64, source *string) Lead {
		return Lead{PostalCode: postal, TargetPriceCents: target, BudgetMinCents: bmin, BudgetMaxCents: bmax, SourceID: source}
	}
	tests := []struct {
		name  string
		match RuleMatch
		lead  Lead
		want  bool
	}{
		{"empty match is a catch-all", RuleMatch{}, Lead{}, true},
		{"exact code, other spelling", RuleMatch{PostalCodes: []string{"SW1A1AA"}}, lead(ptr("sw1a 1aa"), nil, nil, nil, nil), true},
		{"exact code differs", RuleMatch{PostalCodes: []string{"94103"}}, lead(ptr("94104"), nil, nil, nil, nil), false},
		{"prefix of a ZIP+4", RuleMatch{PostalCodePrefixes: []string{"941"}}, lead(ptr("94103-1234"), nil, nil, nil, nil), true},
		{"either list may match", RuleMatch{PostalCodes: []string{"10001"}, PostalCodePrefixes: []string{"941"}}, lead(ptr("94110"), nil, nil, nil, nil), true},
		{"no postal code, postal rule", RuleMatch{PostalCodePrefixes: []string{"9"}}, Lead{}, false},
		{"target price inside the band", RuleMatch{MinPriceCents: ptr[int64](100), MaxPriceCents: ptr[int64](200)}, lead(nil, ptr[int64](200), nil, nil, nil), true},
		{"target price wins over the budget", RuleMatch{MaxPriceCents: ptr[int64](200)}, lead(nil, ptr[int64](150), nil, ptr[int64](900), nil), true},
		{"budget top when no target", RuleMatch{MinPriceCents: ptr[int64](500)}, lead(nil, nil, ptr[int64](100), ptr[int64](600), nil), true},
		{"budget bottom when nothing else", RuleMatch{MinPriceCents: ptr[int64](500)}, lead(nil, nil, ptr[int64](100), nil, nil), false},
		{"no amount, price rule", RuleMatch{MinPriceCents: ptr[int64](0)}, Lead{}, false},
		{"below the band", RuleMatch{MinPriceCents: ptr[int64](100)}, lead(nil, ptr[int64](99), nil, nil, nil), false},
		{"source in the list", RuleMatch{SourceIDs: []string{other, src}}, lead(nil, nil, nil, nil, &src), true},
		{"source not in the list", RuleMatch{SourceIDs: []string{other}}, lead(nil, nil, nil, nil, &src), false},
		{"every condition must hold", RuleMatch{PostalCodePrefixes: []string{"94"}, MaxPriceCents: ptr[int64](10)}, lead(ptr("94103"), ptr[int64](11), nil, nil, nil), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.match.Matches(tc.lead); got != tc.want {
				t.Fatalf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNextInRotation(t *testing.T) {
	t.Parallel()
	members := []string{"a", "c", "e"}
	var got []string
	var last *string
	for range 7 {
		next := NextInRotation(members, last)
		got = append(got, next)
		last = &next
	}
	if want := []string{"a", "c", "e", "a", "c", "e", "a"}; !slices.Equal(got, want) {
		t.Fatalf("rotation = %v, want %v", got, want)
	}
	// A member who left: the turn passes to the next one after them.
	if n := NextInRotation(members, ptr("d")); n != "e" {
		t.Fatalf("after a departed member = %s, want e", n)
	}
	if n := NextInRotation(members, ptr("z")); n != "a" {
		t.Fatalf("after the end = %s, want a", n)
	}
}

func TestRuleValidate(t *testing.T) {
	t.Parallel()
	user := "0190c0de-0000-7000-8000-00000000000a"
	r := AssignmentRule{Name: "  Downtown ", Target: RuleTarget{UserID: &user},
		Match: RuleMatch{PostalCodes: []string{"sw1a 1aa", "SW1A-1AA", "94103"}, PostalCodePrefixes: []string{" 941 "}}}
	var f FieldErrors
	r.Validate(&f)
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
	if r.Name != "Downtown" || !slices.Equal(r.Match.PostalCodes, []string{"SW1A1AA", "94103"}) || !slices.Equal(r.Match.PostalCodePrefixes, []string{"941"}) {
		t.Fatalf("normalised rule = %+v", r)
	}

	bad := AssignmentRule{Position: -1, Target: RuleTarget{UserID: &user, TeamID: &user},
		Match: RuleMatch{PostalCodes: []string{"94103;DROP"}, MinPriceCents: ptr[int64](5), MaxPriceCents: ptr[int64](4)}}
	var bf FieldErrors
	bad.Validate(&bf)
	fields := map[string]bool{}
	for _, e := range bf {
		fields[e.Field] = true
	}
	for _, want := range []string{"name", "position", "match.postal_codes", "match.max_price_cents", "target"} {
		if !fields[want] {
			t.Errorf("no error on %s: %v", want, bf)
		}
	}
	var none FieldErrors
	(&AssignmentRule{Name: "x"}).Validate(&none)
	if len(none) != 1 || none[0].Field != "target" {
		t.Errorf("rule without a target: %v", none)
	}
}

func TestAgentOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		roles []string
		want  bool
	}{
		{[]string{"agent"}, true},
		{[]string{"agent", "agent"}, true},
		{[]string{"agent", "sales"}, false},
		{[]string{"admin"}, false},
		{[]string{"closer"}, false},
		{nil, false},
	} {
		if got := AgentOnly(tc.roles); got != tc.want {
			t.Errorf("AgentOnly(%v) = %v, want %v", tc.roles, got, tc.want)
		}
	}
}
