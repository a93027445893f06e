package webhooks

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTwilioSignatureMatchesThePublishedVectors(t *testing.T) {
	t.Parallel()
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"documented example", url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"}, "From": {"+14158675309"}, "To": {"+18005551212"}}, "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{"repeated parameter", url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234", "1234"}}, "IK+Dwps556ElfBT0I3Rgjkr1wJU="},
	} {
		if got := base64.StdEncoding.EncodeToString(TwilioSignature([]byte("12345"), u, tc.form)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

const (
	twToken  = "twilio-auth-token-0123456789abcdef"
	twOrigin = "https://app.reos.example"
	twStatus = "/api/v1/outreach/webhooks/twilio?key=cmp1%3Atgt1%3A1%3Asms"
	twIn     = "/api/v1/outreach/webhooks/twilio"
)

// twilioRequest is the request as outreach sees it behind nginx and the
// gateway: another host and scheme than the public URL Twilio signed.
func twilioRequest(t testing.TB, signedURL, uri string, body []byte, token string) *http.Request {
	t.Helper()
	r := post("http://outreach:8104"+uri, body)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		r.Header.Set(HeaderTwilioSignature, base64.StdEncoding.EncodeToString(TwilioSignature([]byte(token), signedURL, form)))
	}
	return r
}

func TestTwilioStatusCallbacksAndInbound(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	d, err := NewTwilio(twToken, twOrigin, WithClock(at(now)))
	wantErr(t, err, nil)
	status := func(extra string) []byte {
		return []byte("AccountSid=AC1&From=%2B15017122661&MessageSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&To=%2B15558675310&" + extra)
	}
	const sid = "SM1342fe1b2c904d1ab04f0fc7a58abca9"
	tests := []struct {
		name string
		uri  string
		body []byte
		want []Event
	}{
		{"delivered (documented sample)", twStatus, fixture(t, "twilio/status_delivered.form"), []Event{{ProviderEventID: sid + ":delivered", Type: Delivered, MessageKey: "cmp1:tgt1:1:sms", ProviderMessageID: sid, Recipient: "+15558675310"}}},
		{"undelivered 30005 (documented sample)", twStatus, fixture(t, "twilio/status_undelivered.form"), []Event{{ProviderEventID: sid + ":undelivered", Type: BouncedHard, MessageKey: "cmp1:tgt1:1:sms", ProviderMessageID: sid, Recipient: "+15558675310", Detail: "undelivered 30005"}}},
		{"undelivered 30003 is soft", twStatus, status("MessageStatus=undelivered&ErrorCode=30003"), []Event{{ProviderEventID: sid + ":undelivered", Type: BouncedSoft, MessageKey: "cmp1:tgt1:1:sms", ProviderMessageID: sid, Recipient: "+15558675310", Detail: "undelivered 30003"}}},
		{"failed 30006 is hard", twStatus, status("MessageStatus=failed&ErrorCode=30006"), []Event{{ProviderEventID: sid + ":failed", Type: BouncedHard, MessageKey: "cmp1:tgt1:1:sms", ProviderMessageID: sid, Recipient: "+15558675310", Detail: "failed 30006"}}},
		{"failed 30007 (filtered content) is soft", twStatus, status("MessageStatus=failed&ErrorCode=30007"), []Event{{ProviderEventID: sid + ":failed", Type: BouncedSoft, MessageKey: "cmp1:tgt1:1:sms", ProviderMessageID: sid, Recipient: "+15558675310", Detail: "failed 30007"}}},
		{"failed without a code is soft", twStatus, status("MessageStatus=failed"), []Event{{ProviderEventID: sid + ":failed", Type: BouncedSoft, MessageKey: "cmp1:tgt1:1:sms", ProviderMessageID: sid, Recipient: "+15558675310", Detail: "failed"}}},
		{"sent is not final", twStatus, status("MessageStatus=sent"), nil},
		{"queued is not final", twStatus, status("MessageStatus=queued"), nil},
		{"inbound STOP (documented sample)", twIn, fixture(t, "twilio/inbound.form"), []Event{{ProviderEventID: "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:inbound", Type: Inbound, ProviderMessageID: "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Recipient: "+15558675310", To: "+15017122661", Body: "STOP"}}},
		{"inbound with an empty body", twIn, []byte("MessageSid=SMb&From=%2B15558675310&To=%2B15017122661&Body="), []Event{{ProviderEventID: "SMb:inbound", Type: Inbound, ProviderMessageID: "SMb", Recipient: "+15558675310", To: "+15017122661"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := d.Decode(context.Background(), twilioRequest(t, twOrigin+tc.uri, tc.uri, tc.body, twToken), tc.body)
			wantErr(t, err, nil)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i, w := range tc.want {
				w.Provider, w.At = "twilio", now
				if got[i] != w {
					t.Errorf("\n got %+v\nwant %+v", got[i], w)
				}
			}
		})
	}
}

func TestTwilioErrorCodesHardOrSoft(t *testing.T) {
	t.Parallel()
	d, _ := NewTwilio(twToken, twOrigin)
	hard := map[string]bool{"30004": true, "30005": true, "30006": true, "21211": true, "21610": true, "21614": true}
	for _, code := range []string{"30001", "30002", "30003", "30004", "30005", "30006", "30007", "30008", "30010", "30034", "21211", "21610", "21612", "21614"} {
		body := []byte("MessageSid=SM1&MessageStatus=undelivered&To=%2B15558675310&ErrorCode=" + code)
		got, err := d.Decode(context.Background(), twilioRequest(t, twOrigin+twIn, twIn, body, twToken), body)
		wantErr(t, err, nil)
		want := BouncedSoft
		if hard[code] {
			want = BouncedHard
		}
		if len(got) != 1 || got[0].Type != want {
			t.Errorf("ErrorCode %s: %+v, want %s", code, got, want)
		}
	}
}

func TestTwilioSignedURLVariants(t *testing.T) {
	t.Parallel()
	body := fixture(t, "twilio/status_delivered.form")
	for _, tc := range []struct {
		name, origin, signed string
		ok                   bool
	}{
		{"as configured", "https://app.reos.example", "https://app.reos.example" + twStatus, true},
		{"Twilio added :443", "https://app.reos.example", "https://app.reos.example:443" + twStatus, true},
		{"configured with :443, Twilio left it out", "https://app.reos.example:443", "https://app.reos.example" + twStatus, true},
		{"odd port as configured", "https://app.reos.example:8443", "https://app.reos.example:8443" + twStatus, true},
		{"odd port left out", "https://app.reos.example:8443", "https://app.reos.example" + twStatus, false},
		{"the internal host", "https://app.reos.example", "http://outreach:8104" + twStatus, false},
		{"another path", "https://app.reos.example", "https://app.reos.example/api/v1/outreach/webhooks/mock?key=cmp1%3Atgt1%3A1%3Asms", false},
		{"another key", "https://app.reos.example", "https://app.reos.example/api/v1/outreach/webhooks/twilio?key=cmp1%3Atgt9%3A1%3Asms", false},
		{"http for https", "https://app.reos.example", "http://app.reos.example" + twStatus, false},
	} {
		d, err := NewTwilio(twToken, tc.origin)
		wantErr(t, err, nil)
		got, err := d.Decode(context.Background(), twilioRequest(t, tc.signed, twStatus, body, twToken), body)
		if tc.ok && (err != nil || len(got) != 1) {
			t.Errorf("%s: %v %+v, want the event", tc.name, err, got)
		}
		if !tc.ok && (!errIs(err, ErrUnauthorized) || got != nil) {
			t.Errorf("%s: %v %+v, want ErrUnauthorized", tc.name, err, got)
		}
	}
}

func TestTwilioRefusesUnsigned(t *testing.T) {
	t.Parallel()
	d, _ := NewTwilio(twToken, twOrigin)
	body := fixture(t, "twilio/inbound.form")
	for name, r := range map[string]*http.Request{
		"no signature":  twilioRequest(t, twOrigin+twIn, twIn, body, ""),
		"another token": twilioRequest(t, twOrigin+twIn, twIn, body, "another-token"),
		"not base64": func() *http.Request {
			r := twilioRequest(t, twOrigin+twIn, twIn, body, twToken)
			r.Header.Set(HeaderTwilioSignature, "%%%")
			return r
		}(),
	} {
		got, err := d.Decode(context.Background(), r, body)
		if !errIs(err, ErrUnauthorized) || got != nil {
			t.Errorf("%s: %v %+v, want ErrUnauthorized", name, err, got)
		}
	}
	// A parameter changed after signing: the STOP becomes START.
	r := twilioRequest(t, twOrigin+twIn, twIn, body, twToken)
	changed := []byte(strings.Replace(string(body), "Body=STOP", "Body=START", 1))
	if got, err := d.Decode(context.Background(), r, changed); !errIs(err, ErrUnauthorized) || got != nil {
		t.Errorf("changed body: %v %+v", err, got)
	}
	// A parameter added after signing.
	added := append(append([]byte{}, body...), "&Extra=1"...)
	if got, err := d.Decode(context.Background(), r, added); !errIs(err, ErrUnauthorized) || got != nil {
		t.Errorf("added parameter: %v %+v", err, got)
	}
	// Not a form at all.
	bad := []byte("%zz")
	if _, err := d.Decode(context.Background(), r, bad); !errIs(err, ErrUnauthorized) {
		t.Errorf("not a form: %v", err)
	}
}

func TestTwilioSignedButMalformed(t *testing.T) {
	t.Parallel()
	d, _ := NewTwilio(twToken, twOrigin)
	for name, body := range map[string]string{
		"no MessageSid":      "MessageStatus=delivered&To=%2B15558675310",
		"inbound, no From":   "MessageSid=SM1&Body=hi",
		"inbound, no Body":   "MessageSid=SM1&From=%2B15558675310",
		"nothing at all":     "",
		"received, no From":  "MessageSid=SM1&MessageStatus=received&Body=hi",
		"only an AccountSid": "AccountSid=AC1",
	} {
		got, err := d.Decode(context.Background(), twilioRequest(t, twOrigin+twIn, twIn, []byte(body), twToken), []byte(body))
		if !errIs(err, ErrMalformed) || got != nil {
			t.Errorf("%s: %v %+v, want ErrMalformed", name, err, got)
		}
	}
}

func TestNewTwilioWantsAnOrigin(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "app.reos.example", "ftp://app.reos.example", "https://app.reos.example/api/v1", "https://u:p@app.reos.example", "https://app.reos.example?x=1"} {
		if _, err := NewTwilio(twToken, u); err == nil {
			t.Errorf("NewTwilio accepted %q", u)
		}
	}
	if _, err := NewTwilio("", twOrigin); err == nil {
		t.Error("NewTwilio accepted an empty token")
	}
	if _, err := NewTwilio(twToken, "https://app.reos.example/"); err != nil {
		t.Errorf("a trailing slash: %v", err)
	}
}
