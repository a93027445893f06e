package server

import (
	"context"
	"fmt"
	"time"

	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/provider"
)

// Providers are the email and SMS providers outreach sends through, each
// paced to its account's rate, and the mocks among them (nil when a real
// provider is chosen): their Notify is wired to the webhook path and
// their Run delivers their events.
type Providers struct {
	Email     provider.Email
	SMS       provider.SMS
	MockEmail *provider.MockEmail
	MockSMS   *provider.MockSMS
	// Close releases the real adapters' connections (SMTP's pool).
	Close func() error
}

// OpenProviders builds the providers c chooses (provider.Load) on clock.
func OpenProviders(c provider.Config, clock func() time.Time) (Providers, error) {
	p := Providers{Close: func() error { return nil }}
	var email provider.Email
	switch c.Email {
	case "mock":
		p.MockEmail = provider.NewMockEmail(clock)
		email = p.MockEmail
	case "smtp":
		s, err := provider.NewSMTP(c.SMTP)
		if err != nil {
			return p, err
		}
		email, p.Close = s, s.Close
	case "sendgrid":
		s, err := provider.NewSendGrid(c.SendGrid)
		if err != nil {
			return p, err
		}
		email = s
	default:
		return p, fmt.Errorf("server: unknown email provider %q", c.Email)
	}
	var sms provider.SMS
	switch c.SMS {
	case "mock":
		p.MockSMS = provider.NewMockSMS(clock)
		sms = p.MockSMS
	case "twilio":
		t, err := provider.NewTwilio(c.Twilio)
		if err != nil {
			return p, err
		}
		sms = t
	default:
		return p, fmt.Errorf("server: unknown SMS provider %q", c.SMS)
	}
	p.Email, p.SMS = email, sms
	if r := c.EmailRate; r.PerSecond > 0 || r.PerDay > 0 {
		p.Email = provider.PacedEmail(email, provider.NewPacer(r.PerSecond, r.PerDay, nil))
	}
	if r := c.SMSRate; r.PerSecond > 0 || r.PerDay > 0 {
		p.SMS = provider.PacedSMS(sms, provider.NewPacer(r.PerSecond, r.PerDay, nil))
	}
	return p, nil
}

// wireMocks hands the mocks' asynchronous outcomes to handle, the path
// the webhook endpoint takes (without the signature: in-process).
func (p Providers) wireMocks(handle func(context.Context, []webhooks.Event) error, log func(error)) {
	notify := func(ctx context.Context, e webhooks.Event) {
		if err := handle(ctx, []webhooks.Event{e}); err != nil {
			log(err)
		}
	}
	if p.MockEmail != nil {
		p.MockEmail.Notify = notify
	}
	if p.MockSMS != nil {
		p.MockSMS.Notify = notify
	}
}

// RunMocks delivers the mocks' due events every interval until ctx ends
// (a worker of the binary; nothing when no mock is in use).
func (p Providers) RunMocks(every time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		done := make(chan error, 2)
		n := 0
		if p.MockEmail != nil {
			n++
			go func() { done <- p.MockEmail.Run(ctx, every) }()
		}
		if p.MockSMS != nil {
			n++
			go func() { done <- p.MockSMS.Run(ctx, every) }()
		}
		var first error
		for range n {
			if err := <-done; err != nil && first == nil {
				first = err
			}
		}
		if n == 0 {
			<-ctx.Done()
		}
		return first
	}
}
