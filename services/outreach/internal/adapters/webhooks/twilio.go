package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" // #nosec G505 -- X-Twilio-Signature is HMAC-SHA1 by Twilio's definition
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// HeaderTwilioSignature is Twilio's request signature header.
const HeaderTwilioSignature = "X-Twilio-Signature"

// TwilioKeyParam is the query parameter of the status callback URL that
// carries outreach's message key (the Twilio sender adds ?key=<key> to
// TWILIO_STATUS_CALLBACK); being part of the URL, it is signed.
const TwilioKeyParam = "key"

// Twilio decodes Twilio's status callbacks and inbound messages.
//
// Twilio signs the URL it called. Behind nginx and the gateway the
// request's own Host and scheme are not that URL's, so the public origin
// is configured (publicURL: scheme, host and optional port, e.g.
// https://app.example.com) and the signed URL is that origin followed by
// the request's path and query as received: paths are the public /api/v1
// ones all the way through.
type Twilio struct {
	token  []byte
	origin *url.URL
	now    func() time.Time
}

// NewTwilio is the Twilio decoder for the account's auth token and the
// public origin Twilio calls.
func NewTwilio(authToken, publicURL string, opts ...Option) (*Twilio, error) {
	if authToken == "" {
		return nil, errors.New("webhooks: Twilio needs the auth token")
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("webhooks: Twilio's public URL must be an origin, scheme://host[:port], with no path or query")
	}
	u.Path = ""
	o := buildOptions(opts)
	return &Twilio{token: []byte(authToken), origin: u, now: o.now}, nil
}

// Provider is "twilio".
func (*Twilio) Provider() string { return "twilio" }

// twilioHard are the error codes after which a number will not take texts:
// 30004 message blocked (by the recipient or at the carrier), 30005 unknown
// or inactive handset, 30006 landline or unreachable carrier, 21211 invalid
// 'To' number, 21610 recipient replied STOP, 21614 'To' is not a mobile
// number. Others (30003 handset off or out of coverage, 30007 filtered
// content, 30008 unknown, 30001 queue overflow, our account's own
// 30002/30010/30034 …) are soft: the number may take the next one.
var twilioHard = map[string]bool{"30004": true, "30005": true, "30006": true, "21211": true, "21610": true, "21614": true}

// Decode verifies X-Twilio-Signature over the public URL and the sorted
// form parameters, then maps a status callback (delivered; undelivered and
// failed a bounce, hard or soft by ErrorCode; read an open; the in-flight
// statuses give none) or an inbound message (Inbound: From, To, Body).
// Twilio sends no timestamp: a replay is recognised by its event id
// (MessageSid and status) instead.
func (t *Twilio) Decode(_ context.Context, r *http.Request, body []byte) ([]Event, error) {
	sig := r.Header.Get(HeaderTwilioSignature)
	if sig == "" {
		return nil, unauthorized("X-Twilio-Signature missing")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, unauthorized("body is not a form Twilio signed")
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return nil, unauthorized("X-Twilio-Signature is not base64")
	}
	match := false
	for _, u := range t.signedURLs(r) {
		// Every candidate is computed and compared: no early return.
		if hmac.Equal(got, TwilioSignature(t.token, u, form)) {
			match = true
		}
	}
	if !match {
		return nil, unauthorized("X-Twilio-Signature does not verify")
	}
	sid := form.Get("MessageSid")
	if sid == "" {
		sid = form.Get("SmsSid")
	}
	if sid == "" {
		return nil, malformed("MessageSid is required")
	}
	now := t.now().UTC()
	status := form.Get("MessageStatus")
	if status == "" || status == "received" {
		if form.Get("From") == "" || !form.Has("Body") {
			return nil, malformed("an inbound message needs From and Body")
		}
		return []Event{{
			Provider: "twilio", ProviderEventID: eventID(sid, "inbound"), Type: Inbound, ProviderMessageID: sid,
			Recipient: form.Get("From"), To: form.Get("To"), Body: form.Get("Body"), At: now,
		}}, nil
	}
	ev := Event{
		Provider: "twilio", ProviderEventID: eventID(sid, status), ProviderMessageID: sid,
		MessageKey: r.URL.Query().Get(TwilioKeyParam), Recipient: form.Get("To"), At: now,
	}
	switch status {
	case "delivered":
		ev.Type = Delivered
	case "read":
		ev.Type = Opened
	case "undelivered", "failed":
		code := form.Get("ErrorCode")
		ev.Type, ev.Detail = BouncedSoft, strings.TrimSpace(status+" "+code)
		if twilioHard[code] {
			ev.Type = BouncedHard
		}
	default: // queued, accepted, scheduled, sending, sent, canceled …: not a final outcome
		return nil, nil
	}
	return []Event{ev}, nil
}

// signedURLs are the URLs Twilio may have signed for r: the public origin
// plus the request URI, and the same with the scheme's default port
// toggled (Twilio's libraries accept both, as Twilio may sign either).
func (t *Twilio) signedURLs(r *http.Request) []string {
	first := t.origin.Scheme + "://" + t.origin.Host + r.URL.RequestURI()
	host, port := t.origin.Hostname(), t.origin.Port()
	def := "443"
	if t.origin.Scheme == "http" {
		def = "80"
	}
	other := t.origin.Host + ":" + def
	switch port {
	case "":
	case def:
		other = host
		if strings.Contains(host, ":") {
			other = "[" + host + "]"
		}
	default:
		return []string{first}
	}
	return []string{first, t.origin.Scheme + "://" + other + r.URL.RequestURI()}
}

// TwilioSignature is X-Twilio-Signature's bytes (before base64) for a form
// post to fullURL: HMAC-SHA1 under the auth token of the URL followed by
// each parameter's name and value, sorted by name, then by value, a value
// repeated under one name counted once (as Twilio's own validators do).
// Tests and the mock sign with it.
func TwilioSignature(authToken []byte, fullURL string, form url.Values) []byte {
	m := hmac.New(sha1.New, authToken)
	m.Write([]byte(fullURL))
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		vals := slices.Clone(form[k])
		slices.Sort(vals)
		for _, v := range slices.Compact(vals) {
			m.Write([]byte(k))
			m.Write([]byte(v))
		}
	}
	return m.Sum(nil)
}
