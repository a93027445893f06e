// Package template parses, validates and renders outreach's email and SMS
// templates. It is pure code (no I/O).
//
// # What users write
//
// Templates use Go's template syntax. A merge field is written with a dot
// and its name from Fields(): {{ .contact.first_name }}, {{ .org.name }},
// {{ .unsubscribe_url }}. Also allowed:
//
//   - functions default, upper, lower, title, trim:
//     {{ .contact.first_name | default "there" }}, {{ upper .org.name }};
//   - {{ if }} / {{ else if }} / {{ else }} / {{ with }} … {{ end }}, with
//     the comparisons eq, ne, lt, le, gt, ge and the logic and, or, not:
//     {{ if ge .lead.score 70 }}…{{ end }}. Inside {{ with .x }}, . is that
//     value and $ the whole data ($.org.name).
//
// Everything else is refused when the template is saved, each refusal a
// Problem with its line and column: unknown fields, other functions
// (printf, index, call, len, html, js …), {{ range }}, {{ template }},
// {{ define }}, {{ block }}, variables, comparisons of different kinds
// (a number with text). So a template that compiles also renders.
//
// The email's HTML part runs through html/template: merge data is escaped
// for where it lands (text, attribute, URL, script), so a contact named
// <script> or a javascript: link in the data cannot inject anything. The
// subject, the text part and SMS bodies are text/template (plain text).
// Each part is parsed once with text/template/parse and the tree is
// walked by the sandbox before any execution.
//
// CONTRACT (written by the lead before the work was split): the types and
// function signatures in this file are what the rest of outreach codes
// against. Implementations live next to it; change a signature only
// together with every caller.
package template

// Channel is the medium a template is for.
type Channel string

const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// Problem is one thing wrong with a template, located in the source it
// was found in. Field is the template's field ("subject", "html", "text",
// "body"); Line and Column are 1-based (0 when not known).
type Problem struct {
	Field   string `json:"field"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// InvalidError lists every problem of a template; the transport answers it
// with 422 naming each field, line and column.
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string {
	if len(e.Problems) == 0 {
		return "template: invalid"
	}
	return "template: " + e.Problems[0].Field + ": " + e.Problems[0].Message
}

// Data is the merge data of one message. Templates may use only the
// fields declared by Fields(); a field that is not declared is a Problem
// at save time, never a blank at send time.
type Data struct {
	Contact     ContactData
	Lead        LeadData
	Agent       AgentData
	Org         OrgData
	Unsubscribe string // the signed unsubscribe URL of this message
}

// ContactData is the recipient.
type ContactData struct {
	FirstName, LastName, FullName, Email, Phone string
}

// LeadData is the recipient's lead, when there is one.
type LeadData struct {
	Stage, Source, PostalCode string
	Score                     int
}

// AgentData is the lead's assignee, or the sender.
type AgentData struct {
	FullName, Email, Phone string
}

// OrgData is the sending organisation.
type OrgData struct {
	Name, PostalAddress, HelpText string
}

// EmailSource is an email template as saved.
type EmailSource struct {
	Subject string
	HTML    string
	Text    string // optional: generated from HTML when empty
}

// SMSSource is an SMS template as saved.
type SMSSource struct {
	Body string
}

// Email is the rendered email.
type Email struct {
	Subject string
	HTML    string
	Text    string
}

// Segments says how an SMS body travels: Encoding "GSM-7" (extension
// characters count two septets; 160 per single message, 153 per part) or
// "UCS-2" (70 / 67, counted in UTF-16 code units); Count is the number of
// messages it is sent as; Units the septets or code units used.
type Segments struct {
	Encoding string `json:"encoding"`
	Count    int    `json:"count"`
	Units    int    `json:"units"`
}

// The functions the rest of outreach calls (implemented in this package):
//
//	func Fields() []string                                  // the declared merge fields, e.g. "contact.first_name", "unsubscribe_url"
//	func CompileEmail(src EmailSource) (*EmailTemplate, error) // *InvalidError on unknown field / syntax error
//	func CompileSMS(src SMSSource) (*SMSTemplate, error)
//	func (t *EmailTemplate) Render(d Data) (Email, error)      // HTML-escaped merge data; Text generated when the source had none
//	func (t *SMSTemplate) Render(d Data) (string, error)
//	func Count(body string) Segments
//	func SampleData() Data                                     // what a preview uses without a real recipient
