// Package provider holds the interfaces outreach sends through (ARCHITECTURE
// rule 8) and their adapters: the deterministic mocks, real SMTP
// (wneessen/go-mail), a SendGrid-style HTTP email API and a Twilio-style SMS
// API; and the pacer that keeps each account to its configured rate.
//
// CONTRACT (written by the lead before the work was split): the types and
// signatures here are what the rest of outreach codes against.
package provider

import (
	"context"
	"errors"
	"time"
)

// EmailMessage is one email. Key is outreach's deterministic message key
// (campaign, target, step, channel): it is the provider's idempotency key
// or message id, so a retried send of the same key is not a second email.
type EmailMessage struct {
	Key            string
	OrgID          string
	From           string // "Name <addr>"
	ReplyTo        string
	To             string
	Subject        string
	HTML           string
	Text           string
	UnsubscribeURL string // List-Unsubscribe: <url>, List-Unsubscribe-Post: List-Unsubscribe=One-Click
	PostalAddress  string // the footer (CAN-SPAM)
	Headers        map[string]string
}

// SMSMessage is one text message.
type SMSMessage struct {
	Key   string
	OrgID string
	From  string
	To    string // E.164
	Body  string
}

// Result is the provider's acceptance of a message.
type Result struct {
	ProviderMessageID string
	Provider          string // "mock", "smtp", "sendgrid", "twilio"
	AcceptedAt        time.Time
}

// Email sends email.
type Email interface {
	Name() string
	SendEmail(ctx context.Context, m EmailMessage) (Result, error)
}

// SMS sends text messages.
type SMS interface {
	Name() string
	SendSMS(ctx context.Context, m SMSMessage) (Result, error)
}

// Error is a failed send, classified. Permanent failures (hard bounce at
// submission, invalid recipient, 4xx other than 408/429) are never retried;
// temporary ones are retried after RetryAfter when the provider said so.
type Error struct {
	Provider   string
	Permanent  bool
	RetryAfter time.Duration // 0: the caller's backoff
	Code       string        // the provider's code or status
	Err        error
}

func (e *Error) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	msg := e.Provider + ": " + kind + " failure"
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a provider's permanent failure.
func IsPermanent(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.Permanent
}

// Implemented in this package:
//
//	func NewMockEmail(clock func() time.Time) *MockEmail   // + Sent() []EmailMessage, Reset(), behaviour by address pattern
//	func NewMockSMS(clock func() time.Time) *MockSMS
//	func NewSMTP(cfg SMTPConfig) (*SMTP, error)
//	func NewSendGrid(cfg HTTPConfig) (*SendGrid, error)
//	func NewTwilio(cfg HTTPConfig) (*Twilio, error)
//	func NewPacer(perSecond int, perDay int, clock) *Pacer  // Wait(ctx) error; Hold(d) after a Retry-After
