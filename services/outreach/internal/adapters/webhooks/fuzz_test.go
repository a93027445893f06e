package webhooks

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1" // #nosec G505 -- checking SNS SignatureVersion 1 signatures
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every fuzz function checks two things of arbitrary input: what the
// fuzzer sends as is (its own headers and body) is never accepted, since
// it cannot carry a valid signature; and the same body properly signed
// never panics and is either decoded or ErrMalformed, never another error.

// checkUnsigned fails unless err refuses the request as unsigned (or, for
// SES, as unverifiable) and no event came out.
func checkUnsigned(t *testing.T, events []Event, err error, also ...error) {
	t.Helper()
	if events != nil {
		t.Fatalf("unsigned input yielded events: %+v", events)
	}
	if errors.Is(err, ErrUnauthorized) {
		return
	}
	for _, a := range also {
		if errors.Is(err, a) {
			return
		}
	}
	t.Fatalf("unsigned input: %v, want ErrUnauthorized", err)
}

// checkSigned fails unless a signed body decoded or was ErrMalformed.
func checkSigned(t *testing.T, events []Event, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) {
		t.Fatalf("signed input: %v, want success or ErrMalformed", err)
	}
	if err != nil && events != nil {
		t.Fatalf("events with an error: %+v", events)
	}
}

func FuzzMock(f *testing.F) {
	now := time.Unix(1_772_000_000, 0)
	m, err := NewMock(swSecret, WithClock(at(now)))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := EncodeMock(mockEvents(now))
	sigHeaders := http.Header{}
	_ = SignStandard(sigHeaders, swSecret, "msg_1", now, good)
	f.Add(good, "msg_1", strconv.FormatInt(now.Unix(), 10), sigHeaders.Get(HeaderWebhookSignature))
	f.Add([]byte(swPayload), swID, strconv.Itoa(swTimestamp), swSignature)
	f.Add([]byte(`[{"type":"delivered","at":"2026-01-01T00:00:00Z"}]`), "", "", "v1,")
	f.Add([]byte(`[]`), "x", "99999999999", "v1,AAAA v1,==")
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig string) {
		r := post("/", body)
		r.Header.Set(HeaderWebhookID, id)
		r.Header.Set(HeaderWebhookTimestamp, ts)
		r.Header.Set(HeaderWebhookSignature, sig)
		events, err := m.Decode(context.Background(), r, body)
		if err == nil && strings.Contains(" "+sig+" ", " "+testStandardSignature(id, ts, body)+" ") {
			return // a seed's valid signature, kept by the fuzzer
		}
		checkUnsigned(t, events, err)

		signed := post("/", body)
		if err := SignStandard(signed.Header, swSecret, "msg_fuzz", now, body); err != nil {
			t.Fatal(err)
		}
		events, err = m.Decode(context.Background(), signed, body)
		checkSigned(t, events, err)
	})
}

func FuzzSES(f *testing.F) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	signer := newSNSSigner(f, now.Add(-time.Hour), now.Add(time.Hour))
	fetcher := newFakeFetcher()
	fetcher.serve(testCertURL, signer.certPEM)
	ses, err := NewSES(SESConfig{TopicARNs: []string{testTopic}, Fetcher: fetcher, Now: at(now)})
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"bounce_permanent", "bounce_transient", "complaint", "delivery", "open", "click", "delivery_delay", "send"} {
		msg := fixture(f, "ses/"+name+".json")
		f.Add(signer.sign(f, notification(string(msg), now), "2"), msg)
	}
	f.Add([]byte(`{"Type":"SubscriptionConfirmation"}`), []byte(`{}`))
	f.Add([]byte(`{}`), []byte(`{"eventType":"Bounce","mail":{"messageId":"m"},"bounce":{}}`))
	f.Fuzz(func(t *testing.T, body, message []byte) {
		// As is: only an envelope whose signed fields verify under the test
		// key (a seed's, perhaps with unsigned fields changed) may decode.
		events, err := ses.Decode(context.Background(), post("/", body), body)
		if err == nil {
			if signer.verifies(body) {
				return
			}
			t.Fatalf("unsigned input decoded: %+v", events)
		}
		checkUnsigned(t, events, err, ErrUnavailable)

		signed := signer.sign(t, notification(string(message), now), "2")
		events, err = ses.Decode(context.Background(), post("/", signed), signed)
		checkSigned(t, events, err)
	})
}

