package compliance

import (
	"testing"
	"time"
)

// noonNY is a Thursday noon in New York: inside the SMS window.
var noonNY = time.Date(2026, time.January, 15, 12, 0, 0, 0, mustZone("America/New_York"))

func mustZone(name string) *time.Location {
	loc, ok := LoadZone(name)
	if !ok {
		panic(name)
	}
	return loc
}

// okSMS and okEmail pass every rule at noonNY.
func okSMS() Facts {
	return Facts{Channel: SMS, Address: "+12125550100", Consent: ConsentGranted,
		Zones: []*time.Location{mustZone("America/New_York")}}
}

func okEmail() Facts {
	return Facts{Channel: Email, Address: "jane@example.com", Consent: ConsentGranted,
		PostalAddress: "1 Main St, Springfield, IL 62701"}
}

// TestDecideEachRule breaks one rule at a time (and checks the facts
// that must not matter do not).
func TestDecideEachRule(t *testing.T) {
	t.Parallel()
	send := Decision{Outcome: Send}
	blocked := func(r string) Decision { return Decision{Outcome: Block, Reason: r} }
	tests := []struct {
		name string
		f    func() Facts
		want Decision
	}{
		{"email passes", okEmail, send},
		{"sms passes", okSMS, send},
		{"unknown channel", func() Facts { f := okEmail(); f.Channel = "fax"; return f }, blocked(ReasonUnknownChannel)},
		{"empty channel", func() Facts { f := okEmail(); f.Channel = ""; return f }, blocked(ReasonUnknownChannel)},
		{"email without address", func() Facts { f := okEmail(); f.Address = ""; return f }, blocked(ReasonNoAddress)},
		{"sms with blank address", func() Facts { f := okSMS(); f.Address = "  "; return f }, blocked(ReasonNoAddress)},
		{"email unsubscribed", func() Facts { f := okEmail(); f.Unsubscribed = true; return f }, blocked(ReasonUnsubscribed)},
		{"sms unsubscribed", func() Facts { f := okSMS(); f.Unsubscribed = true; return f }, blocked(ReasonUnsubscribed)},
		{"sms on DNC", func() Facts { f := okSMS(); f.DoNotCall = true; return f }, blocked(ReasonDNC)},
		{"DNC does not stop email", func() Facts { f := okEmail(); f.DoNotCall = true; return f }, send},
		{"email hard bounce", func() Facts { f := okEmail(); f.Suppressed = "hard_bounce"; return f },
			Decision{Outcome: Block, Reason: ReasonSuppressed, Detail: "hard_bounce"}},
		{"email complaint", func() Facts { f := okEmail(); f.Suppressed = "complaint"; return f },
			Decision{Outcome: Block, Reason: ReasonSuppressed, Detail: "complaint"}},
		{"sms soft bounces", func() Facts { f := okSMS(); f.Suppressed = "soft_bounces"; return f },
			Decision{Outcome: Block, Reason: ReasonSuppressed, Detail: "soft_bounces"}},
		{"email no consent", func() Facts { f := okEmail(); f.Consent = ConsentNone; return f }, blocked(ReasonNoConsent)},
		{"sms no consent", func() Facts { f := okSMS(); f.Consent = ConsentNone; return f }, blocked(ReasonNoConsent)},
		{"unknown consent state is none", func() Facts { f := okSMS(); f.Consent = "pending"; return f }, blocked(ReasonNoConsent)},
		{"email consent withdrawn", func() Facts { f := okEmail(); f.Consent = ConsentWithdrawn; return f }, blocked(ReasonConsentWithdrawn)},
		{"sms consent withdrawn", func() Facts { f := okSMS(); f.Consent = ConsentWithdrawn; return f }, blocked(ReasonConsentWithdrawn)},
		{"email without postal address", func() Facts { f := okEmail(); f.PostalAddress = ""; return f }, blocked(ReasonNoPostalAddress)},
		{"email with blank postal address", func() Facts { f := okEmail(); f.PostalAddress = " \t"; return f }, blocked(ReasonNoPostalAddress)},
		{"sms needs no postal address", func() Facts { f := okSMS(); f.PostalAddress = ""; return f }, send},
		{"email ignores zones", func() Facts { f := okEmail(); f.Zones = []*time.Location{mustZone("Asia/Tokyo")}; return f }, send},
		{"sms without zones", func() Facts { f := okSMS(); f.Zones = nil; return f }, blocked(ReasonNoTimeZone)},
		{"sms with only nil zones", func() Facts { f := okSMS(); f.Zones = []*time.Location{nil}; return f }, blocked(ReasonNoTimeZone)},
		{"sms nil zone ignored", func() Facts { f := okSMS(); f.Zones = append([]*time.Location{nil}, f.Zones...); return f }, send},
		// 12:00 in New York is 02:00 the next morning in Tokyo: deferred
		// to 08:00 Tokyo = 23:00 UTC the same day.
		{"sms night in the recipient's zone", func() Facts { f := okSMS(); f.Zones = []*time.Location{mustZone("Asia/Tokyo")}; return f },
			Decision{Outcome: Defer, Reason: ReasonQuietHours, NotBefore: utc(2026, time.January, 15, 23, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Decide(tt.f(), noonNY)
			if !sameDecision(got, tt.want) {
				t.Fatalf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func sameDecision(a, b Decision) bool {
	return a.Outcome == b.Outcome && a.Reason == b.Reason && a.Detail == b.Detail && a.NotBefore.Equal(b.NotBefore)
}

// TestDecideOrder starts from a message that breaks every rule and
// repairs one rule at a time: each step must surface the next reason of
// the documented order, so no rule can move ahead of another unnoticed.
func TestDecideOrder(t *testing.T) {
	t.Parallel()
	night := time.Date(2026, time.January, 15, 3, 0, 0, 0, mustZone("America/New_York"))
	tests := []struct {
		name  string
		start Facts
		steps []func(*Facts)
		want  []string // the reason after each repair; "" for a send
	}{
		{
			name:  "sms",
			start: Facts{Channel: "pager", Unsubscribed: true, DoNotCall: true, Suppressed: "complaint", Consent: ConsentWithdrawn},
			steps: []func(*Facts){
				func(f *Facts) {},
				func(f *Facts) { f.Channel = SMS },
				func(f *Facts) { f.Address = "+12125550100" },
				func(f *Facts) { f.Unsubscribed = false },
				func(f *Facts) { f.DoNotCall = false },
				func(f *Facts) { f.Suppressed = "" },
				func(f *Facts) { f.Consent = ConsentNone },
				func(f *Facts) { f.Consent = ConsentGranted },
				func(f *Facts) { f.Zones = []*time.Location{mustZone("America/New_York")} },
			},
			want: []string{ReasonUnknownChannel, ReasonNoAddress, ReasonUnsubscribed, ReasonDNC, ReasonSuppressed,
				ReasonConsentWithdrawn, ReasonNoConsent, ReasonNoTimeZone, ReasonQuietHours},
		},
		{
			name:  "email",
			start: Facts{Channel: Email, Unsubscribed: true, Suppressed: "hard_bounce", Consent: ConsentWithdrawn},
			steps: []func(*Facts){
				func(f *Facts) {},
				func(f *Facts) { f.Address = "jane@example.com" },
				func(f *Facts) { f.Unsubscribed = false },
				func(f *Facts) { f.Suppressed = "" },
				func(f *Facts) { f.Consent = ConsentGranted },
				func(f *Facts) { f.PostalAddress = "1 Main St" },
			},
			want: []string{ReasonNoAddress, ReasonUnsubscribed, ReasonSuppressed, ReasonConsentWithdrawn, ReasonNoPostalAddress, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.start
			for i, step := range tt.steps {
				step(&f)
				if got := Decide(f, night).Reason; got != tt.want[i] {
					t.Fatalf("after repair %d: reason %q, want %q", i, got, tt.want[i])
				}
			}
		})
	}
}

// TestDecideOrderPairs pins the pairs the issue names.
func TestDecideOrderPairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Facts
		want string
	}{
		{"unsubscribed and no consent", Facts{Channel: Email, Address: "a@b.io", Unsubscribed: true, PostalAddress: "x"}, ReasonUnsubscribed},
		{"DNC and no consent", Facts{Channel: SMS, Address: "+12125550100", DoNotCall: true}, ReasonDNC},
		{"suppressed and withdrawn", Facts{Channel: SMS, Address: "+12125550100", Suppressed: "hard_bounce", Consent: ConsentWithdrawn}, ReasonSuppressed},
		{"no consent and no postal address", Facts{Channel: Email, Address: "a@b.io"}, ReasonNoConsent},
		{"no consent at night", Facts{Channel: SMS, Address: "+12125550100", Zones: []*time.Location{mustZone("Asia/Tokyo")}}, ReasonNoConsent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Decide(tt.f, noonNY); got.Outcome != Block || got.Reason != tt.want {
				t.Fatalf("Decide = %+v, want block %q", got, tt.want)
			}
		})
	}
}
