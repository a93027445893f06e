// Package compliance is the one gate every outreach message passes before
// it is sent: opt-outs, do-not-call, suppression, consent, the SMS quiet
// hours in the recipient's time zone and the email sender's postal
// address. Pure code: the caller gathers the facts (from its read models)
// and records the decision on the attempt.
//
// CONTRACT (written by the lead before the work was split): the types and
// signatures here are what the rest of outreach codes against.
package compliance

import "time"

// Channel is email or sms.
type Channel string

const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Outcome of the gate.
type Outcome string

const (
	Send  Outcome = "send"
	Block Outcome = "block"
	Defer Outcome = "defer"
)

// Reasons a message is blocked or deferred (stable strings: they are
// stored on the attempt, counted in metrics and shown to users).
const (
	ReasonUnsubscribed     = "unsubscribed"
	ReasonDNC              = "do_not_call"
	ReasonSuppressed       = "suppressed" // hard bounce, complaint, repeated soft bounces
	ReasonNoConsent        = "no_consent"
	ReasonConsentWithdrawn = "consent_withdrawn"
	ReasonQuietHours       = "quiet_hours"
	ReasonNoAddress        = "no_address" // no email / no phone for the channel
	ReasonNoPostalAddress  = "no_postal_address"
	ReasonNoTimeZone       = "no_time_zone"    // SMS whose recipient has no candidate zone (not even the org's)
	ReasonUnknownChannel   = "unknown_channel" // Facts.Channel is neither email nor sms
)

// DetailNoCommonWindow is Decision.Detail when the candidate zones share
// no 08:00–21:00 window and the first zone's window was used.
const DetailNoCommonWindow = "no_common_window"

// Facts is everything the gate needs about one message, gathered by the
// caller. Address is the normalised email (lower case) or E.164 number.
type Facts struct {
	Channel       Channel
	Address       string
	Unsubscribed  bool   // on the org's unsubscribe list for this channel
	DoNotCall     bool   // on the org's DNC list (phone numbers; SMS)
	Suppressed    string // "" or why: "hard_bounce", "complaint", "soft_bounces"
	Consent       ConsentState
	Zones         []*time.Location // candidate time zones of the recipient (SMS), see ZonesFor
	PostalAddress string           // the org's physical address (email: CAN-SPAM)
}

// ConsentState is the latest consent-log entry for (org, channel, address).
type ConsentState string

const (
	ConsentNone      ConsentState = ""
	ConsentGranted   ConsentState = "granted"
	ConsentWithdrawn ConsentState = "withdrawn"
)

// Decision is what the gate decided and why. NotBefore is set for Defer:
// the first minute allowed in every candidate zone. Detail refines the
// reason: why an address is suppressed ("hard_bounce", "complaint",
// "soft_bounces"), or DetailNoCommonWindow.
type Decision struct {
	Outcome   Outcome
	Reason    string
	NotBefore time.Time
	Detail    string
}

// The functions the rest of outreach calls (implemented in this package):
//
//	func Decide(f Facts, now time.Time) Decision                          // decide.go: the order is documented there
//	func ZonesFor(storedZone, postalCode, countryHint, e164, orgZone string) []*time.Location // zones.go
//	    // stored zone, else postal code, else the number's candidate zones; else orgZone (changed: an argument)
//	func NextAllowed(zones []*time.Location, now time.Time) time.Time   // window.go
//	    // 08:00–21:00 local in every zone; now itself when allowed
//	func Allowed(zones []*time.Location, t time.Time) bool              // window.go (added)
//	func LoadZone(name string) (*time.Location, bool)                   // zones.go (added): validated, cached
//	func ParseKeyword(body string) Keyword                              // keyword.go

// Keyword is an inbound SMS command (the whole message, case-insensitive,
// trimmed; see ParseKeyword).
type Keyword string

const (
	KeywordNone  Keyword = ""
	KeywordStop  Keyword = "stop"  // STOP, QUIT, END, REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE (+ STOPALL, OPTOUT, OPT-OUT)
	KeywordStart Keyword = "start" // START, UNSTOP
	KeywordHelp  Keyword = "help"  // HELP
)
