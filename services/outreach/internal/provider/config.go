package provider

import (
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"reos.dev/pkg/config"
)

// SMTP TLS modes (SMTP_TLS).
const (
	TLSStartTLS      = "starttls"      // STARTTLS required (the default)
	TLSOpportunistic = "opportunistic" // STARTTLS when offered
	TLSImplicit      = "tls"           // TLS from the first byte (port 465)
	TLSNone          = "none"          // plain text: local relays and sinks only
)

// SMTPConfig configures the SMTP adapter.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // with Password: AUTH PLAIN (over TLS)
	Password string
	TLS      string // TLSStartTLS (default), TLSOpportunistic, TLSImplicit, TLSNone
	HELO     string // default: the host name
	// PoolSize is the number of persistent connections (default 4): the
	// most messages in flight at once.
	PoolSize int
	// Timeout bounds dialling and each command (default 30 s).
	Timeout time.Duration
	// MessageIDDomain is the right side of the Message-ID (default: the
	// sender's domain).
	MessageIDDomain string
	// DKIM signs every message when set.
	DKIM *DKIMConfig
	// Clock gives Date and AcceptedAt (default time.Now).
	Clock func() time.Time
}

// DKIMConfig is a signing key: d= Domain, s= Selector, an RSA or Ed25519
// private key in PEM (PKCS#1 or PKCS#8).
type DKIMConfig struct {
	Domain        string
	Selector      string
	PrivateKeyPEM []byte
}

// Validate reports every problem of the configuration, naming the field.
func (c SMTPConfig) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("smtp: Host is required"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("smtp: Port must be 1..65535, got %d", c.Port))
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("smtp: TLS must be %s, %s, %s or %s, got %q", TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone, c.TLS))
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, errors.New("smtp: Username and Password go together"))
	}
	if c.PoolSize < 0 || c.PoolSize > 64 {
		errs = append(errs, fmt.Errorf("smtp: PoolSize must be 0..64, got %d", c.PoolSize))
	}
	if c.DKIM != nil {
		if _, err := c.DKIM.signer(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *DKIMConfig) signer() (crypto.Signer, error) {
	if d.Domain == "" || d.Selector == "" {
		return nil, errors.New("smtp: DKIM needs a Domain and a Selector")
	}
	key, err := mail.PrivKeyFromPEM(d.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("smtp: DKIM private key: %w", err)
	}
	return key, nil
}

// HTTPConfig configures an HTTP provider API (SendGrid-style email,
// Twilio-style SMS).
type HTTPConfig struct {
	// BaseURL of the API (default https://api.sendgrid.com or
	// https://api.twilio.com); tests point it at their httptest server.
	BaseURL string
	// APIKey: SendGrid's bearer key; Twilio's auth token.
	APIKey string
	// AccountSID: Twilio's account (basic-auth user and path); unused by SendGrid.
	AccountSID string
	// StatusCallback: Twilio's status callback URL; the message key is added
	// as ?key= so every callback names it. Optional.
	StatusCallback string
	// Client sends the requests (default: one with Timeout).
	Client *http.Client
	// Timeout bounds a request (default 30 s).
	Timeout time.Duration
	// Clock gives AcceptedAt and dates Retry-After (default time.Now).
	Clock func() time.Time
}

func (c HTTPConfig) validate(name string, needSID bool) error {
	var errs []error
	if c.APIKey == "" {
		errs = append(errs, fmt.Errorf("%s: APIKey is required", name))
	}
	if needSID && c.AccountSID == "" {
		errs = append(errs, fmt.Errorf("%s: AccountSID is required", name))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: BaseURL must be an absolute http(s) URL", name))
		}
	}
	return errors.Join(errs...)
}

// PacerConfig is an account's rate.
type PacerConfig struct {
	PerSecond int // 0: no per-second limit
	PerDay    int // 0: no daily limit
}

// Config is outreach's choice of providers and their settings, read from
// the environment by Load.
type Config struct {
	Email     string // "mock", "smtp", "sendgrid"
	SMS       string // "mock", "twilio"
	SMTP      SMTPConfig
	SendGrid  HTTPConfig
	Twilio    HTTPConfig
	EmailRate PacerConfig
	SMSRate   PacerConfig
}

