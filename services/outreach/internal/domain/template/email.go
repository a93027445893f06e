package template

import (
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
)

// EmailTemplate is a compiled, checked email template; safe for
// concurrent use.
type EmailTemplate struct {
	subject *texttemplate.Template
	html    *htmltemplate.Template
	text    *texttemplate.Template // nil: generated from the HTML
}

// CompileEmail checks an email template against the sandbox and compiles
// it. Every problem of every part is reported in one *InvalidError.
func CompileEmail(src EmailSource) (*EmailTemplate, error) {
	var problems []Problem
	subject := parsePart(source{field: "subject", text: src.Subject, required: true, maxLen: maxSubjectSource}, &problems)
	if i := strings.IndexAny(src.Subject, "\r\n"); i >= 0 {
		l, c := position(src.Subject, i)
		problems = append(problems, Problem{Field: "subject", Line: l, Column: c, Message: "is one line: remove the line break"})
		subject = nil
	}
	html := parsePart(source{field: "html", text: src.HTML, required: true, maxLen: maxHTMLSource}, &problems)
	text := parsePart(source{field: "text", text: src.Text, maxLen: maxTextSource}, &problems)
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	t := &EmailTemplate{}
	var err error
	if t.subject, err = newText("subject", subject); err != nil {
		return nil, err
	}
	if text != nil {
		if t.text, err = newText("text", text); err != nil {
			return nil, err
		}
	}
	if t.html = newHTML(src.HTML, html, &problems); t.html == nil {
		return nil, invalid(problems)
	}
	return t, nil
}

// Render merges d into the template. The HTML's merge data is escaped
// for its context; the text part is the template's own or, without one,
// generated from the HTML. Both parts always carry the unsubscribe link
// and the org's postal address: what a part does not show itself is added
// in a footer. Errors: ErrMissingData (no valid unsubscribe URL or no
// postal address), ErrTooLarge.
func (t *EmailTemplate) Render(d Data) (Email, error) {
	if err := checkFooterData(d); err != nil {
		return Email{}, err
	}
	v := d.values()
	subject, err := execute("subject", t.subject, v, maxSubjectOutput)
	if err != nil {
		return Email{}, err
	}
	html, err := execute("html", t.html, v, maxHTMLOutput)
	if err != nil {
		return Email{}, err
	}
	doc := scanHTML(html)
	f := footerNeed{unsubscribe: !doc.links[d.Unsubscribe], address: !containsText(doc.text, d.Org.PostalAddress)}
	var text string
	if f.any() {
		footer, err := footerHTML(d, f)
		if err != nil {
			return Email{}, err
		}
		html = insertFooter(html, footer)
		doc.text = joinParagraphs(doc.text, HTMLToText(footer))
	}
	if t.text == nil {
		text = doc.text
	} else {
		if text, err = execute("text", t.text, v, maxTextOutput); err != nil {
			return Email{}, err
		}
		text = appendTextFooter(text, d, footerNeed{
			unsubscribe: !strings.Contains(text, d.Unsubscribe),
			address:     !containsText(text, d.Org.PostalAddress),
		})
	}
	if len(html) > maxHTMLOutput || len(text) > maxTextOutput {
		return Email{}, fmt.Errorf("%w: html or text with the footer over %d bytes", ErrTooLarge, maxHTMLOutput)
	}
	return Email{Subject: oneLine(subject), HTML: html, Text: text}, nil
}

// checkFooterData refuses to render an email that could not carry its
// footer. The unsubscribe URL must be an absolute http(s) URL made only
// of characters a URL carries as they are, so that html/template leaves
// it unchanged and the link in the output is exactly the signed one.
func checkFooterData(d Data) error {
	if strings.TrimSpace(d.Org.PostalAddress) == "" {
		return fmt.Errorf("%w: %s is empty", ErrMissingData, fieldPostalAddress)
	}
	u, err := url.Parse(d.Unsubscribe)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !plainURL(d.Unsubscribe) {
		return fmt.Errorf("%w: %s is not an absolute http(s) URL", ErrMissingData, fieldUnsubscribe)
	}
	return nil
}

// plainURL says s holds only RFC 3986's unreserved and reserved
// characters and percent signs.
func plainURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// oneLine keeps a rendered subject on one header line: merge data with
// line breaks or other control characters must not inject headers.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s))
}

// footerNeed says which of the CAN-SPAM items a part lacks.
type footerNeed struct{ unsubscribe, address bool }

func (f footerNeed) any() bool { return f.unsubscribe || f.address }

// footerTemplate is the one CAN-SPAM footer, parsed once; read-only.
var footerTemplate = htmltemplate.Must(htmltemplate.New("footer").Parse(
	`<div style="margin-top:24px;font-size:12px;color:#666666">` +
		`{{if .address}}<p>{{.address}}</p>{{end}}` +
		`{{if .unsubscribe}}<p><a href="{{.unsubscribe}}">Unsubscribe</a></p>{{end}}` +
		`</div>`))

func footerHTML(d Data, f footerNeed) (string, error) {
	v := map[string]any{"address": "", "unsubscribe": ""}
	if f.address {
		v["address"] = d.Org.PostalAddress
	}
	if f.unsubscribe {
		v["unsubscribe"] = d.Unsubscribe
	}
	return execute("footer", footerTemplate, v, maxHTMLOutput)
}

// insertFooter puts the footer before the last </body>, or at the end of
// an HTML fragment without one.
func insertFooter(html, footer string) string {
	if i := strings.LastIndex(strings.ToLower(html), "</body"); i >= 0 {
		return html[:i] + footer + html[i:]
	}
	return html + footer
}

func appendTextFooter(text string, d Data, f footerNeed) string {
	if !f.any() {
		return text
	}
	var lines []string
	if f.address {
		lines = append(lines, d.Org.PostalAddress)
	}
	if f.unsubscribe {
		lines = append(lines, "Unsubscribe: "+d.Unsubscribe)
	}
	return joinParagraphs(text, "--\n"+strings.Join(lines, "\n"))
}

// joinParagraphs puts b after a with one blank line between them.
func joinParagraphs(a, b string) string {
	a = strings.TrimRight(a, " \t\r\n")
	if a == "" {
		return b
	}
	return a + "\n\n" + b
}

// containsText says whether text shows want, whitespace runs counting as
// one space on both sides (an address may be broken over lines).
func containsText(text, want string) bool {
	return strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(want), " "))
}
