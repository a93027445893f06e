package template

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func mustEmail(t testing.TB, src EmailSource) *EmailTemplate {
	t.Helper()
	e, err := CompileEmail(src)
	if err != nil {
		t.Fatalf("CompileEmail: %v", err)
	}
	return e
}

// The sample data's footer items, as SampleData sets them.
const (
	sampleUnsub   = "https://example.com/u/sample-token"
	sampleAddress = "100 Market Street, Suite 300, San Francisco, CA 94105"
)

// withFooterItems is an HTML body that shows both CAN-SPAM items itself.
const withFooterItems = `<p>{{ .org.postal_address }}</p><p><a href="{{ .unsubscribe_url }}">Stop these emails</a></p>`

func TestRenderEscapesMergeDataForItsContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html, data string
		want             string // in the HTML output
		notWant          string // never in it
	}{
		{"a script tag in text", `<p>Hi {{ .contact.first_name }}</p>`,
			`<script>alert(1)</script>`, `<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;</p>`, "<script>"},
		{"breaking out of an attribute", `<p title="{{ .contact.first_name }}">x</p>`,
			`" onmouseover="alert(1)`, `title="&#34; onmouseover=&#34;alert(1)"`, `" onmouseover`},
		{"an unquoted attribute", `<p title={{ .contact.first_name }}>x</p>`,
			`x onmouseover=alert(1)`, `title=x&#32;onmouseover&#61;alert(1)`, " onmouseover="},
		{"a javascript: URL", `<a href="{{ .contact.first_name }}">site</a>`,
			`javascript:alert(1)`, `href="#ZgotmplZ"`, "javascript:"},
		{"a data: URL", `<a href="{{ .contact.first_name }}">site</a>`,
			`data:text/html,<script>alert(1)</script>`, `href="#ZgotmplZ"`, "data:"},
		{"merge data in a query is query-escaped", `<a href="https://x.example/?n={{ .contact.first_name }}">x</a>`,
			`a&b c"><script>`, `href="https://x.example/?n=a%26b%20c%22%3e%3cscript%3e"`, "<script>"},
		{"merge data in a script is a JS string", `<script>var n = "{{ .contact.first_name }}";</script>`,
			`";alert(1);//`, `var n = "\u0022;alert(1);\/\/";`, `"";alert`},
		{"merge data in a style is neutralised", `<p style="color: {{ .contact.first_name }}">x</p>`,
			`red; background: url(javascript:alert(1))`, `style="color: ZgotmplZ"`, "javascript:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := mustEmail(t, EmailSource{Subject: "Hi", HTML: tc.html + withFooterItems})
			d := SampleData()
			d.Contact.FirstName = tc.data
			got, err := e.Render(d)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if !strings.Contains(got.HTML, tc.want) {
				t.Errorf("HTML %s\nwant it to contain %s", got.HTML, tc.want)
			}
			if strings.Contains(got.HTML, tc.notWant) {
				t.Errorf("HTML %s\ncontains %s", got.HTML, tc.notWant)
			}
		})
	}
}

func TestRenderEmail(t *testing.T) {
	t.Parallel()
	e := mustEmail(t, EmailSource{
		Subject: "{{ .contact.first_name }}, a new listing in {{ .lead.postal_code }}",
		HTML: `<html><body><h1>Hello {{ .contact.first_name | default "there" }}</h1>` +
			`<p>Your agent <a href="mailto:{{ .agent.email }}">{{ .agent.full_name }}</a> found a home for you.<br>Reply to book a visit.</p>` +
			`<ul><li>3 beds</li><li>2 baths</li></ul></body></html>`,
	})
	got, err := e.Render(SampleData())
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if got.Subject != "Jordan, a new listing in 94110" {
		t.Errorf("Subject %q", got.Subject)
	}
	wantHTML := `<html><body><h1>Hello Jordan</h1><p>Your agent <a href="mailto:alex.morgan@example.com">Alex Morgan</a> found a home for you.<br>Reply to book a visit.</p><ul><li>3 beds</li><li>2 baths</li></ul>` +
		`<div style="margin-top:24px;font-size:12px;color:#666666"><p>` + sampleAddress + `</p><p><a href="` + sampleUnsub + `">Unsubscribe</a></p></div></body></html>`
	if got.HTML != wantHTML {
		t.Errorf("HTML\n%s\nwant\n%s", got.HTML, wantHTML)
	}
	wantText := "Hello Jordan\n\n" +
		"Your agent Alex Morgan (mailto:alex.morgan@example.com) found a home for you.\nReply to book a visit.\n\n" +
		"- 3 beds\n- 2 baths\n\n" +
		sampleAddress + "\n\nUnsubscribe (" + sampleUnsub + ")"
	if got.Text != wantText {
		t.Errorf("Text\n%q\nwant\n%q", got.Text, wantText)
	}
}

