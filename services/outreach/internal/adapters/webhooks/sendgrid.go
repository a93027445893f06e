package webhooks

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SendGrid's signed event webhook headers, and the custom argument that
// carries outreach's message key (the SendGrid sender sets custom_args
// {"reos_key": key}; SendGrid echoes custom args as top-level fields).
const (
	HeaderSendGridSignature = "X-Twilio-Email-Event-Webhook-Signature"
	HeaderSendGridTimestamp = "X-Twilio-Email-Event-Webhook-Timestamp"
	SendGridKeyArg          = "reos_key"
)

// SendGrid decodes SendGrid's signed event webhook.
type SendGrid struct {
	pub *ecdsa.PublicKey
	o   options
}

// NewSendGrid is the SendGrid decoder for the webhook's verification key,
// as SendGrid shows it (base64 of the DER public key) or as PEM.
func NewSendGrid(publicKey string, opts ...Option) (*SendGrid, error) {
	pub, err := parseECDSAPublicKey(publicKey)
	if err != nil {
		return nil, err
	}
	return &SendGrid{pub: pub, o: buildOptions(opts)}, nil
}

func parseECDSAPublicKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if block, _ := pem.Decode([]byte(s)); block != nil {
		der = block.Bytes
	} else {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, errors.New("webhooks: the SendGrid key is neither PEM nor base64 DER")
		}
		der = b
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("webhooks: the SendGrid key is not a public key")
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("webhooks: the SendGrid key is not an ECDSA key")
	}
	return pub, nil
}

// Provider is "sendgrid".
func (*SendGrid) Provider() string { return "sendgrid" }

// sendgridEvent is one record of the event list. Timestamp is a
// json.Number: SendGrid sends an integer, and a float must not fail the
// batch.
type sendgridEvent struct {
	Email       string      `json:"email"`
	Timestamp   json.Number `json:"timestamp"`
	Event       string      `json:"event"`
	SGEventID   string      `json:"sg_event_id"`
	SGMessageID string      `json:"sg_message_id"`
	Type        string      `json:"type"`
	Status      string      `json:"status"`
	Reason      string      `json:"reason"`
	Response    string      `json:"response"`
	URL         string      `json:"url"`
	Key         string      `json:"reos_key"`
}

// Decode verifies the ECDSA signature over timestamp+body and the
// timestamp's window, then maps each event: delivered; bounce of type
// "blocked", or with a 4.x.x status, is soft, any other bounce hard;
// dropped is a hard bounce ("Unsubscribed Address" drops are
// unsubscribes); deferred; spamreport; open; click; unsubscribe and
// group_unsubscribe. processed and other kinds give none.
func (s *SendGrid) Decode(_ context.Context, r *http.Request, body []byte) ([]Event, error) {
	sigB64, ts := r.Header.Get(HeaderSendGridSignature), r.Header.Get(HeaderSendGridTimestamp)
	if sigB64 == "" || ts == "" {
		return nil, unauthorized("SendGrid signature headers missing")
	}
	if _, err := checkUnixTimestamp(ts, s.o.now(), s.o.tolerance); err != nil {
		return nil, unauthorized(err.Error())
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return nil, unauthorized("SendGrid signature is not base64")
	}
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	if !ecdsa.VerifyASN1(s.pub, h.Sum(nil), sig) {
		return nil, unauthorized("SendGrid signature does not verify")
	}
	return decodeSendGridEvents(body)
}

// decodeSendGridEvents maps a verified event list.
func decodeSendGridEvents(body []byte) ([]Event, error) {
	var in []sendgridEvent
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, malformed("body must be a JSON list of events: %v", err)
	}
	out := make([]Event, 0, len(in))
	for i, e := range in {
		t, detail, ok := sendgridType(e)
		if !ok {
			continue
		}
		at, err := unixNumber(e.Timestamp)
		if err != nil {
			return nil, malformed("[%d].timestamp: %v", i, err)
		}
		if e.SGMessageID == "" && e.Key == "" {
			return nil, malformed("[%d] names neither sg_message_id nor %s", i, SendGridKeyArg)
		}
		id := e.SGEventID
		if id == "" {
			id = eventID(e.SGMessageID, e.Event, e.Timestamp.String())
		}
		out = append(out, Event{
			Provider: "sendgrid", ProviderEventID: id, Type: t, MessageKey: e.Key,
			ProviderMessageID: e.SGMessageID, Recipient: e.Email, URL: e.URL, Detail: detail, At: at,
		})
	}
	return out, nil
}

func sendgridType(e sendgridEvent) (Type, string, bool) {
	switch e.Event {
	case "delivered":
		return Delivered, e.Response, true
	case "bounce":
		detail := strings.TrimSpace(e.Type + " " + e.Status + " " + e.Reason)
		if e.Type == "blocked" || strings.HasPrefix(e.Status, "4") {
			return BouncedSoft, detail, true
		}
		return BouncedHard, detail, true
	case "dropped":
		if strings.Contains(strings.ToLower(e.Reason), "unsubscribe") {
			return Unsubscribe, "dropped: " + e.Reason, true
		}
		return BouncedHard, "dropped: " + e.Reason, true
	case "deferred":
		return Deferred, e.Response, true
	case "spamreport":
		return Complained, "spamreport", true
	case "open":
		return Opened, "", true
	case "click":
		return Clicked, "", true
	case "unsubscribe", "group_unsubscribe":
		return Unsubscribe, e.Event, true
	}
	return "", "", false
}

// unixNumber reads Unix seconds sent as an integer (or a float).
func unixNumber(n json.Number) (time.Time, error) {
	if sec, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return time.Unix(sec, 0).UTC(), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, errors.New("must be Unix seconds")
	}
	return time.Unix(int64(f), 0).UTC(), nil
}
