package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxAnswer bounds what is read of a provider's answer.
const maxAnswer = 1 << 20

// maxRetryAfter caps a provider's Retry-After: a day's quota is the longest
// hold that makes sense; anything longer is a misreading.
const maxRetryAfter = 24 * time.Hour

// httpAPI is what SendGrid and Twilio share: the client, the clock, the
// request and the classification of its answer.
type httpAPI struct {
	name   string
	base   string
	client *http.Client
	clock  func() time.Time
}

func newHTTPAPI(name, defaultBase string, cfg HTTPConfig) httpAPI {
	base := cfg.BaseURL
	if base == "" {
		base = defaultBase
	}
	client := cfg.Client
	if client == nil {
		timeout := cfg.Timeout
		if timeout == 0 {
			timeout = 30 * time.Second
		}
		client = &http.Client{Timeout: timeout}
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	return httpAPI{name: name, base: strings.TrimRight(base, "/"), client: client, clock: clock}
}

// do sends req and returns the status, headers and (bounded) body of a
// 2xx answer; anything else is a classified *Error.
func (h httpAPI) do(req *http.Request, codeOf func(body []byte) string) (int, http.Header, []byte, error) {
	resp, err := h.client.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return 0, nil, nil, ctxErr
		}
		return 0, nil, nil, &Error{Provider: h.name, Code: "connection", Err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil && resp.StatusCode/100 != 2 {
		return 0, nil, nil, &Error{Provider: h.name, Code: strconv.Itoa(resp.StatusCode), Err: err}
	}
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, resp.Header, body, nil
	}
	return 0, nil, nil, h.classify(resp.StatusCode, resp.Header, body, codeOf)
}

// classify an unsuccessful answer: 408, 429 and 5xx temporary (429 with its
// Retry-After), every other 4xx permanent.
func (h httpAPI) classify(status int, hdr http.Header, body []byte, codeOf func([]byte) string) error {
	e := &Error{Provider: h.name, Code: strconv.Itoa(status)}
	if c := codeOf(body); c != "" {
		e.Code = c
	}
	e.Err = fmt.Errorf("%s answered %d: %s", h.name, status, snippet(body))
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		e.RetryAfter = RetryAfter(hdr.Get("Retry-After"), h.clock())
	default:
		e.Permanent = true
	}
	return e
}

// RetryAfter reads a Retry-After value (RFC 9110: delay seconds or an HTTP
// date, relative to now); 0 when absent, unreadable or past, at most a day.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		d = time.Duration(min(secs, uint64(maxRetryAfter/time.Second))) * time.Second // ErrRange: secs is the largest uint64
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// snippet is the start of an answer for an error message (never a request:
// those carry credentials and addresses).
func snippet(b []byte) string {
	const n = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.Join(strings.Fields(s), " ")
}

// SendGrid sends email through a SendGrid-style v3 mail API:
// POST /v3/mail/send, JSON, Authorization: Bearer <key>; our key rides in
// custom_args (reos_key), so the event webhook names it; 202 is accepted
// with the X-Message-Id header.
type SendGrid struct {
	api httpAPI
	key string
}

// NewSendGrid validates cfg (APIKey required).
func NewSendGrid(cfg HTTPConfig) (*SendGrid, error) {
	if err := cfg.validate("sendgrid", false); err != nil {
		return nil, err
	}
	return &SendGrid{api: newHTTPAPI("sendgrid", "https://api.sendgrid.com", cfg), key: cfg.APIKey}, nil
}

// Name is "sendgrid".
func (*SendGrid) Name() string { return "sendgrid" }

type sgAddress struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

type sgContent struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type sgMail struct {
	Personalizations []sgPersonalization `json:"personalizations"`
	From             sgAddress           `json:"from"`
	ReplyTo          *sgAddress          `json:"reply_to,omitempty"`
	Subject          string              `json:"subject"`
	Content          []sgContent         `json:"content"`
	Headers          map[string]string   `json:"headers,omitempty"`
	CustomArgs       map[string]string   `json:"custom_args"`
}

type sgPersonalization struct {
	To []sgAddress `json:"to"`
}

// SendGridKeyArg is the custom_args name that carries outreach's message key.
const SendGridKeyArg = "reos_key"