func TestRenderFooter(t *testing.T) {
	t.Parallel()
	footerLink := `<a href="` + sampleUnsub + `">Unsubscribe</a>`
	tests := []struct {
		name      string
		src       EmailSource
		stage     string
		html      string // the whole HTML output, when given
		htmlHas   []string
		links     int // times the unsubscribe URL is in the HTML
		addresses int // times the postal address is in the HTML
		text      string
	}{
		{"a fragment gets the footer at its end",
			EmailSource{Subject: "Hi", HTML: `<p>Hi</p>`}, "",
			`<p>Hi</p><div style="margin-top:24px;font-size:12px;color:#666666"><p>` + sampleAddress + `</p><p>` + footerLink + `</p></div>`,
			nil, 1, 1,
			"Hi\n\n" + sampleAddress + "\n\nUnsubscribe (" + sampleUnsub + ")"},
		{"a template that shows both gets no footer",
			EmailSource{Subject: "Hi", HTML: `<p>Hi</p>` + withFooterItems}, "",
			`<p>Hi</p><p>` + sampleAddress + `</p><p><a href="` + sampleUnsub + `">Stop these emails</a></p>`,
			nil, 1, 1,
			"Hi\n\n" + sampleAddress + "\n\nStop these emails (" + sampleUnsub + ")"},
		{"a link only in a branch not taken gets the footer link",
			EmailSource{Subject: "Hi", HTML: `<p>{{ .org.postal_address }}</p>{{ if eq .lead.stage "lost" }}<a href="{{ .unsubscribe_url }}">Stop</a>{{ end }}`}, "qualified",
			`<p>` + sampleAddress + `</p><div style="margin-top:24px;font-size:12px;color:#666666"><p>` + footerLink + `</p></div>`,
			nil, 1, 1, ""},
		{"the same link in the branch taken is enough",
			EmailSource{Subject: "Hi", HTML: `<p>{{ .org.postal_address }}</p>{{ if eq .lead.stage "lost" }}<a href="{{ .unsubscribe_url }}">Stop</a>{{ end }}`}, "lost",
			`<p>` + sampleAddress + `</p><a href="` + sampleUnsub + `">Stop</a>`,
			nil, 1, 1, ""},
		{"the URL as text is not a link",
			EmailSource{Subject: "Hi", HTML: `<p>{{ .org.postal_address }} {{ .unsubscribe_url }}</p>`}, "",
			"", []string{footerLink}, 2, 1, ""},
		{"an address only in an attribute is not shown",
			EmailSource{Subject: "Hi", HTML: `<p title="{{ .org.postal_address }}"><a href="{{ .unsubscribe_url }}">Stop</a></p>`}, "",
			"", []string{`<div style="margin-top:24px;font-size:12px;color:#666666"><p>` + sampleAddress + `</p></div>`}, 1, 2, ""},
		{"the footer goes before </body>",
			EmailSource{Subject: "Hi", HTML: `<html><body><p>Hi</p></BODY></html>`}, "",
			`<html><body><p>Hi</p><div style="margin-top:24px;font-size:12px;color:#666666"><p>` + sampleAddress + `</p><p>` + footerLink + `</p></div></BODY></html>`,
			nil, 1, 1, ""},
		{"a text part without the items gets a text footer",
			EmailSource{Subject: "Hi", HTML: withFooterItems, Text: "Hi {{ .contact.first_name }}\n"}, "",
			"", nil, 1, 1,
			"Hi Jordan\n\n--\n" + sampleAddress + "\nUnsubscribe: " + sampleUnsub},
		{"a text part with both is left alone",
			EmailSource{Subject: "Hi", HTML: withFooterItems, Text: "Hi\n{{ .org.postal_address }}\nStop: {{ .unsubscribe_url }}\n"}, "",
			"", nil, 1, 1,
			"Hi\n" + sampleAddress + "\nStop: " + sampleUnsub + "\n"},
		{"a text part with the URL only gets the address",
			EmailSource{Subject: "Hi", HTML: withFooterItems, Text: "Stop: {{ .unsubscribe_url }}"}, "",
			"", nil, 1, 1,
			"Stop: " + sampleUnsub + "\n\n--\n" + sampleAddress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := SampleData()
			if tc.stage != "" {
				d.Lead.Stage = tc.stage
			}
			got, err := mustEmail(t, tc.src).Render(d)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if tc.html != "" && got.HTML != tc.html {
				t.Errorf("HTML\n%s\nwant\n%s", got.HTML, tc.html)
			}
			for _, s := range tc.htmlHas {
				if !strings.Contains(got.HTML, s) {
					t.Errorf("HTML\n%s\nwant it to contain\n%s", got.HTML, s)
				}
			}
			if n := strings.Count(got.HTML, sampleUnsub); n != tc.links {
				t.Errorf("unsubscribe URL %d times in the HTML, want %d", n, tc.links)
			}
			if n := strings.Count(got.HTML, sampleAddress); n != tc.addresses {
				t.Errorf("postal address %d times in the HTML, want %d", n, tc.addresses)
			}
			if tc.text != "" && got.Text != tc.text {
				t.Errorf("Text\n%q\nwant\n%q", got.Text, tc.text)
			}
			if !strings.Contains(got.Text, sampleUnsub) || !strings.Contains(got.Text, sampleAddress) {
				t.Errorf("Text lacks the unsubscribe URL or the address:\n%s", got.Text)
			}
		})
	}
}

