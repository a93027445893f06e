package domain

import (
	"strings"
	"testing"

	"reos.dev/services/outreach/internal/domain/compliance"
)

// FuzzKeyOrg: the organisation read from a message key a provider sends
// back (untrusted) is either none or a canonical UUID that the key
// starts with, and every key outreach makes gives back its organisation.
func FuzzKeyOrg(f *testing.F) {
	org := "0190a8a0-0000-7000-8000-000000000001"
	f.Add(CampaignMessageKey(org, org, org, 1, compliance.Email))
	f.Add(SingleMessageKey(org, compliance.SMS, "k"))
	f.Add("o" + org)
	f.Add("o" + strings.ToUpper(org) + "/x")
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		got := KeyOrg(key)
		if got == "" {
			return
		}
		if !ValidID(got) || !strings.HasPrefix(key, "o"+got+"/") {
			t.Fatalf("KeyOrg(%q) = %q", key, got)
		}
		if KeyOrg(CampaignMessageKey(got, org, org, 2, compliance.SMS)) != got || KeyOrg(SingleMessageKey(got, compliance.Email, key)) != got {
			t.Fatalf("keys of %q do not name it", got)
		}
	})
}
