package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Settings are an organisation's sending settings. Until an admin saves
// them, the defaults (DefaultSettings) hold: no sender, no postal address
// (so no email campaign can launch), the service's default zone.
type Settings struct {
	OrgID         string
	SenderName    string
	SenderEmail   *string
	ReplyTo       *string
	SMSFrom       *string
	PostalAddress *string
	HelpText      *string
	TimeZone      string
	UpdatedAt     *time.Time
	UpdatedBy     *string
}

// SettingsInput is a PUT of the settings: every field replaces the saved
// one (null clears it); TimeZone is required.
type SettingsInput struct {
	SenderName    string
	SenderEmail   *string
	ReplyTo       *string
	SMSFrom       *string
	PostalAddress *string
	HelpText      *string
	TimeZone      string
}

// Settings limits.
const (
	MaxSenderNameLen    = 100
	MaxPostalAddressLen = 500
	MaxHelpTextLen      = 320
)

// DefaultSettings are orgID's settings before any are saved.
func DefaultSettings(orgID, zone string) Settings {
	return Settings{OrgID: orgID, TimeZone: zone}
}

// ValidZone reports whether name is an IANA zone Go can load ("UTC" or an
// Area/Location name; "Local" and "" are refused, they mean the server's).
func ValidZone(name string) bool {
	if name == "UTC" {
		return true
	}
	if !strings.Contains(name, "/") || len(name) > 64 {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// NewSettings validates a PUT and returns the settings it saves.
func NewSettings(orgID string, in SettingsInput, by *string, now time.Time) (Settings, error) {
	var f FieldErrors
	s := Settings{OrgID: orgID, SenderName: strings.TrimSpace(in.SenderName), TimeZone: in.TimeZone, UpdatedAt: &now, UpdatedBy: by}
	if utf8.RuneCountInString(s.SenderName) > MaxSenderNameLen || hasControl(s.SenderName) || strings.ContainsAny(s.SenderName, `<>"`) {
		f.Add("sender_name", "must be at most 100 characters, without control characters, quotes or angle brackets")
	}
	email := func(field string, v *string) *string {
		if v == nil {
			return nil
		}
		a, ok := Email(*v)
		if !ok {
			f.Add(field, "must be an email address")
		}
		return &a
	}
	s.SenderEmail = email("sender_email", in.SenderEmail)
	s.ReplyTo = email("reply_to", in.ReplyTo)
	if in.SMSFrom != nil {
		p, ok := Phone(*in.SMSFrom)
		if !ok {
			f.Add("sms_from", "must be a valid phone number in E.164 form (+14155550100)")
		}
		s.SMSFrom = &p
	}
	text := func(field string, v *string, limit int) *string {
		if v == nil {
			return nil
		}
		t := strings.TrimSpace(*v)
		if t == "" || utf8.RuneCountInString(t) > limit || !utf8.ValidString(t) {
			f.Add(field, "must be 1 to "+itoa(limit)+" characters (null clears it)")
		}
		return &t
	}
	s.PostalAddress = text("postal_address", in.PostalAddress, MaxPostalAddressLen)
	s.HelpText = text("help_text", in.HelpText, MaxHelpTextLen)
	if !ValidZone(in.TimeZone) {
		f.Add("time_zone", "must be an IANA time zone such as America/New_York")
	}
	return s, f.Err()
}