func TestRenderRefusesAnEmailWithoutItsFooterData(t *testing.T) {
	t.Parallel()
	e := mustEmail(t, EmailSource{Subject: "Hi", HTML: "<p>Hi</p>"})
	tests := []struct {
		name string
		edit func(*Data)
	}{
		{"no unsubscribe URL", func(d *Data) { d.Unsubscribe = "" }},
		{"a relative URL", func(d *Data) { d.Unsubscribe = "/u/token" }},
		{"a javascript: URL", func(d *Data) { d.Unsubscribe = "javascript:alert(1)" }},
		{"a URL with a space", func(d *Data) { d.Unsubscribe = "https://example.com/u/a b" }},
		{"a URL with a quote", func(d *Data) { d.Unsubscribe = `https://example.com/u/a"b` }},
		{"no postal address", func(d *Data) { d.Org.PostalAddress = "  " }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := SampleData()
			tc.edit(&d)
			if _, err := e.Render(d); !errors.Is(err, ErrMissingData) {
				t.Fatalf("Render error %v, want ErrMissingData", err)
			}
		})
	}
}

func TestRenderSubjectIsOneLine(t *testing.T) {
	t.Parallel()
	e := mustEmail(t, EmailSource{Subject: "Hi {{ .contact.first_name }}", HTML: "<p>Hi</p>"})
	d := SampleData()
	d.Contact.FirstName = "Jordan\r\nBcc: all@example.com\x00"
	got, err := e.Render(d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if got.Subject != "Hi Jordan  Bcc: all@example.com" {
		t.Fatalf("Subject %q", got.Subject)
	}
}

func TestRenderOutputIsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  EmailSource
		size int
	}{
		{"subject", EmailSource{Subject: "{{ .contact.first_name }}", HTML: "<p>x</p>"}, maxSubjectOutput + 1},
		{"html", EmailSource{Subject: "x", HTML: "<p>{{ .contact.first_name }}{{ .contact.first_name }}</p>"}, maxHTMLOutput/2 + 1},
		{"text", EmailSource{Subject: "x", HTML: "<p>x</p>", Text: "{{ .contact.first_name }}{{ .contact.first_name }}"}, maxTextOutput/2 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := SampleData()
			d.Contact.FirstName = strings.Repeat("x", tc.size)
			_, err := mustEmail(t, tc.src).Render(d)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("Render error %v, want ErrTooLarge naming %s", err, tc.name)
			}
		})
	}
}

// Run with -race: a compiled template is shared by a campaign's workers.
func TestRenderConcurrently(t *testing.T) {
	t.Parallel()
	e := mustEmail(t, EmailSource{Subject: "Hi {{ .contact.first_name }}", HTML: "<p>Hi {{ .contact.first_name }}</p>"})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			d := SampleData()
			d.Contact.FirstName = strings.Repeat("n", i+1)
			got, err := e.Render(d)
			if err == nil && got.Subject != "Hi "+d.Contact.FirstName {
				err = errors.New("subject " + got.Subject)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
