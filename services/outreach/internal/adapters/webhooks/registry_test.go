package webhooks

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/config"
)

func TestRegistryBuildsTheConfiguredProviders(t *testing.T) {
	t.Parallel()
	key := newSGKey(t)
	all := Config{
		MockSecret:        swSecret,
		SES:               &SESConfig{TopicARNs: []string{testTopic}},
		SendGridPublicKey: key.base64,
		PostmarkUser:      "postmark", PostmarkPassword: "s3cret-pass",
		TwilioAuthToken: twToken, TwilioPublicURL: twOrigin,
	}
	r, err := NewRegistry(all)
	wantErr(t, err, nil)
	if got, want := r.Names(), []string{"mock", "postmark", "sendgrid", "ses", "twilio"}; !slices.Equal(got, want) {
		t.Fatalf("providers %v, want %v", got, want)
	}
	for _, name := range r.Names() {
		d, err := r.Lookup(name)
		wantErr(t, err, nil)
		if d.Provider() != name {
			t.Errorf("Lookup(%q) gave %q's decoder", name, d.Provider())
		}
	}

	only, err := NewRegistry(Config{PostmarkUser: "u", PostmarkPassword: "p"})
	wantErr(t, err, nil)
	for _, name := range []string{"mock", "ses", "sendgrid", "twilio", "Postmark", "", "../mock"} {
		if _, err := only.Lookup(name); !errIs(err, ErrUnknownProvider) {
			t.Errorf("Lookup(%q) on a postmark-only registry: %v, want ErrUnknownProvider", name, err)
		}
	}
	if _, err := (Registry(nil)).Lookup("mock"); !errIs(err, ErrUnknownProvider) {
		t.Errorf("a nil registry: %v", err)
	}
}

func TestRegistryRefusesHalfConfiguredProviders(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]Config{
		"postmark user only":    {PostmarkUser: "u"},
		"postmark pass only":    {PostmarkPassword: "p"},
		"twilio token only":     {TwilioAuthToken: twToken},
		"twilio URL only":       {TwilioPublicURL: twOrigin},
		"mock secret too short": {MockSecret: "whsec_c2hvcnQ="},
		"sendgrid key not EC":   {SendGridPublicKey: "bm90IGEga2V5"},
		"ses bad topic":         {SES: &SESConfig{TopicARNs: []string{"topic"}}},
	} {
		if _, err := NewRegistry(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestConfigNeverPrintsItsSecrets(t *testing.T) {
	t.Parallel()
	c := Config{MockSecret: swSecret, PostmarkUser: "pm-user", PostmarkPassword: "pm-password-xyz", TwilioAuthToken: twToken, TwilioPublicURL: twOrigin, SendGridPublicKey: "sg-key-abc"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "webhooks", c)
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logged.String()} {
		for _, secret := range []string{swSecret, "pm-password-xyz", twToken, "sg-key-abc"} {
			if strings.Contains(out, secret) {
				t.Fatalf("%q printed the secret %q", out, secret)
			}
		}
		if !strings.Contains(out, "postmark") {
			t.Fatalf("%q does not name the enabled providers", out)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	key := newSGKey(t)
	env := map[string]string{
		"MOCK_WEBHOOK_SECRET":         swSecret,
		"SES_SNS_TOPIC_ARNS":          testTopic + ", arn:aws:sns:eu-west-1:123456789012:other",
		"SENDGRID_WEBHOOK_PUBLIC_KEY": key.base64,
		"POSTMARK_WEBHOOK_USER":       "u", "POSTMARK_WEBHOOK_PASSWORD": "p",
		"TWILIO_AUTH_TOKEN": twToken, "TWILIO_WEBHOOK_PUBLIC_URL": twOrigin,
	}
	e := config.FromMap(env)
	c := LoadConfig(e, config.ModeMock)
	wantErr(t, e.Err(), nil)
	r, err := NewRegistry(c)
	wantErr(t, err, nil)
	if got := r.Names(); len(got) != 5 {
		t.Fatalf("providers %v, want all five", got)
	}
	if len(c.SES.TopicARNs) != 2 {
		t.Fatalf("topics %v", c.SES.TopicARNs)
	}

	// The sender's Twilio token alone does not turn the webhook on.
	e = config.FromMap(map[string]string{"TWILIO_AUTH_TOKEN": twToken})
	r, err = NewRegistry(LoadConfig(e, config.ModeProduction))
	wantErr(t, e.Err(), nil)
	wantErr(t, err, nil)
	if len(r) != 0 {
		t.Fatalf("providers %v, want none", r.Names())
	}

	for name, tc := range map[string]struct {
		env      map[string]string
		mode     string
		variable string
	}{
		"mock in production":    {map[string]string{"MOCK_WEBHOOK_SECRET": swSecret}, config.ModeProduction, "MOCK_WEBHOOK_SECRET"},
		"mock secret malformed": {map[string]string{"MOCK_WEBHOOK_SECRET": "secret"}, config.ModeMock, "MOCK_WEBHOOK_SECRET"},
		"postmark by halves":    {map[string]string{"POSTMARK_WEBHOOK_USER": "u"}, config.ModeMock, "POSTMARK_WEBHOOK_PASSWORD"},
		"twilio without token":  {map[string]string{"TWILIO_WEBHOOK_PUBLIC_URL": twOrigin}, config.ModeMock, "TWILIO_WEBHOOK_PUBLIC_URL"},
		"twilio URL with path":  {map[string]string{"TWILIO_AUTH_TOKEN": twToken, "TWILIO_WEBHOOK_PUBLIC_URL": twOrigin + "/api"}, config.ModeMock, "TWILIO_WEBHOOK_PUBLIC_URL"},
		"sendgrid key garbage":  {map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": "garbage!"}, config.ModeMock, "SENDGRID_WEBHOOK_PUBLIC_KEY"},
		"ses topic not an ARN":  {map[string]string{"SES_SNS_TOPIC_ARNS": "topic"}, config.ModeMock, "SES_SNS_TOPIC_ARNS"},
	} {
		e := config.FromMap(tc.env)
		LoadConfig(e, tc.mode)
		err := e.Err()
		if err == nil || !strings.Contains(err.Error(), tc.variable) {
			t.Errorf("%s: %v, want an error naming %s", name, err, tc.variable)
		}
		for _, v := range tc.env {
			if len(v) > 8 && strings.Contains(fmt.Sprint(err), v) {
				t.Errorf("%s: the error repeats the value %q", name, v)
			}
		}
	}
}
