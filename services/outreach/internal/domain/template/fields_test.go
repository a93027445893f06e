package template

import (
	"slices"
	"testing"
)

func TestFields(t *testing.T) {
	t.Parallel()
	want := []string{
		"contact.first_name", "contact.last_name", "contact.full_name", "contact.email", "contact.phone",
		"lead.stage", "lead.source", "lead.postal_code", "lead.score",
		"agent.full_name", "agent.email", "agent.phone",
		"org.name", "org.postal_address", "org.help_text",
		"unsubscribe_url",
	}
	if got := Fields(); !slices.Equal(got, want) {
		t.Fatalf("Fields() = %v\nwant %v", got, want)
	}
}

// Every declared field renders its own value of the sample data, so a
// field wired to the wrong Data member shows here.
func TestEveryFieldRendersItsValue(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"contact.first_name": "Jordan",
		"contact.last_name":  "Rivera",
		"contact.full_name":  "Jordan Rivera",
		"contact.email":      "jordan.rivera@example.com",
		"contact.phone":      "+14155550123",
		"lead.stage":         "qualified",
		"lead.source":        "website",
		"lead.postal_code":   "94110",
		"lead.score":         "72",
		"agent.full_name":    "Alex Morgan",
		"agent.email":        "alex.morgan@example.com",
		"agent.phone":        "+14155550188",
		"org.name":           "Bayview Realty",
		"org.postal_address": "100 Market Street, Suite 300, San Francisco, CA 94105",
		"org.help_text":      "Bayview Realty: reply STOP to opt out, or call +14155550100.",
		"unsubscribe_url":    "https://example.com/u/sample-token",
	}
	fields := Fields()
	if len(fields) != len(want) {
		t.Fatalf("%d fields, %d expected values", len(fields), len(want))
	}
	for _, f := range fields {
		s, err := CompileSMS(SMSSource{Body: "{{ ." + f + " }}"})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := s.Render(SampleData())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got != want[f] {
			t.Errorf("%s renders %q, want %q", f, got, want[f])
		}
	}
}
