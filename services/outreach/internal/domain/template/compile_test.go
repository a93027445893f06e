package template

import (
	"errors"
	"strings"
	"testing"
)

// want is an expected problem: its place exactly, its message by a part
// that says what is wrong.
type want struct {
	field        string
	line, column int
	message      string
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error %v (%T), want *InvalidError", err, err)
	}
	return inv.Problems
}

func checkProblems(t *testing.T, err error, wants []want) {
	t.Helper()
	got := problemsOf(t, err)
	if len(got) != len(wants) {
		t.Fatalf("%d problems %+v, want %d %+v", len(got), got, len(wants), wants)
	}
	for i, w := range wants {
		p := got[i]
		if p.Field != w.field || p.Line != w.line || p.Column != w.column || !strings.Contains(p.Message, w.message) {
			t.Errorf("problem %d = %+v, want %s %d:%d containing %q", i, p, w.field, w.line, w.column, w.message)
		}
	}
}

// okHTML is an HTML part that compiles, for cases about another part.
const okHTML = "<p>Hi</p>"

// Columns are counted by hand in the source of each case (1-based, in
// characters).
func TestCompileEmailProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  EmailSource
		want []want
	}{
		{"unknown field names the field and points at it",
			EmailSource{Subject: "Hi", HTML: "<p>Hi {{ .contact.frist_name }}</p>"},
			[]want{{"html", 1, 10, `unknown merge field "contact.frist_name"; contact has "contact.first_name"`}}},
		{"unknown group",
			EmailSource{Subject: "{{ .property.price }}", HTML: okHTML},
			[]want{{"subject", 1, 4, `unknown merge field "property.price"`}}},
		{"a field under a value",
			EmailSource{Subject: "{{ .contact.first_name.initial }}", HTML: okHTML},
			[]want{{"subject", 1, 4, `unknown merge field "contact.first_name.initial"`}}},
		// line 3 is "\t€ {{ .lead.grade }}": tab, €, space, {{, space: the
		// field is the 7th character (the 9th byte).
		{"columns count characters, tabs and multi-byte ones as one",
			EmailSource{Subject: "Hi", HTML: "<p>Ça va</p>\n<p>\n\t€ {{ .lead.grade }}</p>"},
			[]want{{"html", 3, 7, `unknown merge field "lead.grade"`}}},
		{"a group is not a field",
			EmailSource{Subject: "Hi", HTML: "<p>{{ .agent }}</p>"},
			[]want{{"html", 1, 7, `"agent" is a group of fields; use "agent.full_name", "agent.email" or "agent.phone"`}}},
		{"the whole data is not a field",
			EmailSource{Subject: "Hi {{ . }}", HTML: okHTML},
			[]want{{"subject", 1, 7, ". is the whole merge data"}}},
		{"$ alone is the whole data too",
			EmailSource{Subject: "Hi {{ $ }}", HTML: okHTML},
			[]want{{"subject", 1, 7, "$ is the whole merge data"}}},
		{"$ with a field is a field",
			EmailSource{Subject: "Hi {{ $.contact.nick }}", HTML: okHTML},
			[]want{{"subject", 1, 7, `unknown merge field "contact.nick"`}}},
		// "Hello {{ .contact.first_name }" : the lone } is byte 29, column 30.
		{"syntax error: the column of the stray brace",
			EmailSource{Subject: "Hi", HTML: "Hello {{ .contact.first_name }"},
			[]want{{"html", 1, 30, `unexpected "}"`}}},
		{"syntax error on a later line: the character it names",
			EmailSource{Subject: "Hi", HTML: "<p>one</p>\n<p>{{ .contact.first_name # }}</p>"},
			[]want{{"html", 2, 27, `unexpected "#"`}}},
		{"an unclosed action points at its {{",
			EmailSource{Subject: "Hi", HTML: "a\nb {{ .contact.first_name\n\nc"},
			[]want{{"html", 2, 3, "unclosed action"}}},
		{"an unexpected {{end}} points at its {{",
			EmailSource{Subject: "Hi", HTML: "a {{ .contact.first_name }}\nb {{ end }}"},
			[]want{{"html", 2, 3, "unexpected {{end}}"}}},
		{"an unterminated string points at its quote",
			EmailSource{Subject: "Hi", HTML: `<p>{{ .contact.first_name | default "there }}</p>`},
			[]want{{"html", 1, 37, "unterminated quoted string"}}},
		{"an {{if}} without {{end}} is reported at the end",
			EmailSource{Subject: "Hi", HTML: "a\n{{ if .lead.stage }}b"},
			[]want{{"html", 2, 22, "ends before the {{end}}"}}},
		{"a function not on the list",
			EmailSource{Subject: `{{ printf "%s" .contact.first_name }}`, HTML: okHTML},
			[]want{{"subject", 1, 4, `function "printf" is not allowed`}}},
		{"call, index, len and html are refused, each where it is",
			EmailSource{Subject: "Hi", HTML: "{{ call .contact.first_name }}\n{{ index .contact 0 }} {{ len .org.name }}\n{{ html .org.name }}"},
			[]want{
				{"html", 1, 4, `function "call" is not allowed`},
				{"html", 2, 4, `function "index" is not allowed`},
				{"html", 2, 10, `"contact" is a group of fields`},
				{"html", 2, 27, `function "len" is not allowed`},
				{"html", 3, 4, `function "html" is not allowed`},
			}},
		{"a function piped to is checked too",
			EmailSource{Subject: `{{ .org.name | js }}`, HTML: okHTML},
			[]want{{"subject", 1, 16, `function "js" is not allowed`}}},
		{"range is refused",
			EmailSource{Subject: "Hi", HTML: "<ul>{{ range .contact }}<li>x</li>{{ end }}</ul>"},
			[]want{{"html", 1, 5, "{{range}} is not allowed"}}},
		{"template is refused",
			EmailSource{Subject: "Hi", HTML: `<p>{{ template "footer" }}</p>`},
			[]want{{"html", 1, 4, "{{template}} and {{block}} are not allowed"}}},
		{"define is refused where it starts",
			EmailSource{Subject: "Hi", HTML: "<p>x</p>\n{{ define \"footer\" }}<p>y</p>{{ end }}"},
			[]want{{"html", 2, 1, "{{define}} is not allowed"}}},
		{"a define that replaces the whole template is refused",
			EmailSource{Subject: "Hi", HTML: `{{ define "html" }}<p>y</p>{{ end }}`},
			[]want{{"html", 1, 1, "{{define}} is not allowed"}}},
		{"block is refused once",
			EmailSource{Subject: "Hi", HTML: `<p>{{ block "b" . }}y{{ end }}</p>`},
			[]want{{"html", 1, 4, "{{template}} and {{block}} are not allowed"}}},
		{"variables are refused",
			EmailSource{Subject: "{{ $n := .contact.first_name }}Hi {{ $n }}", HTML: okHTML},
			[]want{{"subject", 1, 4, "variables ($x := …) are not allowed"}}},
		{"a variable in {{with}} is refused",
			EmailSource{Subject: "{{ with $n := .contact.first_name }}Hi{{ end }}", HTML: okHTML},
			[]want{{"subject", 1, 9, "variables ($x := …) are not allowed"}}},
		{"a field of the with-value is refused",
			EmailSource{Subject: "{{ with .contact.first_name }}{{ .initial }}{{ end }}", HTML: okHTML},
			[]want{{"subject", 1, 34, "inside {{with}}, . is text and has no fields"}}},
		{"comparing a number with text",
			EmailSource{Subject: `{{ if gt .lead.score "50" }}hot{{ end }}`, HTML: okHTML},
			[]want{{"subject", 1, 7, "gt: cannot compare a whole number with text"}}},
		{"comparing a whole number with a decimal",
			EmailSource{Subject: `{{ if eq .lead.score 50.5 }}x{{ end }}`, HTML: okHTML},
			[]want{{"subject", 1, 7, "eq: cannot compare a whole number with a decimal number"}}},
		{"ordering true/false",
			EmailSource{Subject: `{{ if lt true false }}x{{ end }}`, HTML: okHTML},
			[]want{{"subject", 1, 7, "true/false values have no order"}}},
		{"comparing and/or over mixed kinds",
			EmailSource{Subject: `{{ if eq (or .lead.score .lead.stage) "x" }}x{{ end }}`, HTML: okHTML},
			[]want{{"subject", 1, 7, "cannot compare the result of and/or"}}},
		{"a default of another kind",
			EmailSource{Subject: `{{ .lead.score | default "none" }}`, HTML: okHTML},
			[]want{{"subject", 1, 18, "default: the fallback is text but the value is a whole number"}}},
		{"too many arguments",
			EmailSource{Subject: `{{ upper .contact.first_name .contact.last_name }}`, HTML: okHTML},
			[]want{{"subject", 1, 4, "upper takes 1 argument(s), not 2"}}},
		{"a piped value counts as an argument",
			EmailSource{Subject: `{{ .contact.first_name | upper "x" }}`, HTML: okHTML},
			[]want{{"subject", 1, 26, "upper takes 1 argument(s), not 2"}}},
		{"a function named as an argument is called with none",
			EmailSource{Subject: `{{ eq .contact.first_name upper }}`, HTML: okHTML},
			[]want{{"subject", 1, 27, "upper takes 1 argument(s), not 0"}}},
		{"a field given arguments",
			EmailSource{Subject: `{{ .contact.first_name "x" }}`, HTML: okHTML},
			[]want{{"subject", 1, 4, "is not a function"}}},
		{"a field after |",
			EmailSource{Subject: `{{ .contact.first_name | .contact.last_name }}`, HTML: okHTML},
			[]want{{"subject", 1, 26, "is not a function"}}},
		// The chain's own field is what is refused.
		{"a field of a parenthesised value",
			EmailSource{Subject: `{{ (.contact.first_name).x }}`, HTML: okHTML},
			[]want{{"subject", 1, 25, "fields of a parenthesised value are not allowed"}}},
		{"nil",
			EmailSource{Subject: `{{ default nil .contact.first_name }}`, HTML: okHTML},
			[]want{{"subject", 1, 12, "nil is not allowed"}}},
		{"a number too large for an int",
			EmailSource{Subject: `{{ if eq .lead.score 18446744073709551615 }}x{{ end }}`, HTML: okHTML},
			[]want{{"subject", 1, 22, "too large"}}},
		{"a hexadecimal float is a decimal number",
			EmailSource{Subject: `{{ if eq .lead.score 0x1p4 }}x{{ end }}`, HTML: okHTML},
			[]want{{"subject", 1, 7, "cannot compare a whole number with a decimal number"}}},
		{"a complex number",
			EmailSource{Subject: `{{ if eq .lead.score 1i }}x{{ end }}`, HTML: okHTML},
			[]want{{"subject", 1, 22, "complex numbers are not allowed"}}},
		// '<' of "<p title=" is the 35th character.
		{"HTML that ends inside an attribute",
			EmailSource{Subject: "Hi", HTML: `<a href="{{ .unsubscribe_url }}">x</a><p title="{{ .org.name }}`},
			[]want{{"html", 1, 39, "the HTML ends inside a tag"}}},
		{"if branches that leave the HTML in different states",
			EmailSource{Subject: "Hi", HTML: "<p>x</p>\n{{ if .lead.stage }}<b{{ end }}>"},
			[]want{{"html", 2, 1, "leave the HTML in different states"}}},
		{"required parts",
			EmailSource{},
			[]want{{"subject", 0, 0, "is required"}, {"html", 0, 0, "is required"}}},
		{"blank is not given",
			EmailSource{Subject: " \t", HTML: okHTML},
			[]want{{"subject", 0, 0, "is required"}}},
		{"the subject is one line",
			EmailSource{Subject: "Hi\r\n{{ .contact.first_name }}", HTML: okHTML},
			[]want{{"subject", 1, 3, "is one line"}}},
		{"a part that is not UTF-8",
			EmailSource{Subject: "Hi", HTML: "<p>\xff</p>"},
			[]want{{"html", 0, 0, "not valid UTF-8"}}},
		{"a part too long",
			EmailSource{Subject: strings.Repeat("x", 999), HTML: okHTML},
			[]want{{"subject", 0, 0, "is 999 bytes long; at most 998"}}},
		{"every problem of every part at once, in order",
			EmailSource{
				Subject: "Hi {{ .contact.nick }}",
				HTML:    "<p>{{ .org.nme }}</p>\n<p>{{ printf \"%d\" .lead.score }} {{ .agent.cell }}</p>",
				Text:    "Hi {{ .contact.first_name }\n",
			},
			[]want{
				{"subject", 1, 7, `unknown merge field "contact.nick"`},
				{"html", 1, 7, `unknown merge field "org.nme"`},
				{"html", 2, 7, `function "printf" is not allowed`},
				{"html", 2, 37, `unknown merge field "agent.cell"`},
				{"text", 1, 27, `unexpected "}"`},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := CompileEmail(tc.src)
			if tmpl != nil {
				t.Fatalf("compiled a template with problems")
			}
			checkProblems(t, err, tc.want)
		})
	}
}

func TestCompileSMSProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []want
	}{
		{"required", "", []want{{"body", 0, 0, "is required"}}},
		{"unknown field", "Hi {{ .contact.first }}, {{ .org.name }}", []want{{"body", 1, 7, `unknown merge field "contact.first"`}}},
		{"syntax error", "Hi {{ if .contact.first_name }}", []want{{"body", 1, 32, "ends before the {{end}}"}}},
		{"1600 characters is the limit", strings.Repeat("я", 1601), []want{{"body", 0, 0, "is 1601 characters long; at most 1600"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := CompileSMS(SMSSource{Body: tc.body})
			if tmpl != nil {
				t.Fatalf("compiled a template with problems")
			}
			checkProblems(t, err, tc.want)
		})
	}
}

func TestCompileAllowsTheDocumentedSyntax(t *testing.T) {
	t.Parallel()
	body := `{{ .contact.first_name | default "there" }} {{ upper .org.name }} {{ lower .lead.stage }} ` +
		`{{ title .agent.full_name }} {{ trim .lead.source }} {{ .lead.score | default 50 }} ` +
		`{{ if and (ge .lead.score 70) (ne .lead.stage "lost") }}hot{{ else if not .lead.stage }}new{{ else }}warm{{ end }} ` +
		`{{ with .agent.phone }}{{ . }} ({{ $.agent.full_name }}){{ else }}{{ .org.help_text }}{{ end }} ` +
		`{{ if or (eq .lead.stage "new" "qualified") (lt .lead.score 1000) (gt .lead.score 0x1e) (ne .lead.score 'a') }}y{{ end }} {{ .unsubscribe_url }}{{/* a note */}}`
	s, err := CompileSMS(SMSSource{Body: body})
	if err != nil {
		t.Fatalf("CompileSMS: %v", err)
	}
	// What compiles renders, on full data and on empty data.
	for _, d := range []Data{SampleData(), {}} {
		if _, err := s.Render(d); err != nil {
			t.Fatalf("Render(%+v): %v", d, err)
		}
	}
	if _, err := CompileEmail(EmailSource{Subject: body, HTML: "<p>" + body + "</p>", Text: body}); err != nil {
		t.Fatalf("CompileEmail: %v", err)
	}
}
