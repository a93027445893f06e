package provider

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reos.dev/pkg/config"
)

func TestLoadInMockModeNeedsNothing(t *testing.T) {
	t.Parallel()
	e := config.FromMap(nil)
	c := Load(e, config.ModeMock)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if c.Email != "mock" || c.SMS != "mock" || c.SMTP.PoolSize != 4 || c.SMTP.Port != 587 {
		t.Fatalf("config = %+v", c)
	}
	// A real adapter against a local sink is allowed in mock mode, without credentials.
	e = config.FromMap(map[string]string{"EMAIL_PROVIDER": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "2525", "SMTP_TLS": "none"})
	c = Load(e, config.ModeMock)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSMTP(c.SMTP); err != nil {
		t.Fatal(err)
	}
}

func TestLoadInProductionNamesEveryMissingCredential(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"smtp and twilio by default", map[string]string{}, []string{"SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"}},
		{"sendgrid", map[string]string{"EMAIL_PROVIDER": "sendgrid"}, []string{"SENDGRID_API_KEY", "TWILIO_AUTH_TOKEN"}},
		{"no mocks in production", map[string]string{"EMAIL_PROVIDER": "mock", "SMS_PROVIDER": "mock"}, []string{"EMAIL_PROVIDER", "SMS_PROVIDER"}},
		{"no clear text in production", map[string]string{"SMTP_HOST": "smtp.example", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p", "SMTP_TLS": "none", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}, []string{"SMTP_TLS"}},
		{"dkim half configured", map[string]string{"SMTP_DKIM_DOMAIN": "acme.example"}, []string{"SMTP_DKIM_SELECTOR", "SMTP_DKIM_KEY_FILE"}},
		{"bad numbers", map[string]string{"SMTP_POOL_SIZE": "0", "EMAIL_RATE_PER_SECOND": "-1"}, []string{"SMTP_POOL_SIZE", "EMAIL_RATE_PER_SECOND"}},
	} {
		e := config.FromMap(tc.env)
		Load(e, config.ModeProduction)
		err := e.Err()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, v := range tc.want {
			if !strings.Contains(err.Error(), v+":") {
				t.Errorf("%s: %v does not name %s", tc.name, err, v)
			}
		}
		if strings.Contains(err.Error(), "\"p\"") || strings.Contains(err.Error(), "\"t\"") {
			t.Errorf("%s: a secret is in the error: %v", tc.name, err)
		}
	}
	// Complete: no error.
	e := config.FromMap(map[string]string{"SMTP_HOST": "smtp.example", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"})
	if c := Load(e, config.ModeProduction); e.Err() != nil || c.Email != "smtp" || c.SMS != "twilio" {
		t.Fatalf("complete production config: %v %+v", e.Err(), c)
	}
}

func TestLoadReadsTheDKIMKey(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	good := filepath.Join(dir, "dkim.pem")
	if err := os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SMTP_DKIM_DOMAIN": "acme.example", "SMTP_DKIM_SELECTOR": "s1", "SMTP_DKIM_KEY_FILE": good}
	e := config.FromMap(env)
	if c := Load(e, config.ModeMock); e.Err() != nil || c.SMTP.DKIM == nil || len(c.SMTP.DKIM.PrivateKeyPEM) == 0 {
		t.Fatalf("good key: %v", e.Err())
	}
	for _, file := range []string{bad, filepath.Join(dir, "missing.pem")} {
		env["SMTP_DKIM_KEY_FILE"] = file
		e = config.FromMap(env)
		Load(e, config.ModeMock)
		if err := e.Err(); err == nil || !strings.Contains(err.Error(), "SMTP_DKIM_KEY_FILE:") {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func TestAdapterConfigsAreValidated(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{
		"smtp without host": func() error { _, err := NewSMTP(SMTPConfig{Port: 25}); return err }(),
		"smtp bad tls":      func() error { _, err := NewSMTP(SMTPConfig{Host: "h", Port: 25, TLS: "maybe"}); return err }(),
		"smtp user no pass": func() error { _, err := NewSMTP(SMTPConfig{Host: "h", Port: 25, Username: "u"}); return err }(),
		"sendgrid no key":   func() error { _, err := NewSendGrid(HTTPConfig{}); return err }(),
		"sendgrid bad url":  func() error { _, err := NewSendGrid(HTTPConfig{APIKey: "k", BaseURL: "ftp://x"}); return err }(),
		"twilio no sid":     func() error { _, err := NewTwilio(HTTPConfig{APIKey: "k"}); return err }(),
		"twilio bad callback": func() error {
			_, err := NewTwilio(HTTPConfig{APIKey: "k", AccountSID: "AC1", StatusCallback: "/relative"})
			return err
		}(),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
