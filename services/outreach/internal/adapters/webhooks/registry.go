package webhooks

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"reos.dev/pkg/config"
)

// ErrUnknownProvider: no decoder by that name is enabled (the transport
// answers 404).
var ErrUnknownProvider = errors.New("webhooks: unknown or disabled provider")

// Registry holds the enabled decoders by provider name.
type Registry map[string]Decoder

// Lookup returns the decoder of provider name, or ErrUnknownProvider.
func (r Registry) Lookup(name string) (Decoder, error) {
	d, ok := r[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProvider, name)
	}
	return d, nil
}

// Names lists the enabled providers, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Config says which providers' webhooks are accepted and holds their
// secrets. A provider is enabled when its settings are present (nil or
// empty: disabled). Config never prints its secrets.
type Config struct {
	// MockSecret is the mock provider's "whsec_…" secret.
	MockSecret string
	// SES is Amazon SES via SNS; nil when TopicARNs is empty.
	SES *SESConfig
	// SendGridPublicKey is the event webhook's verification key.
	SendGridPublicKey string
	// PostmarkUser and PostmarkPassword are the webhook's basic credentials.
	PostmarkUser, PostmarkPassword string
	// TwilioAuthToken and TwilioPublicURL (the public origin Twilio calls).
	TwilioAuthToken, TwilioPublicURL string
	// Options apply to every decoder that takes them (a clock, the window).
	Options []Option
}

// String names the enabled providers, never a secret.
func (c Config) String() string { return "webhooks.Config{" + strings.Join(c.enabled(), ",") + "}" }

// GoString is String, so %#v cannot print a secret either.
func (c Config) GoString() string { return c.String() }

// LogValue logs the enabled providers, never a secret.
func (c Config) LogValue() slog.Value { return slog.AnyValue(c.enabled()) }

func (c Config) enabled() []string {
	var on []string
	if c.MockSecret != "" {
		on = append(on, "mock")
	}
	if c.SES != nil && len(c.SES.TopicARNs) > 0 {
		on = append(on, "ses")
	}
	if c.SendGridPublicKey != "" {
		on = append(on, "sendgrid")
	}
	if c.PostmarkUser != "" || c.PostmarkPassword != "" {
		on = append(on, "postmark")
	}
	if c.TwilioAuthToken != "" || c.TwilioPublicURL != "" {
		on = append(on, "twilio")
	}
	return on
}

// NewRegistry builds the decoders of the enabled providers. A provider
// configured by halves (a Postmark user without a password, a Twilio
// token without its public URL) is an error, not a disabled provider.
func NewRegistry(c Config) (Registry, error) {
	r := Registry{}
	var errs []error
	add := func(d Decoder, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		r[d.Provider()] = d
	}
	for _, name := range c.enabled() {
		switch name {
		case "mock":
			add(NewMock(c.MockSecret, c.Options...))
		case "ses":
			cfg := *c.SES
			if cfg.Now == nil {
				cfg.Now = buildOptions(c.Options).now
			}
			add(NewSES(cfg))
		case "sendgrid":
			add(NewSendGrid(c.SendGridPublicKey, c.Options...))
		case "postmark":
			add(NewPostmark(c.PostmarkUser, c.PostmarkPassword))
		case "twilio":
			add(NewTwilio(c.TwilioAuthToken, c.TwilioPublicURL, c.Options...))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// LoadConfig reads the webhook settings, recording every problem in e
// (which names the variable); mode is config.ModeMock or ModeProduction,
// and production refuses the mock's webhook. TWILIO_AUTH_TOKEN is the one
// the Twilio sender uses.
//
//	MOCK_WEBHOOK_SECRET           whsec_<base64 key of ≥ 24 bytes>
//	SES_SNS_TOPIC_ARNS            comma-separated topic ARNs
//	SENDGRID_WEBHOOK_PUBLIC_KEY   base64 DER or PEM
//	POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD
//	TWILIO_AUTH_TOKEN, TWILIO_WEBHOOK_PUBLIC_URL (scheme://host[:port])
func LoadConfig(e *config.Env, mode string) Config {
	c := Config{
		MockSecret:        e.String("MOCK_WEBHOOK_SECRET", ""),
		SendGridPublicKey: e.String("SENDGRID_WEBHOOK_PUBLIC_KEY", ""),
		PostmarkUser:      e.String("POSTMARK_WEBHOOK_USER", ""),
		PostmarkPassword:  e.String("POSTMARK_WEBHOOK_PASSWORD", ""),
		TwilioAuthToken:   e.String("TWILIO_AUTH_TOKEN", ""),
		TwilioPublicURL:   e.String("TWILIO_WEBHOOK_PUBLIC_URL", ""),
	}
	if arns := e.List("SES_SNS_TOPIC_ARNS", nil); len(arns) > 0 {
		c.SES = &SESConfig{TopicARNs: arns}
		_, err := NewSES(*c.SES)
		e.Check("SES_SNS_TOPIC_ARNS", err)
	}
	if c.MockSecret != "" {
		if mode == config.ModeProduction {
			e.Check("MOCK_WEBHOOK_SECRET", errors.New("must not be set in production (the mock provider's webhook)"))
		}
		_, err := ParseStandardSecret(c.MockSecret)
		e.Check("MOCK_WEBHOOK_SECRET", err)
	}
	if c.SendGridPublicKey != "" {
		_, err := NewSendGrid(c.SendGridPublicKey)
		e.Check("SENDGRID_WEBHOOK_PUBLIC_KEY", err)
	}
	if (c.PostmarkUser == "") != (c.PostmarkPassword == "") {
		e.Check("POSTMARK_WEBHOOK_PASSWORD", errors.New("POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD go together"))
	}
	// The auth token alone is the sender's; the webhook is on when its public URL is set.
	if c.TwilioPublicURL == "" {
		c.TwilioAuthToken = ""
	} else {
		_, err := NewTwilio(c.TwilioAuthToken, c.TwilioPublicURL)
		e.Check("TWILIO_WEBHOOK_PUBLIC_URL", err)
	}
	return c
}