// SendEmail posts m. The body's footer is already rendered; headers carry
// the one-click unsubscribe (RFC 8058).
func (s *SendGrid) SendEmail(ctx context.Context, m EmailMessage) (Result, error) {
	body, err := s.body(m)
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api.base+"/v3/mail/send", strings.NewReader(string(body)))
	if err != nil {
		return Result{}, &Error{Provider: "sendgrid", Permanent: true, Code: "invalid_config", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", "application/json")
	status, hdr, _, err := s.api.do(req, sendGridCode)
	if err != nil {
		return Result{}, err
	}
	if status != http.StatusAccepted {
		return Result{}, &Error{Provider: "sendgrid", Code: strconv.Itoa(status), Err: fmt.Errorf("sendgrid answered %d, want 202", status)}
	}
	return Result{ProviderMessageID: hdr.Get("X-Message-Id"), Provider: "sendgrid", AcceptedAt: s.api.clock()}, nil
}

func (s *SendGrid) body(m EmailMessage) ([]byte, error) {
	if m.Key == "" {
		return nil, invalid("sendgrid", "key", "is required")
	}
	from, err := parseAddress("sendgrid", "from", m.From)
	if err != nil {
		return nil, err
	}
	to, err := parseAddress("sendgrid", "to", m.To)
	if err != nil {
		return nil, err
	}
	mail := sgMail{
		Personalizations: []sgPersonalization{{To: []sgAddress{to}}},
		From:             from,
		Subject:          m.Subject,
		CustomArgs:       map[string]string{SendGridKeyArg: m.Key},
	}
	if m.ReplyTo != "" {
		rt, err := parseAddress("sendgrid", "reply_to", m.ReplyTo)
		if err != nil {
			return nil, err
		}
		mail.ReplyTo = &rt
	}
	// SendGrid wants text/plain before text/html.
	if m.Text != "" {
		mail.Content = append(mail.Content, sgContent{Type: "text/plain", Value: m.Text})
	}
	if m.HTML != "" {
		mail.Content = append(mail.Content, sgContent{Type: "text/html", Value: m.HTML})
	}
	if len(mail.Content) == 0 {
		return nil, invalid("sendgrid", "body", "has neither text nor HTML")
	}
	for k, v := range m.Headers {
		if err := checkHeader("sendgrid", k, v); err != nil {
			return nil, err
		}
		if mail.Headers == nil {
			mail.Headers = map[string]string{}
		}
		mail.Headers[k] = v
	}
	if m.UnsubscribeURL != "" {
		if u, err := url.Parse(m.UnsubscribeURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, invalid("sendgrid", "unsubscribe_url", "must be an https URL")
		}
		if mail.Headers == nil {
			mail.Headers = map[string]string{}
		}
		mail.Headers["List-Unsubscribe"] = "<" + m.UnsubscribeURL + ">"
		mail.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	return json.Marshal(mail)
}

// sendGridCode: SendGrid's errors carry no code, only messages and fields;
// the first field names the problem.
func sendGridCode(body []byte) string {
	var e struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 && e.Errors[0].Field != "" {
		return "field:" + e.Errors[0].Field
	}
	return ""
}

// Twilio sends text messages through a Twilio-style API:
// POST /2010-04-01/Accounts/{sid}/Messages.json, a form body, basic auth
// (account SID, auth token); 201 answers the message's sid. The API has no
// idempotency key: "never twice" rests on outreach's attempt record; the
// key is added to the StatusCallback URL so every callback names it.
type Twilio struct {
	api      httpAPI
	sid      string
	token    string
	callback string
}

// NewTwilio validates cfg (AccountSID and APIKey, the auth token, required).
func NewTwilio(cfg HTTPConfig) (*Twilio, error) {
	if err := cfg.validate("twilio", true); err != nil {
		return nil, err
	}
	if cfg.StatusCallback != "" {
		if u, err := url.Parse(cfg.StatusCallback); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, errors.New("twilio: StatusCallback must be an absolute http(s) URL")
		}
	}
	return &Twilio{api: newHTTPAPI("twilio", "https://api.twilio.com", cfg), sid: cfg.AccountSID, token: cfg.APIKey, callback: cfg.StatusCallback}, nil
}

// Name is "twilio".
func (*Twilio) Name() string { return "twilio" }

// SendSMS posts m. A From starting with "MG" is a messaging service.
func (t *Twilio) SendSMS(ctx context.Context, m SMSMessage) (Result, error) {
	if m.Key == "" {
		return Result{}, invalid("twilio", "key", "is required")
	}
	if !IsE164(m.To) {
		return Result{}, &Error{Provider: "twilio", Permanent: true, Code: "21211", Err: fmt.Errorf("'To' %q is not E.164", m.To)}
	}
	if m.Body == "" {
		return Result{}, invalid("twilio", "body", "is empty")
	}
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	switch {
	case strings.HasPrefix(m.From, "MG"):
		form.Set("MessagingServiceSid", m.From)
	case IsE164(m.From):
		form.Set("From", m.From)
	default:
		return Result{}, invalid("twilio", "from", "must be an E.164 number or a messaging service sid (MG…)")
	}
	if t.callback != "" {
		u, _ := url.Parse(t.callback) // checked by NewTwilio
		q := u.Query()
		q.Set("key", m.Key)
		u.RawQuery = q.Encode()
		form.Set("StatusCallback", u.String())
	}
	endpoint := t.api.base + "/2010-04-01/Accounts/" + url.PathEscape(t.sid) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, &Error{Provider: "twilio", Permanent: true, Code: "invalid_config", Err: err}
	}
	req.SetBasicAuth(t.sid, t.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, body, err := t.api.do(req, twilioCode)
	if err != nil {
		return Result{}, err
	}
	var ans struct {
		SID string `json:"sid"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &ans) != nil || ans.SID == "" {
		// Accepted or not is unknown: temporary, and the caller's record
		// keeps a retry from being a second text only if it checks first.
		return Result{}, &Error{Provider: "twilio", Code: CodeOutcomeUnknown, Err: fmt.Errorf("twilio answered %d without a sid: %s", status, snippet(body))}
	}
	return Result{ProviderMessageID: ans.SID, Provider: "twilio", AcceptedAt: t.api.clock()}, nil
}

// twilioCode is the error code of a Twilio error answer
// ({"code": 21610, "message": …}); "" when there is none.
func twilioCode(body []byte) string {
	var e struct {
		Code json.Number `json:"code"`
	}
	if json.Unmarshal(body, &e) == nil && e.Code != "" {
		if _, err := e.Code.Int64(); err == nil {
			return e.Code.String()
		}
	}
	return ""
}

func parseAddress(provider, field, s string) (sgAddress, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return sgAddress{}, invalid(provider, field, err.Error())
	}
	return sgAddress{Email: a.Address, Name: a.Name}, nil
}

// checkHeader refuses header names and values that could inject lines or
// override what the adapter sets.
func checkHeader(provider, k, v string) error {
	switch {
	case !validHeaderName(k):
		return invalid(provider, "headers", fmt.Sprintf("%q is not a header name", k))
	case isReserved(k):
		return invalid(provider, "headers", k+" is set by the adapter")
	case strings.ContainsAny(v, "\r\n"):
		return invalid(provider, "headers", k+" contains a line break")
	}
	return nil
}
