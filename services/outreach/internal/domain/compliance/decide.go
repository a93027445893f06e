package compliance

import (
	"strings"
	"time"
)

// Decide is the gate: what to do with one message now. Pure: the same
// facts and now give the same decision.
//
// The order is fixed, and the first rule that stops a message names the
// reason (so a contact who unsubscribed and never consented is
// "unsubscribed": the stronger, user-made fact wins):
//
//  0. a channel other than email or SMS      → block unknown_channel
//  1. no address for the channel             → block no_address
//  2. on the org's unsubscribe list          → block unsubscribed
//  3. SMS to a number on the DNC list        → block do_not_call (DNC is about phones: it does not stop email)
//  4. suppressed (bounce, complaint)         → block suppressed, Detail = why
//  5. consent: none (or an unknown state)    → block no_consent
//     consent withdrawn                      → block consent_withdrawn
//  6. email without the org's postal address → block no_postal_address (CAN-SPAM)
//  7. SMS with no candidate zone             → block no_time_zone
//  8. SMS outside 08:00–21:00 local in any candidate zone
//     → defer quiet_hours, NotBefore = NextAllowed (never dropped)
//
// When the candidate zones share no window at all, the first zone's
// window is used (see NextAllowed) and Detail says no_common_window, on a
// send as on a deferral, so the attempt records it.
func Decide(f Facts, now time.Time) Decision {
	switch f.Channel {
	case Email, SMS:
	default:
		return block(ReasonUnknownChannel)
	}
	switch {
	case strings.TrimSpace(f.Address) == "":
		return block(ReasonNoAddress)
	case f.Unsubscribed:
		return block(ReasonUnsubscribed)
	case f.Channel == SMS && f.DoNotCall:
		return block(ReasonDNC)
	case f.Suppressed != "":
		return Decision{Outcome: Block, Reason: ReasonSuppressed, Detail: f.Suppressed}
	case f.Consent == ConsentWithdrawn:
		return block(ReasonConsentWithdrawn)
	case f.Consent != ConsentGranted:
		return block(ReasonNoConsent)
	}
	if f.Channel == Email {
		if strings.TrimSpace(f.PostalAddress) == "" {
			return block(ReasonNoPostalAddress)
		}
		return Decision{Outcome: Send}
	}
	if !hasZone(f.Zones) {
		return block(ReasonNoTimeZone)
	}
	detail := ""
	t, ok := nextAllowedInAll(f.Zones, now)
	if !ok {
		detail = DetailNoCommonWindow
		t = nextOpen(now, firstZone(f.Zones)).In(now.Location())
	}
	if t.Equal(now) {
		return Decision{Outcome: Send, Detail: detail}
	}
	return Decision{Outcome: Defer, Reason: ReasonQuietHours, NotBefore: t, Detail: detail}
}

func block(reason string) Decision { return Decision{Outcome: Block, Reason: reason} }

func hasZone(zones []*time.Location) bool {
	for _, z := range zones {
		if z != nil {
			return true
		}
	}
	return false
}