func FuzzSendGrid(f *testing.F) {
	key := newSGKey(f)
	now := time.Unix(1_772_000_000, 0)
	d, err := NewSendGrid(key.base64, WithClock(at(now)))
	if err != nil {
		f.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	events := fixture(f, "sendgrid/events.json")
	f.Add(events, key.sign(f, ts, events), ts)
	f.Add(fixture(f, "sendgrid/helper_vector.json"), sgVectorSignature, strconv.Itoa(sgVectorTimestamp))
	f.Add([]byte(`[{"event":"bounce","timestamp":1.5e300}]`), "MEUCIQ==", "0")
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string) {
		r := sendgridRequest(body, sig, ts)
		// A fuzzer-made (body, sig) pair may be a seed's valid one; any
		// other cannot verify under the test key.
		out, err := d.Decode(context.Background(), r, body)
		if err == nil {
			if key.verifies(ts, body, sig) {
				return
			}
			t.Fatalf("unsigned input decoded: %+v", out)
		}
		checkUnsigned(t, out, err)

		// Signed: the parser behind the check, called directly, because
		// P-256 under the fuzzer's coverage instrumentation signs a few
		// bodies a second (the signature path has its unit tests).
		out, err = decodeSendGridEvents(body)
		checkSigned(t, out, err)
	})
}

func FuzzPostmark(f *testing.F) {
	d, err := NewPostmark("postmark", "s3cret-pass")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"delivery", "bounce_hard", "bounce_soft", "spam_complaint", "open", "click", "subscription_change"} {
		f.Add(fixture(f, "postmark/"+name+".json"), "postmark", "wrong")
	}
	f.Add([]byte(`{"RecordType":"Bounce","ID":1e400}`), "", "")
	f.Fuzz(func(t *testing.T, body []byte, user, pass string) {
		if user == "postmark" && pass == "s3cret-pass" {
			return // the fuzzer found the password; that is not unsigned input
		}
		r := postmarkRequest(body, user, pass)
		out, err := d.Decode(context.Background(), r, body)
		checkUnsigned(t, out, err)

		out, err = d.Decode(context.Background(), postmarkRequest(body, "postmark", "s3cret-pass"), body)
		checkSigned(t, out, err)
	})
}

func FuzzTwilio(f *testing.F) {
	d, err := NewTwilio(twToken, twOrigin, WithClock(at(time.Unix(1_772_000_000, 0))))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"status_delivered", "status_undelivered", "inbound"} {
		f.Add(fixture(f, "twilio/"+name+".form"), "/api/v1/outreach/webhooks/twilio?key=k", "")
	}
	f.Add([]byte("MessageSid=SM1&MessageStatus=failed&ErrorCode=30005&MessageSid=SM2"), "/x?key=a&key=b", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	f.Add([]byte("%zz&;"), "/%zz", "====")
	f.Fuzz(func(t *testing.T, body []byte, uri, sig string) {
		u, err := url.ParseRequestURI(uri)
		if err != nil || u.Host != "" || u.Scheme != "" {
			return // not a request URI the server could have received
		}
		r := post("http://outreach:8104/", body)
		r.URL = u
		r.Header.Set(HeaderTwilioSignature, sig)
		out, err := d.Decode(context.Background(), r, body)
		if err == nil {
			form, _ := url.ParseQuery(string(body))
			want := base64.StdEncoding.EncodeToString(TwilioSignature([]byte(twToken), twOrigin+u.RequestURI(), form))
			if sig == want {
				return
			}
			t.Fatalf("unsigned input decoded: %+v", out)
		}
		checkUnsigned(t, out, err)

		form, perr := url.ParseQuery(string(body))
		if perr != nil {
			return // not a form: nothing Twilio could have signed
		}
		signed := post("http://outreach:8104/", body)
		signed.URL = u
		signed.Header.Set(HeaderTwilioSignature, base64.StdEncoding.EncodeToString(TwilioSignature([]byte(twToken), twOrigin+u.RequestURI(), form)))
		out, err = d.Decode(context.Background(), signed, body)
		checkSigned(t, out, err)
	})
}

// testStandardSignature is the Standard Webhooks signature of the test
// secret, computed here from the specification rather than by the code.
func testStandardSignature(id, ts string, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(swSecret, "whsec_"))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verifies says whether body is an SNS envelope whose documented fields
// carry a valid signature by the test key.
func (s *snsSigner) verifies(body []byte) bool {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	str := func(k string) (string, bool) { v, ok := m[k].(string); return v, ok }
	typ, _ := str("Type")
	var canon strings.Builder
	for _, k := range snsOrder[typ] {
		if v, ok := str(k); ok {
			canon.WriteString(k + "\n" + v + "\n")
		}
	}
	sigB64, _ := str("Signature")
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return false
	}
	switch v, _ := str("SignatureVersion"); v {
	case "1":
		d := sha1.Sum([]byte(canon.String())) // #nosec G401 -- SNS SignatureVersion 1
		return rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA1, d[:], sig) == nil
	case "2":
		d := sha256.Sum256([]byte(canon.String()))
		return rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, d[:], sig) == nil
	}
	return false
}

// verifies says whether sig is the test key's signature of ts+body.
func (k sgKey) verifies(ts string, body []byte, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	d := sha256.Sum256(append([]byte(ts), body...))
	return ecdsa.VerifyASN1(&k.priv.PublicKey, d[:], raw)
}
