package template

import (
	"strings"
	"testing"
)

// typicalEmail is a listing announcement of the size campaigns send
// (about 2 kB of HTML: a few paragraphs, a list, links, a button, and the
// template's own footer).
var typicalEmail = EmailSource{
	Subject: `{{ .contact.first_name | default "Hello" }}, a new listing near {{ .lead.postal_code }}`,
	HTML: `<!doctype html><html><head><meta charset="utf-8"><title>New listing</title>` +
		`<style>p{font-family:Arial,sans-serif;font-size:15px}</style></head><body>` +
		`<table role="presentation" width="100%"><tr><td>` +
		`<h1>Hi {{ .contact.first_name | default "there" }},</h1>` +
		`<p>{{ .agent.full_name }} at {{ .org.name }} found a home that matches what you told us.` +
		`{{ if ge .lead.score 70 }} It will not stay on the market for long.{{ end }}</p>` +
		`<ul><li>3 bedrooms, 2 bathrooms</li><li>1,850 sq ft on a 5,000 sq ft lot</li><li>Two-car garage</li><li>Close to schools and transit</li></ul>` +
		`<p><a href="https://listings.example.com/l/8841?utm_source=email&amp;lead={{ .lead.source }}" style="background:#0a5;color:#fff;padding:10px 16px;text-decoration:none">See the listing</a></p>` +
		`<p>Questions? Reply to this email or call {{ .agent.full_name }} at {{ .agent.phone }}.` +
		`<br>You can also write to <a href="mailto:{{ .agent.email }}">{{ .agent.email }}</a>.</p>` +
		strings.Repeat(`<p>Open house this Saturday and Sunday from 1 to 4 pm. Bring your questions about financing, the neighbourhood and the inspection report.</p>`, 4) +
		`<p style="font-size:12px;color:#666">{{ .org.name }}, {{ .org.postal_address }}<br>` +
		`<a href="{{ .unsubscribe_url }}">Unsubscribe</a></p>` +
		`</td></tr></table></body></html>`,
}

var typicalSMS = SMSSource{Body: `Hi {{ .contact.first_name | default "there" }}, {{ .agent.full_name }} from {{ .org.name }}: a new 3-bed home near {{ .lead.postal_code }} just listed. Reply YES for details or STOP to opt out.`}

func BenchmarkCompileEmail(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileEmail(typicalEmail); err != nil {
			b.Fatal(err)
		}
	}
}

// The text part generated from the HTML (no text part in the source).
func BenchmarkRenderEmail(b *testing.B) {
	e := mustEmail(b, typicalEmail)
	d := SampleData()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render(d); err != nil {
			b.Fatal(err)
		}
	}
}

// The same email with its own text part.
func BenchmarkRenderEmailWithText(b *testing.B) {
	src := typicalEmail
	src.Text = "Hi {{ .contact.first_name }},\n\n{{ .agent.full_name }} found a home for you: https://listings.example.com/l/8841\n\n{{ .org.postal_address }}\nUnsubscribe: {{ .unsubscribe_url }}\n"
	e := mustEmail(b, src)
	d := SampleData()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Render(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileSMS(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileSMS(typicalSMS); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderSMS(b *testing.B) {
	s, err := CompileSMS(typicalSMS)
	if err != nil {
		b.Fatal(err)
	}
	d := SampleData()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Render(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCount(b *testing.B) {
	body := strings.Repeat("Hi Jordan, a new 3-bed home near 94110 just listed [€500k]. ", 5)
	b.ReportAllocs()
	for b.Loop() {
		Count(body)
	}
}
