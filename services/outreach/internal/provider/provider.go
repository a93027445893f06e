// Package provider holds the interfaces outreach sends through (ARCHITECTURE
// rule 8) and their adapters: the deterministic mocks, real SMTP
// (wneessen/go-mail), a SendGrid-style HTTP email API and a Twilio-style SMS
// API; and the pacer that keeps each account to its configured rate.
//
// CONTRACT (written by the lead before the work was split): the types and
// signatures here are what the rest of outreach codes against.
//
// # The mocks (MODE=mock)
//
// MockEmail and MockSMS answer by the recipient, deterministically. Email: a
// token as the address's whole local part or +tag, or followed by '-', '.'
// or '_' and anything (bounce-hard@x, bounce-hard-17@x, ann+complaint@x):
//
//	bounce-hard   accepted; bounced_hard after MockBounceAfter (2 s)
//	bounce-soft   accepted; bounced_soft after 2 s
//	complaint     accepted; delivered after 1 s, complained after MockComplaintAfter (30 s)
//	delay         accepted; deferred after 1 s, delivered after MockDelayedBy (1 h)
//	fail-5xx      refused, temporary (Code 503), every attempt
//	flaky         refused, temporary (503) on a key's first attempt, accepted after
//	ratelimit     refused, temporary (429, RetryAfter = what is left of MockRetryAfter,
//	              30 s, since the key's first refusal), accepted after
//	reject        refused, permanent (550)
//	anything else accepted; delivered after MockDeliveredAfter (1 s)
//
// SMS: numbers of the fictional NANP range +1 NPA 555-01XX by XX: 01 hard
// bounce (30005), 02 soft bounce (30003), 03 delay, 04 fail-5xx, 05 flaky,
// 06 ratelimit, 07 reject (21211, invalid 'To'), 08 opted out at the carrier
// (21610, permanent), 09 delivered and then an inbound "STOP" from the
// recipient after MockReplyAfter (1 min); every other number is delivered.
//
// Idempotent by Key: a key already accepted answers its first Result again,
// records nothing new and counts a duplicate (DuplicatesOf, Duplicates).
// Everything answered is inspectable: Attempts (with the outcome), Sent
// (accepted, one per key), ByKey. The asynchronous outcomes are
// webhooks.Events handed to Notify by DeliverDue when the mock's clock has
// reached them (Run does it on a ticker in the service), so a test steps a
// fake clock to exactly the moment an outcome arrives.
//
// # Real providers
//
// SMTP: a pool of persistent connections (SMTPConfig.PoolSize), RSET
// between messages, PIPELINING when offered, redial of a broken connection
// with the message resent only when it was certainly not committed,
// Message-ID derived from the key (MessageID), RFC 8058 one-click
// unsubscribe headers, optional DKIM (relaxed/relaxed; From, To, Subject,
// Date, Message-ID, List-Unsubscribe, List-Unsubscribe-Post, MIME-Version,
// Content-Type, Reply-To; From, Subject and both unsubscribe headers
// oversigned, so a copy added in transit breaks the signature). SendGrid and Twilio: classified HTTP answers.
// Errors are *Error: permanent ones are never retried; temporary ones carry
// the provider's Retry-After; CodeOutcomeUnknown marks the rare send whose
// fate the provider did not tell.
//
// Pacer, PacedEmail and PacedSMS keep one account to N a second (evenly
// spaced) and M a day, and hold it after a Retry-After. Load reads the
// providers' configuration from the environment.
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
