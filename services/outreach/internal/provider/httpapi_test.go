package provider

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSendGrid imitates the v3 mail API: it checks the key and records the
// bodies; answer decides the reply per recipient.
type fakeSendGrid struct {
	mu     sync.Mutex
	bodies []sgMail
	answer func(to string, w http.ResponseWriter) bool // true: answered
}

func (f *fakeSendGrid) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer SG.test-key" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"errors":[{"message":"The provided authorization grant is invalid, expired, or revoked","field":null,"help":null}]}`)
		return
	}
	var m sgMail
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&m) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, m)
	f.mu.Unlock()
	if f.answer != nil && f.answer(m.Personalizations[0].To[0].Email, w) {
		return
	}
	w.Header().Set("X-Message-Id", "sg-"+m.CustomArgs[SendGridKeyArg])
	w.WriteHeader(http.StatusAccepted)
}

func TestSendGridPostsTheMailAndReturnsTheMessageID(t *testing.T) {
	t.Parallel()
	fake := &fakeSendGrid{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sg, err := NewSendGrid(HTTPConfig{BaseURL: srv.URL, APIKey: "SG.test-key", Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	m := campaignMail("c1/t1/s1/email", "Ann Lee <ann@example.test>")
	res, err := sg.SendEmail(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if res.ProviderMessageID != "sg-"+m.Key || res.Provider != "sendgrid" || !res.AcceptedAt.Equal(fixedNow) {
		t.Fatalf("result = %+v", res)
	}
	got := fake.bodies[0]
	if got.CustomArgs[SendGridKeyArg] != m.Key || got.From.Email != "news@acme.example" || got.From.Name != "Acme Homes" ||
		got.Personalizations[0].To[0] != (sgAddress{Email: "ann@example.test", Name: "Ann Lee"}) || got.ReplyTo.Email != "agent@acme.example" || got.Subject != m.Subject {
		t.Fatalf("body = %+v", got)
	}
	if len(got.Content) != 2 || got.Content[0] != (sgContent{"text/plain", m.Text}) || got.Content[1] != (sgContent{"text/html", m.HTML}) {
		t.Fatalf("content = %+v", got.Content)
	}
	if got.Headers["List-Unsubscribe"] != "<"+m.UnsubscribeURL+">" || got.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" || got.Headers["X-Campaign"] != "c-1" {
		t.Fatalf("headers = %v", got.Headers)
	}
}

func TestSendGridClassifiesAnswers(t *testing.T) {
	t.Parallel()
	fake := &fakeSendGrid{answer: func(to string, w http.ResponseWriter) bool {
		switch {
		case strings.HasPrefix(to, "limited@"):
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case strings.HasPrefix(to, "down@"):
			w.WriteHeader(http.StatusServiceUnavailable)
		case strings.HasPrefix(to, "bad@"):
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email"}]}`)
		case strings.HasPrefix(to, "forbidden@"):
			w.WriteHeader(http.StatusForbidden)
		default:
			return false
		}
		return true
	}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sg, _ := NewSendGrid(HTTPConfig{BaseURL: srv.URL, APIKey: "SG.test-key"})
	wrongKey, _ := NewSendGrid(HTTPConfig{BaseURL: srv.URL, APIKey: "SG.wrong"})
	for _, tc := range []struct {
		name       string
		p          *SendGrid
		to         string
		permanent  bool
		code       string
		retryAfter time.Duration
	}{
		{"429 with Retry-After", sg, "limited@example.test", false, "429", 7 * time.Second},
		{"5xx", sg, "down@example.test", false, "503", 0},
		{"400 names the field", sg, "bad@example.test", true, "field:personalizations.0.to.0.email", 0},
		{"403", sg, "forbidden@example.test", true, "403", 0},
		{"401 wrong key", wrongKey, "ann@example.test", true, "401", 0},
	} {
		_, err := tc.p.SendEmail(context.Background(), campaignMail("k", tc.to))
		var pe *Error
		if !errors.As(err, &pe) || pe.Permanent != tc.permanent || pe.Code != tc.code || pe.RetryAfter != tc.retryAfter {
			t.Errorf("%s: %+v, want permanent=%v code=%s retry=%s", tc.name, pe, tc.permanent, tc.code, tc.retryAfter)
		}
		if pe != nil && strings.Contains(pe.Error(), "SG.") {
			t.Errorf("%s: the error shows the key: %s", tc.name, pe)
		}
	}
	// A dead server is temporary.
	dead, _ := NewSendGrid(HTTPConfig{BaseURL: "http://127.0.0.1:1", APIKey: "SG.test-key"})
	if _, err := dead.SendEmail(context.Background(), campaignMail("k", "ann@example.test")); err == nil || IsPermanent(err) {
		t.Fatalf("connection refused: %v, want temporary", err)
	}
}

func TestHTTPAdaptersRefuseBadMessagesBeforeSending(t *testing.T) {
	t.Parallel()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
	t.Cleanup(srv.Close)
	sg, _ := NewSendGrid(HTTPConfig{BaseURL: srv.URL, APIKey: "k"})
	tw, _ := NewTwilio(HTTPConfig{BaseURL: srv.URL, APIKey: "tok", AccountSID: "AC1"})
	for name, mod := range map[string]func(*EmailMessage){
		"no key":           func(m *EmailMessage) { m.Key = "" },
		"bad to":           func(m *EmailMessage) { m.To = "x" },
		"http unsubscribe": func(m *EmailMessage) { m.UnsubscribeURL = "http://x.example/u" },
		"header injection": func(m *EmailMessage) { m.Headers = map[string]string{"X-A": "1\nBcc: x@y"} },
		"reserved header":  func(m *EmailMessage) { m.Headers = map[string]string{"From": "x@y"} },
		"empty":            func(m *EmailMessage) { m.Text, m.HTML = "", "" },
	} {
		m := campaignMail("k", "ann@example.test")
		mod(&m)
		if _, err := sg.SendEmail(context.Background(), m); !IsPermanent(err) {
			t.Errorf("sendgrid %s: %v, want permanent", name, err)
		}
	}
	for name, m := range map[string]SMSMessage{
		"no key":   {To: "+12125550100", From: "+12125550199", Body: "hi"},
		"bad to":   {Key: "k", To: "2125550100", From: "+12125550199", Body: "hi"},
		"bad from": {Key: "k", To: "+12125550100", From: "Acme", Body: "hi"},
		"empty":    {Key: "k", To: "+12125550100", From: "+12125550199"},
	} {
		if _, err := tw.SendSMS(context.Background(), m); !IsPermanent(err) {
			t.Errorf("twilio %s: %v, want permanent", name, err)
		}
	}
	if calls != 0 {
		t.Fatalf("%d requests reached the provider", calls)
	}
}

// fakeTwilio imitates the Messages resource.
func fakeTwilio(t *testing.T, seen chan<- url.Values) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC123/Messages.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok || user != "AC123" || pass != "secret-token" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`)
			return
		}
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if seen != nil {
			seen <- r.PostForm
		}
		switch to := r.PostForm.Get("To"); to {
		case "+12125550107":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"code": 21211, "message": "The 'To' number +12125550107 is not a valid phone number.", "status": 400}`)
		case "+12125550108":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}`)
		case "+12125550106":
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"code": 20429, "message": "Too Many Requests", "status": 429}`)
		case "+12125550104":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued", "to": "`+to+`"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTwilioPostsTheFormAndReturnsTheSid(t *testing.T) {
	t.Parallel()
	seen := make(chan url.Values, 1)
	srv := fakeTwilio(t, seen)
	tw, err := NewTwilio(HTTPConfig{BaseURL: srv.URL, AccountSID: "AC123", APIKey: "secret-token", StatusCallback: "https://reos.example/api/v1/outreach/webhooks/twilio?x=1", Clock: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	res, err := tw.SendSMS(context.Background(), SMSMessage{Key: "c1/t1/s2/sms", To: "+12125550100", From: "+12125550199", Body: "New listing: 3 beds. Reply STOP to opt out."})
	if err != nil {
		t.Fatal(err)
	}
	if res.ProviderMessageID != "SM0123456789abcdef0123456789abcdef" || res.Provider != "twilio" || !res.AcceptedAt.Equal(fixedNow) {
		t.Fatalf("result = %+v", res)
	}
	form := <-seen
	cb, err := url.Parse(form.Get("StatusCallback"))
	if err != nil || cb.Query().Get("key") != "c1/t1/s2/sms" || cb.Query().Get("x") != "1" || cb.Host != "reos.example" {
		t.Fatalf("StatusCallback = %q", form.Get("StatusCallback"))
	}
	if form.Get("To") != "+12125550100" || form.Get("From") != "+12125550199" || !strings.HasPrefix(form.Get("Body"), "New listing") {
		t.Fatalf("form = %v", form)
	}
	// A messaging service sends as MessagingServiceSid.
	if _, err := tw.SendSMS(context.Background(), SMSMessage{Key: "k2", To: "+12125550100", From: "MG0123", Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	if form := <-seen; form.Get("MessagingServiceSid") != "MG0123" || form.Has("From") {
		t.Fatalf("form = %v", form)
	}
}

func TestTwilioClassifiesAnswers(t *testing.T) {
	t.Parallel()
	srv := fakeTwilio(t, nil)
	tw, _ := NewTwilio(HTTPConfig{BaseURL: srv.URL, AccountSID: "AC123", APIKey: "secret-token"})
	wrong, _ := NewTwilio(HTTPConfig{BaseURL: srv.URL, AccountSID: "AC123", APIKey: "wrong"})
	for _, tc := range []struct {
		name       string
		p          *Twilio
		to         string
		permanent  bool
		code       string
		retryAfter time.Duration
	}{
		{"invalid number", tw, "+12125550107", true, "21211", 0},
		{"unsubscribed", tw, "+12125550108", true, "21610", 0},
		{"429", tw, "+12125550106", false, "20429", 2 * time.Second},
		{"5xx", tw, "+12125550104", false, "500", 0},
		{"wrong token", wrong, "+12125550100", true, "20003", 0},
	} {
		_, err := tc.p.SendSMS(context.Background(), SMSMessage{Key: "k", To: tc.to, From: "+12125550199", Body: "hi"})
		var pe *Error
		if !errors.As(err, &pe) || pe.Permanent != tc.permanent || pe.Code != tc.code || pe.RetryAfter != tc.retryAfter {
			t.Errorf("%s: %+v, want permanent=%v code=%s retry=%s", tc.name, pe, tc.permanent, tc.code, tc.retryAfter)
		}
		if pe != nil && strings.Contains(pe.Error(), "secret-token") {
			t.Errorf("%s: the error shows the token", tc.name)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 5 ", 5 * time.Second},
		{"-3", 0},
		{"1.5", 0},
		{"99999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
		{"soon", 0},
	} {
		if got := RetryAfter(tc.in, now); got != tc.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "1e9", "18446744073709551616"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := RetryAfter(s, now); d < 0 || d > maxRetryAfter {
			t.Fatalf("RetryAfter(%q) = %s, outside [0, %s]", s, d, maxRetryAfter)
		}
	})
}

// FuzzProviderAnswers feeds arbitrary error bodies to the classification:
// never a panic, always a classified *Error whose message stays bounded.
func FuzzProviderAnswers(f *testing.F) {
	f.Add(400, []byte(`{"code": 21610, "message": "unsubscribed"}`))
	f.Add(400, []byte(`{"errors":[{"field":"from.email","message":"bad"}]}`))
	f.Add(429, []byte(`{"code": "x"}`))
	f.Add(503, []byte("\xff\xfe<html>"))
	api := httpAPI{name: "fuzz", clock: fixedClock}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 300 || status > 599 {
			return
		}
		for _, codeOf := range []func([]byte) string{twilioCode, sendGridCode} {
			err := api.classify(status, http.Header{}, body, codeOf)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("not an *Error: %v", err)
			}
			if temp := status == 429 || status == 408 || status >= 500; pe.Permanent == temp {
				t.Fatalf("status %d: permanent=%v", status, pe.Permanent)
			}
			if len(pe.Error()) > 1200 {
				t.Fatalf("error message of %d bytes", len(pe.Error()))
			}
		}
	})
}
