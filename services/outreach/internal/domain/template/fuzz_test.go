package template

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"text/template/parse"

	"golang.org/x/net/html"
)

// Run locally, e.g. go test -run '^$' -fuzz FuzzCompileEmail -fuzztime 30s;
// the seeds run with every go test.

var emailSeeds = []EmailSource{
	{Subject: "Hi {{ .contact.first_name }}", HTML: "<p>Hi {{ .contact.first_name | default \"there\" }}</p>"},
	{Subject: "{{ if ge .lead.score 70 }}Hot{{ else }}New{{ end }} lead", HTML: withFooterItems, Text: "Hi\n{{ .unsubscribe_url }}"},
	{Subject: "x", HTML: `<a href="{{ .contact.email }}" title='{{ .org.name }}'>{{ .agent.full_name }}</a><script>var a = {{ .lead.score }};</script>`},
	{Subject: "x", HTML: "{{ with .agent.phone }}{{ . }}{{ else }}{{ $.org.name }}{{ end }}<p style=\"color:{{ .lead.stage }}\">"},
	{Subject: "{{ printf \"%d\" 1 }}", HTML: "{{ range .x }}{{ end }}{{ define \"a\" }}{{ end }}{{ block \"b\" . }}{{ end }}"},
	{Subject: "a\r\nb", HTML: "Hello {{ .contact.first_name }", Text: "{{ if }}"},
	{Subject: "{{/* c */}}", HTML: "<p title=\"{{ .org.name }}", Text: "{{ $x := 1 }}{{ $x }}"},
	{Subject: "€ {{ eq .lead.score 1.5 }}", HTML: "\t€ {{ .lead.grade }}\n{{ .contact }}{{ . }}{{ $ }}", Text: "{{ (.contact).first_name }}"},
}

// checkError fails unless err is an *InvalidError whose problems name a
// part of the template and lie inside that part's source.
func checkError(t *testing.T, err error, sources map[string]string) {
	t.Helper()
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error %v (%T), want *InvalidError", err, err)
	}
	if len(inv.Problems) == 0 {
		t.Fatal("InvalidError without problems")
	}
	for _, p := range inv.Problems {
		src, ok := sources[p.Field]
		if !ok {
			t.Fatalf("problem %+v names no part of the template", p)
		}
		if p.Message == "" {
			t.Fatalf("problem %+v without a message", p)
		}
		if p.Line == 0 && p.Column == 0 {
			continue
		}
		lines := strings.Split(src, "\n")
		if p.Line < 1 || p.Line > len(lines) {
			t.Fatalf("problem %+v: line outside the %d lines of %q", p, len(lines), src)
		}
		if n := utf8.RuneCountInString(lines[p.Line-1]); p.Column < 1 || p.Column > n+1 {
			t.Fatalf("problem %+v: column outside the %d characters of line %q", p, n, lines[p.Line-1])
		}
	}
}

func FuzzCompileEmail(f *testing.F) {
	for _, s := range emailSeeds {
		f.Add(s.Subject, s.HTML, s.Text)
	}
	f.Fuzz(func(t *testing.T, subject, htmlSrc, text string) {
		src := EmailSource{Subject: subject, HTML: htmlSrc, Text: text}
		e, err := CompileEmail(src)
		if err != nil {
			checkError(t, err, map[string]string{"subject": subject, "html": htmlSrc, "text": text})
			return
		}
		// A template that compiles renders: the sandbox refused at save
		// time whatever could fail at send time.
		got, err := e.Render(SampleData())
		if err != nil && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("compiled but Render: %v", err)
		}
		again, err2 := e.Render(SampleData())
		if (err == nil) != (err2 == nil) || got != again {
			t.Fatal("Render is not deterministic")
		}
	})
}

func FuzzCompileSMS(f *testing.F) {
	for _, s := range emailSeeds {
		f.Add(s.Subject)
		f.Add(s.HTML)
	}
	f.Add(strings.Repeat("€", 200) + "{{ .org.help_text }}")
	f.Fuzz(func(t *testing.T, body string) {
		s, err := CompileSMS(SMSSource{Body: body})
		if err != nil {
			checkError(t, err, map[string]string{"body": body})
			return
		}
		out, err := s.Render(SampleData())
		if err != nil && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("compiled but Render: %v", err)
		}
		seg := Count(out)
		if seg.Units < utf8.RuneCountInString(out) || (out != "" && seg.Count < 1) {
			t.Fatalf("Count(%q) = %+v", out, seg)
		}
	})
}

// FuzzRender renders arbitrary merge data: it never breaks out of its
// place in the HTML (the elements are those of the template whatever the
// data), and an email that renders carries its unsubscribe link and
// postal address in both parts.
func FuzzRender(f *testing.F) {
	data := []string{"Jordan", `<script>alert(1)</script>`, `" onmouseover="alert(1)`, "javascript:alert(1)", "a\r\nBcc: x@example.com", "</p><a href=x>", "", "{{ .org.name }}"}
	for i, s := range emailSeeds {
		d := data[i%len(data)]
		f.Add(s.HTML, s.Text, d, data[(i+1)%len(data)], "qualified", 72, sampleUnsub, sampleAddress)
		f.Add(s.HTML, "", d, d, d, 0, d, d)
	}
	f.Fuzz(func(t *testing.T, htmlSrc, text, first, last, stage string, score int, unsub, address string) {
		e, err := CompileEmail(EmailSource{Subject: "Hi {{ .contact.first_name }}", HTML: htmlSrc, Text: text})
		if err != nil {
			checkError(t, err, map[string]string{"subject": "", "html": htmlSrc, "text": text})
			return
		}
		d := SampleData()
		d.Contact.FirstName, d.Contact.LastName, d.Lead.Stage, d.Lead.Score = first, last, stage, score
		d.Unsubscribe, d.Org.PostalAddress = unsub, address
		got, err := e.Render(d)
		switch {
		case errors.Is(err, ErrMissingData), errors.Is(err, ErrTooLarge):
			return
		case err != nil:
			t.Fatalf("Render: %v", err)
		}
		if strings.ContainsAny(got.Subject, "\r\n") {
			t.Fatalf("subject %q spans lines", got.Subject)
		}
		doc := scanHTML(got.HTML)
		if !doc.links[unsub] || !containsText(doc.text, address) {
			t.Fatalf("HTML without its unsubscribe link or address:\n%s", got.HTML)
		}
		if !strings.Contains(got.Text, unsub) || !containsText(got.Text, address) {
			t.Fatalf("text without its unsubscribe URL or address:\n%s", got.Text)
		}
		// The template's own elements, with this data and with bland data
		// (when no branch depends on the data).
		if hasBranch(e.html.Tree.Root) {
			return
		}
		bland := SampleData()
		withData, err1 := execute("html", e.html, d.values(), maxHTMLOutput)
		withBland, err2 := execute("html", e.html, bland.values(), maxHTMLOutput)
		if err1 == nil && err2 == nil && !slices.Equal(tags(withData), tags(withBland)) {
			t.Fatalf("merge data changed the elements:\n%s\nvs\n%s", withData, withBland)
		}
	})
}

func hasBranch(l *parse.ListNode) bool {
	for _, n := range l.Nodes {
		switch n.(type) {
		case *parse.IfNode, *parse.WithNode:
			return true
		}
	}
	return false
}

// tags lists the start and end tags of an HTML text as a tokenizer sees them.
func tags(s string) []string {
	z := html.NewTokenizer(strings.NewReader(s))
	var out []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			out = append(out, "<"+string(name))
		case html.EndTagToken:
			name, _ := z.TagName()
			out = append(out, "</"+string(name))
		}
	}
}