// Load reads the providers' variables into cfg, recording every problem in
// e (which names the variable). MODE=mock (config.ModeMock) defaults both
// channels to the mocks and requires nothing; a real provider may still be
// chosen (EMAIL_PROVIDER=smtp against a local sink). MODE=production
// refuses the mocks and requires the chosen provider's credentials.
//
//	EMAIL_PROVIDER            mock | smtp | sendgrid (production default smtp)
//	SMS_PROVIDER              mock | twilio          (production default twilio)
//	SMTP_HOST, SMTP_PORT (587), SMTP_USERNAME, SMTP_PASSWORD, SMTP_TLS (starttls),
//	SMTP_HELO, SMTP_POOL_SIZE (4), SMTP_TIMEOUT (30s), SMTP_MESSAGE_ID_DOMAIN,
//	SMTP_DKIM_DOMAIN, SMTP_DKIM_SELECTOR, SMTP_DKIM_KEY_FILE (PEM)
//	SENDGRID_API_KEY, SENDGRID_BASE_URL
//	TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_BASE_URL, TWILIO_STATUS_CALLBACK
//	EMAIL_RATE_PER_SECOND, EMAIL_RATE_PER_DAY, SMS_RATE_PER_SECOND, SMS_RATE_PER_DAY (0: off)
func Load(e *config.Env, mode string) Config {
	prod := mode == config.ModeProduction
	var c Config
	if prod {
		c.Email = e.OneOf("EMAIL_PROVIDER", "smtp", "smtp", "sendgrid")
		c.SMS = e.OneOf("SMS_PROVIDER", "twilio", "twilio")
	} else {
		c.Email = e.OneOf("EMAIL_PROVIDER", "mock", "mock", "smtp", "sendgrid")
		c.SMS = e.OneOf("SMS_PROVIDER", "mock", "mock", "twilio")
	}
	// need reads a variable that the chosen provider cannot do without in production.
	need := func(chosen bool, name string) string {
		if chosen && prod {
			return e.Required(name)
		}
		return e.String(name, "")
	}
	smtpOn := c.Email == "smtp"
	c.SMTP = SMTPConfig{
		Host:            e.String("SMTP_HOST", ""),
		Port:            e.IntRange("SMTP_PORT", 587, 1, 65535),
		Username:        need(smtpOn, "SMTP_USERNAME"),
		Password:        need(smtpOn, "SMTP_PASSWORD"),
		TLS:             e.OneOf("SMTP_TLS", TLSStartTLS, TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone),
		HELO:            e.String("SMTP_HELO", ""),
		PoolSize:        e.IntRange("SMTP_POOL_SIZE", 4, 1, 64),
		Timeout:         e.Duration("SMTP_TIMEOUT", 30*time.Second),
		MessageIDDomain: e.String("SMTP_MESSAGE_ID_DOMAIN", ""),
	}
	if smtpOn {
		c.SMTP.Host = e.Required("SMTP_HOST")
		if prod && c.SMTP.TLS == TLSNone {
			e.Check("SMTP_TLS", errors.New("must not be none in production (credentials and mail in clear text)"))
		}
	}
	if dom, sel, file := e.String("SMTP_DKIM_DOMAIN", ""), e.String("SMTP_DKIM_SELECTOR", ""), e.String("SMTP_DKIM_KEY_FILE", ""); dom != "" || sel != "" || file != "" {
		c.SMTP.DKIM = loadDKIM(e, dom, sel, file)
	}
	sgOn := c.Email == "sendgrid"
	c.SendGrid = HTTPConfig{APIKey: need(sgOn, "SENDGRID_API_KEY"), BaseURL: e.URL("SENDGRID_BASE_URL", "")}
	twOn := c.SMS == "twilio"
	c.Twilio = HTTPConfig{
		AccountSID:     need(twOn, "TWILIO_ACCOUNT_SID"),
		APIKey:         need(twOn, "TWILIO_AUTH_TOKEN"),
		BaseURL:        e.URL("TWILIO_BASE_URL", ""),
		StatusCallback: e.URL("TWILIO_STATUS_CALLBACK", ""),
	}
	c.EmailRate = PacerConfig{PerSecond: e.IntRange("EMAIL_RATE_PER_SECOND", 0, 0, 1_000_000), PerDay: e.IntRange("EMAIL_RATE_PER_DAY", 0, 0, 1_000_000_000)}
	c.SMSRate = PacerConfig{PerSecond: e.IntRange("SMS_RATE_PER_SECOND", 0, 0, 1_000_000), PerDay: e.IntRange("SMS_RATE_PER_DAY", 0, 0, 1_000_000_000)}
	return c
}

func loadDKIM(e *config.Env, dom, sel, file string) *DKIMConfig {
	d := &DKIMConfig{Domain: dom, Selector: sel}
	if dom == "" {
		e.Check("SMTP_DKIM_DOMAIN", errors.New("is required with SMTP_DKIM_SELECTOR or SMTP_DKIM_KEY_FILE"))
	}
	if sel == "" {
		e.Check("SMTP_DKIM_SELECTOR", errors.New("is required with SMTP_DKIM_DOMAIN or SMTP_DKIM_KEY_FILE"))
	}
	if file == "" {
		e.Check("SMTP_DKIM_KEY_FILE", errors.New("is required with SMTP_DKIM_DOMAIN or SMTP_DKIM_SELECTOR"))
		return d
	}
	pem, err := os.ReadFile(file) // #nosec G304 -- the operator names the key file
	if err != nil {
		e.Check("SMTP_DKIM_KEY_FILE", fmt.Errorf("cannot be read: %w", err))
		return d
	}
	d.PrivateKeyPEM = pem
	if _, err := d.signer(); err != nil {
		e.Check("SMTP_DKIM_KEY_FILE", errors.New(strings.TrimPrefix(err.Error(), "smtp: ")))
	}
	return d
}
