package template

import (
	"fmt"
	texttemplate "text/template"
	"unicode/utf8"
)

// SMSTemplate is a compiled, checked SMS template; safe for concurrent use.
type SMSTemplate struct {
	body *texttemplate.Template
}

// CompileSMS checks an SMS template against the sandbox and compiles it.
func CompileSMS(src SMSSource) (*SMSTemplate, error) {
	var problems []Problem
	body := parsePart(source{field: "body", text: src.Body, required: true, maxLen: maxSMSSource, runes: true}, &problems)
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	t, err := newText("body", body)
	if err != nil {
		return nil, err
	}
	return &SMSTemplate{body: t}, nil
}

// Render merges d into the body as plain text. A body over 1,600
// characters (what the providers accept) is ErrTooLarge.
func (t *SMSTemplate) Render(d Data) (string, error) {
	s, err := execute("body", t.body, d.values(), maxSMSOutput*utf8.UTFMax)
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n > maxSMSOutput {
		return "", fmt.Errorf("%w: body is %d characters, over %d", ErrTooLarge, n, maxSMSOutput)
	}
	return s, nil
}
