// Package webhooks checks and decodes the delivery events providers post to
// outreach (`POST /outreach/webhooks/{provider}`): the mock, Amazon SES via
// SNS, SendGrid's event webhook, Postmark, and Twilio's status callbacks and
// inbound messages. Each decoder verifies the request first; an unsigned or
// badly signed request is ErrUnauthorized and nothing in it is used.
//
// CONTRACT (written by the lead before the work was split): the types and
// signatures here are what the rest of outreach codes against.
package webhooks

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// ErrUnauthorized: the request is not signed, or not by the provider.
// The transport answers 401 and records nothing.
var ErrUnauthorized = errors.New("webhooks: signature missing or wrong")

// ErrMalformed wraps a signed request whose body cannot be read (422 / 400).
var ErrMalformed = errors.New("webhooks: malformed body")

// Type is a normalised delivery event.
type Type string

const (
	Delivered   Type = "delivered"
	BouncedHard Type = "bounced_hard"
	BouncedSoft Type = "bounced_soft"
	Complained  Type = "complained"
	Opened      Type = "opened"
	Clicked     Type = "clicked"
	Deferred    Type = "deferred"
	Inbound     Type = "inbound" // an inbound SMS (STOP etc. are parsed by the caller) or a reply
	Unsubscribe Type = "unsubscribed"
)

// Event is one provider event, normalised. MessageKey is outreach's key
// when the provider echoes it (custom args, metadata, message id we set);
// ProviderMessageID the provider's own id; one of them finds the attempt.
type Event struct {
	Provider          string
	ProviderEventID   string // for idempotency of repeated deliveries; "" when the provider has none
	Type              Type
	MessageKey        string
	ProviderMessageID string
	Recipient         string // email or E.164 (the sender of an inbound SMS)
	To                string // for inbound: the number it was sent to
	Body              string // inbound text
	URL               string // clicked
	Detail            string // bounce / complaint detail, provider code
	At                time.Time
}

// Decoder verifies and decodes one provider's webhook request. body is the
// request body already read (bounded) by the transport; r gives the
// headers, URL and basic auth.
type Decoder interface {
	Provider() string
	Decode(ctx context.Context, r *http.Request, body []byte) ([]Event, error)
}

// Implemented in this package: NewMock(secret), NewSES(SESConfig) (SNS
// signature v1/v2 and SigningCertURL host check, SubscriptionConfirmation
// handling), NewSendGrid(publicKeyPEM) (ECDSA over timestamp+body),
// NewPostmark(user, pass) (basic auth), NewTwilio(authToken, publicURL)
// (X-Twilio-Signature, HMAC-SHA1 over URL + sorted form params), and
// Registry{...}.Lookup(name) for the transport.
