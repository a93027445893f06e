package template

import "strconv"

// kind is the type a merge value has when a template runs; the sandbox
// uses it to refuse, at save time, comparisons that would fail at send time.
type kind int

const (
	kindUnknown kind = iota
	kindString
	kindInt
	kindFloat
	kindBool
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "text"
	case kindInt:
		return "a whole number"
	case kindFloat:
		return "a decimal number"
	case kindBool:
		return "true/false"
	}
	return "a value of unknown kind"
}

// field is one declared merge field: the group it belongs to ("" for a
// top-level one), its name, its kind and where its value comes from.
type field struct {
	group, name string
	kind        kind
	value       func(Data) any
}

func (f field) path() string {
	if f.group == "" {
		return f.name
	}
	return f.group + "." + f.name
}

func str(get func(Data) string) func(Data) any { return func(d Data) any { return get(d) } }

// fieldTable is the one list of merge fields: Fields, the sandbox and the
// data a template runs on are all derived from it.
var fieldTable = []field{
	{"contact", "first_name", kindString, str(func(d Data) string { return d.Contact.FirstName })},
	{"contact", "last_name", kindString, str(func(d Data) string { return d.Contact.LastName })},
	{"contact", "full_name", kindString, str(func(d Data) string { return d.Contact.FullName })},
	{"contact", "email", kindString, str(func(d Data) string { return d.Contact.Email })},
	{"contact", "phone", kindString, str(func(d Data) string { return d.Contact.Phone })},
	{"lead", "stage", kindString, str(func(d Data) string { return d.Lead.Stage })},
	{"lead", "source", kindString, str(func(d Data) string { return d.Lead.Source })},
	{"lead", "postal_code", kindString, str(func(d Data) string { return d.Lead.PostalCode })},
	{"lead", "score", kindInt, func(d Data) any { return d.Lead.Score }},
	{"agent", "full_name", kindString, str(func(d Data) string { return d.Agent.FullName })},
	{"agent", "email", kindString, str(func(d Data) string { return d.Agent.Email })},
	{"agent", "phone", kindString, str(func(d Data) string { return d.Agent.Phone })},
	{"org", "name", kindString, str(func(d Data) string { return d.Org.Name })},
	{"org", "postal_address", kindString, str(func(d Data) string { return d.Org.PostalAddress })},
	{"org", "help_text", kindString, str(func(d Data) string { return d.Org.HelpText })},
	{"", fieldUnsubscribe, kindString, str(func(d Data) string { return d.Unsubscribe })},
}

// The fields the CAN-SPAM footer is about.
const (
	fieldUnsubscribe   = "unsubscribe_url"
	fieldPostalAddress = "org.postal_address"
)

// Fields lists the declared merge fields, as a template names them after
// the dot: "contact.first_name" is written {{ .contact.first_name }}.
func Fields() []string {
	out := make([]string, len(fieldTable))
	for i, f := range fieldTable {
		out[i] = f.path()
	}
	return out
}

// lookupField resolves a field path (the identifiers after the dot). It
// says whether the path names a group (contact, lead …) rather than a value.
func lookupField(path []string) (f field, isGroup, ok bool) {
	switch len(path) {
	case 1:
		for _, f := range fieldTable {
			if f.group == "" && f.name == path[0] {
				return f, false, true
			}
			if f.group == path[0] {
				return field{}, true, true
			}
		}
	case 2:
		for _, f := range fieldTable {
			if f.group == path[0] && f.name == path[1] {
				return f, false, true
			}
		}
	}
	return field{}, false, false
}

// groupFields lists the fields of a group, for a message that says what
// may be written instead.
func groupFields(group string) []string {
	var out []string
	for _, f := range fieldTable {
		if f.group == group {
			out = append(out, f.path())
		}
	}
	return out
}

// values is the data a compiled template runs on: nested maps keyed as
// the template names them.
func (d Data) values() map[string]any {
	out := make(map[string]any, 8)
	for _, f := range fieldTable {
		if f.group == "" {
			out[f.name] = f.value(d)
			continue
		}
		g, _ := out[f.group].(map[string]any)
		if g == nil {
			g = make(map[string]any, 5)
			out[f.group] = g
		}
		g[f.name] = f.value(d)
	}
	return out
}

// SampleData is the merge data a preview uses when no real recipient is
// chosen: every field filled, so a preview shows where each one lands.
func SampleData() Data {
	return Data{
		Contact: ContactData{
			FirstName: "Jordan",
			LastName:  "Rivera",
			FullName:  "Jordan Rivera",
			Email:     "jordan.rivera@example.com",
			Phone:     "+14155550123",
		},
		Lead: LeadData{Stage: "qualified", Source: "website", PostalCode: "94110", Score: 72},
		Agent: AgentData{
			FullName: "Alex Morgan",
			Email:    "alex.morgan@example.com",
			Phone:    "+14155550188",
		},
		Org: OrgData{
			Name:          "Bayview Realty",
			PostalAddress: "100 Market Street, Suite 300, San Francisco, CA 94105",
			HelpText:      "Bayview Realty: reply STOP to opt out, or call +14155550100.",
		},
		Unsubscribe: "https://example.com/u/sample-token",
	}
}

// quoteList renders a list of names for a message: "a", "b" or "c".
func quoteList(names []string) string {
	s := ""
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			s += " or "
		default:
			s += ", "
		}
		s += strconv.Quote(n)
	}
	return s
}
