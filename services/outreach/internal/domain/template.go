package domain

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// EmailTemplate is an email template as saved (the template package
// compiles and renders it).
type EmailTemplate struct {
	ID        string
	OrgID     string
	Name      string
	Subject   string
	HTML      string
	Text      *string
	CreatedBy *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SMSTemplate is an SMS template as saved.
type SMSTemplate struct {
	ID        string
	OrgID     string
	Name      string
	Body      string
	CreatedBy *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Template limits (the schema's too).
const (
	MaxSubjectLen  = 998
	MaxHTMLBytes   = 256 << 10
	MaxSMSBodyLen  = 1600
	MaxTemplateLen = MaxNameLen
)

// TemplateName validates a template's name into f.
func TemplateName(name string, f *FieldErrors) string {
	n := strings.TrimSpace(name)
	if n == "" || utf8.RuneCountInString(n) > MaxTemplateLen || hasControl(n) {
		f.Add("name", "is required: at most "+itoa(MaxTemplateLen)+" characters, without control characters")
	}
	return n
}

// CheckEmailSizes refuses an email template's parts over their limits
// (the template package checks their content).
func CheckEmailSizes(subject, html string, text *string, f *FieldErrors) {
	if subject == "" || utf8.RuneCountInString(subject) > MaxSubjectLen {
		f.Add("subject", "is required: at most "+itoa(MaxSubjectLen)+" characters")
	}
	if len(html) > MaxHTMLBytes {
		f.Add("html", "must be at most "+itoa(MaxHTMLBytes)+" bytes")
	}
	if strings.TrimSpace(html) == "" {
		f.Add("html", "is required")
	}
	if text != nil && len(*text) > MaxHTMLBytes {
		f.Add("text", "must be at most "+itoa(MaxHTMLBytes)+" bytes")
	}
}

// CheckSMSSize refuses an SMS body that is empty or over its limit.
func CheckSMSSize(body string, f *FieldErrors) {
	if strings.TrimSpace(body) == "" || utf8.RuneCountInString(body) > MaxSMSBodyLen {
		f.Add("body", "is required: at most "+itoa(MaxSMSBodyLen)+" characters")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
