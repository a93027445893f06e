package template

import (
	"errors"
	"strings"
	"testing"
)

// The functions and control structures, rendered as plain text.
func TestRenderSMS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		edit func(*Data)
		want string
	}{
		{"fields", "Hi {{ .contact.first_name }}, {{ .agent.full_name }} of {{ .org.name }} here.", nil,
			"Hi Jordan, Alex Morgan of Bayview Realty here."},
		{"no escaping in plain text", "{{ .contact.first_name }}", func(d *Data) { d.Contact.FirstName = `<b>&"` }, `<b>&"`},
		{"default on empty text", `Hi {{ .contact.first_name | default "there" }}`, func(d *Data) { d.Contact.FirstName = "" }, "Hi there"},
		{"default on blank text", `Hi {{ .contact.first_name | default "there" }}`, func(d *Data) { d.Contact.FirstName = "  " }, "Hi there"},
		{"default keeps a value", `Hi {{ default "there" .contact.first_name }}`, nil, "Hi Jordan"},
		{"default on a zero score", `{{ .lead.score | default 50 }}`, func(d *Data) { d.Lead.Score = 0 }, "50"},
		{"upper", `{{ upper .contact.first_name }}`, nil, "JORDAN"},
		{"lower", `{{ .org.name | lower }}`, nil, "bayview realty"},
		{"title keeps the rest of each word", `{{ title .contact.full_name }}`, func(d *Data) { d.Contact.FullName = "mary-jane mcDonald o'neil" }, "Mary-Jane McDonald O'neil"},
		{"trim", `[{{ trim .contact.first_name }}]`, func(d *Data) { d.Contact.FirstName = " \tAnn \n" }, "[Ann]"},
		{"upper of a number", `{{ upper .lead.score }}`, nil, "72"},
		{"if ge true", `{{ if ge .lead.score 70 }}hot{{ else }}warm{{ end }}`, nil, "hot"},
		{"if ge false", `{{ if ge .lead.score 70 }}hot{{ else }}warm{{ end }}`, func(d *Data) { d.Lead.Score = 69 }, "warm"},
		{"else if", `{{ if eq .lead.stage "new" }}a{{ else if eq .lead.stage "qualified" "won" }}b{{ else }}c{{ end }}`, nil, "b"},
		{"and, or, not", `{{ if and .contact.first_name (not .agent.phone) }}x{{ else if or .agent.phone .agent.email }}y{{ end }}`, nil, "y"},
		{"with sets dot, $ is the data", `{{ with .agent.phone }}Call {{ . }} ({{ $.agent.full_name }}){{ else }}Reply{{ end }}`, nil, "Call +14155550188 (Alex Morgan)"},
		{"with else on empty", `{{ with .agent.phone }}Call {{ . }}{{ else }}Reply{{ end }}`, func(d *Data) { d.Agent.Phone = "" }, "Reply"},
		{"comments and trim markers", "Hi {{- /* greeting */ -}} , {{ .contact.first_name }}", nil, "Hi, Jordan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := CompileSMS(SMSSource{Body: tc.body})
			if err != nil {
				t.Fatalf("CompileSMS: %v", err)
			}
			d := SampleData()
			if tc.edit != nil {
				tc.edit(&d)
			}
			got, err := s.Render(d)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != tc.want {
				t.Fatalf("Render = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderSMSIsBounded(t *testing.T) {
	t.Parallel()
	s, err := CompileSMS(SMSSource{Body: "Hi {{ .contact.first_name }}"})
	if err != nil {
		t.Fatal(err)
	}
	d := SampleData()
	d.Contact.FirstName = strings.Repeat("я", 1597) // "Hi " + 1597 = 1600
	if _, err := s.Render(d); err != nil {
		t.Fatalf("1600 characters: %v", err)
	}
	d.Contact.FirstName += "я"
	if _, err := s.Render(d); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("1601 characters: %v, want ErrTooLarge", err)
	}
	d.Contact.FirstName = strings.Repeat("😀", 4000) // over the byte bound before counting
	if _, err := s.Render(d); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("16 kB: %v, want ErrTooLarge", err)
	}
}
