package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"reos.dev/services/outreach/internal/adapters/webhooks"
)

// Behaviour is what a mock does with a message, chosen by its recipient.
type Behaviour string

// The mocks' behaviours (see the package documentation for the patterns
// that select them).
const (
	Deliver    Behaviour = "deliver"     // accepted; delivered
	BounceHard Behaviour = "bounce-hard" // accepted; a hard bounce
	BounceSoft Behaviour = "bounce-soft" // accepted; a soft bounce
	Complaint  Behaviour = "complaint"   // accepted; delivered, then a complaint
	Delay      Behaviour = "delay"       // accepted; deferred, delivered an hour later
	Fail5xx    Behaviour = "fail-5xx"    // refused, temporary (a 503), every time
	Flaky      Behaviour = "flaky"       // refused, temporary (a 503), the first attempt of a key only
	RateLimit  Behaviour = "ratelimit"   // refused, temporary (a 429 with Retry-After), until Retry-After has passed
	Reject     Behaviour = "reject"      // refused, permanent (invalid recipient)
	Unsubbed   Behaviour = "unsubscribed"
	StopReply  Behaviour = "stop-reply" // SMS: delivered, then the recipient answers STOP
)

// The mocks' fixed delays (on their clock) from acceptance to each event,
// and the Retry-After of RateLimit. Fixed so tests can step a fake clock
// to exactly the moment an outcome arrives.
const (
	MockDeliveredAfter = 1 * time.Second
	MockBounceAfter    = 2 * time.Second
	MockComplaintAfter = 30 * time.Second
	MockDelayedBy      = 1 * time.Hour
	MockReplyAfter     = 1 * time.Minute
	MockRetryAfter     = 30 * time.Second
)

// emailTokens are matched, in this order, against an address's local part
// and its +tag.
var emailTokens = []Behaviour{BounceHard, BounceSoft, Complaint, Delay, Fail5xx, Flaky, RateLimit, Reject}

// EmailBehaviour is the mock's behaviour for an address: a token of
// emailTokens as the whole local part or +tag, or followed by '-', '.' or
// '_' and anything ("bounce-hard@x", "bounce-hard-17@x", "ann+complaint@x");
// everything else is Deliver.
func EmailBehaviour(addr string) Behaviour {
	local := addr
	if a, err := mail.ParseAddress(addr); err == nil {
		local = a.Address
	}
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	local = strings.ToLower(local)
	parts := []string{local}
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		parts = []string{local[:plus], local[plus+1:]}
	}
	for _, tok := range emailTokens {
		for _, p := range parts {
			if rest, ok := strings.CutPrefix(p, string(tok)); ok && (rest == "" || strings.ContainsRune("-._", rune(rest[0]))) {
				return tok
			}
		}
	}
	return Deliver
}

// smsBehaviours by the last two digits of a number in the fictional NANP
// range +1 NPA 555-01XX; every other number is Deliver.
var smsBehaviours = map[string]Behaviour{
	"01": BounceHard, // undeliverable (Twilio 30005, unknown destination)
	"02": BounceSoft, // unreachable handset (30003)
	"03": Delay,
	"04": Fail5xx,
	"05": Flaky,
	"06": RateLimit,
	"07": Reject,   // invalid 'To' (21211)
	"08": Unsubbed, // the recipient has opted out at the carrier (21610)
	"09": StopReply,
}

// SMSBehaviour is the mock's behaviour for an E.164 number.
func SMSBehaviour(number string) Behaviour {
	if len(number) == 12 && strings.HasPrefix(number, "+1") && number[5:10] == "55501" {
		if b, ok := smsBehaviours[number[10:]]; ok {
			return b
		}
	}
	return Deliver
}

// Attempt is one call the mock answered, with its outcome.
type Attempt[M any] struct {
	Message   M
	Behaviour Behaviour
	Result    Result // zero when Err is set
	Err       error
	At        time.Time
}

// Mock is what both mocks are: idempotency by key, the record of every
// answer, and the scheduled events. MockEmail and MockSMS add the sending.
type Mock[M any] struct {
	// Notify, when set (before the first send), receives the asynchronous
	// outcomes (delivered, bounced, complained, deferred, the inbound STOP)
	// when DeliverDue or Run finds them due; outreach wires it to the path
	// its webhook endpoint uses.
	Notify func(ctx context.Context, e webhooks.Event)

	name  string
	clock func() time.Time

	mu         sync.Mutex
	attempts   []Attempt[M]
	accepted   map[string]int // key → index in attempts
	duplicates map[string]int
	tries      map[string]int       // refused attempts per key
	refusedAt  map[string]time.Time // first RateLimit refusal per key
	pending    []scheduled
	seq        int
}

type scheduled struct {
	due   time.Time
	seq   int
	event webhooks.Event
}

func newMock[M any](name string, clock func() time.Time) *Mock[M] {
	if clock == nil {
		clock = time.Now
	}
	m := &Mock[M]{name: name, clock: clock}
	m.clear()
	return m
}

func (m *Mock[M]) clear() {
	m.attempts = nil
	m.accepted = map[string]int{}
	m.duplicates = map[string]int{}
	m.tries = map[string]int{}
	m.refusedAt = map[string]time.Time{}
	m.pending = nil
}

// send answers one message: invalid → the refusal; a key already accepted
// → the first Result, nothing recorded but the duplicate; otherwise the
// behaviour's outcome, recorded, with its events scheduled when notify is set.
func (m *Mock[M]) send(key string, msg M, invalid error, b Behaviour, events func(Result) []timed) (Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	if invalid == nil {
		if i, ok := m.accepted[key]; ok {
			m.duplicates[key]++
			return m.attempts[i].Result, nil
		}
	}
	a := Attempt[M]{Message: msg, Behaviour: b, At: now}
	switch {
	case invalid != nil:
		a.Err = invalid
	default:
		a.Err = m.refusal(key, b, now)
	}
	if a.Err == nil {
		a.Result = Result{ProviderMessageID: mockMessageID(m.name, key), Provider: "mock", AcceptedAt: now}
		m.accepted[key] = len(m.attempts)
		if m.Notify != nil {
			for _, t := range events(a.Result) {
				m.seq++
				m.pending = append(m.pending, scheduled{due: now.Add(t.after), seq: m.seq, event: t.event})
			}
		}
	} else {
		m.tries[key]++
	}
	m.attempts = append(m.attempts, a)
	return a.Result, a.Err
}

// refusal is the error of a refusing behaviour for this attempt, or nil.
func (m *Mock[M]) refusal(key string, b Behaviour, now time.Time) error {
	switch b {
	case Fail5xx:
		return &Error{Provider: m.name, Code: "503", Err: fmt.Errorf("mock: service unavailable")}
	case Flaky:
		if m.tries[key] == 0 {
			return &Error{Provider: m.name, Code: "503", Err: fmt.Errorf("mock: service unavailable (first attempt)")}
		}
	case RateLimit:
		first, ok := m.refusedAt[key]
		if !ok {
			m.refusedAt[key] = now
			first = now
		}
		if left := first.Add(MockRetryAfter).Sub(now); left > 0 {
			return &Error{Provider: m.name, Code: "429", RetryAfter: left, Err: fmt.Errorf("mock: too many requests")}
		}
	case Reject:
		return &Error{Provider: m.name, Permanent: true, Code: m.rejectCode(), Err: fmt.Errorf("mock: invalid recipient")}
	case Unsubbed:
		return &Error{Provider: m.name, Permanent: true, Code: "21610", Err: fmt.Errorf("mock: recipient has opted out")}
	}
	return nil
}

func (m *Mock[M]) rejectCode() string {
	if m.name == "mock-sms" {
		return "21211"
	}
	return "550"
}

type timed struct {
	after time.Duration
	event webhooks.Event
}

// due removes and returns, in order, the events due at the mock's clock.
func (m *Mock[M]) due() []webhooks.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	slices.SortFunc(m.pending, func(a, b scheduled) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	n := 0
	for n < len(m.pending) && !m.pending[n].due.After(now) {
		n++
	}
	out := make([]webhooks.Event, n)
	for i := range n {
		out[i] = m.pending[i].event
	}
	m.pending = slices.Delete(m.pending, 0, n)
	return out
}

// Pending returns the scheduled events not yet delivered.
func (m *Mock[M]) Pending() []webhooks.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]webhooks.Event, len(m.pending))
	for i, p := range m.pending {
		out[i] = p.event
	}
	return out
}

// Attempts returns every answered call except repeats of an accepted key.
func (m *Mock[M]) Attempts() []Attempt[M] {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.attempts)
}

// Sent returns the accepted messages, one per key, in order.
func (m *Mock[M]) Sent() []Attempt[M] {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Attempt[M]
	for _, a := range m.attempts {
		if a.Err == nil {
			out = append(out, a)
		}
	}
	return out
}

// ByKey returns the accepted message of key.
func (m *Mock[M]) ByKey(key string) (Attempt[M], bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.accepted[key]
	if !ok {
		return Attempt[M]{}, false
	}
	return m.attempts[i], true
}

// DuplicatesOf counts the sends of key after it was accepted.
func (m *Mock[M]) DuplicatesOf(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.duplicates[key]
}

// Duplicates counts every send of an already accepted key.
func (m *Mock[M]) Duplicates() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, d := range m.duplicates {
		n += d
	}
	return n
}

// DeliverDue hands every event due at the mock's clock to Notify (outside
// the lock), in due order, and returns how many there were.
func (m *Mock[M]) DeliverDue(ctx context.Context) int {
	events := m.due()
	if m.Notify != nil {
		for _, e := range events {
			m.Notify(ctx, e)
		}
	}
	return len(events)
}

// Reset forgets everything.
func (m *Mock[M]) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
}

// Run calls DeliverDue every interval until ctx ends (the service's worker).
func (m *Mock[M]) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.DeliverDue(ctx)
		}
	}
}

// mockMessageID is the mock's id for a key: the same key, the same id.
func mockMessageID(name, key string) string {
	sum := sha256.Sum256([]byte(key))
	return name + "-" + hex.EncodeToString(sum[:10])
}

// MockEmail is the deterministic email provider of MODE=mock.
type MockEmail struct{ *Mock[EmailMessage] }

// NewMockEmail is a mock email provider on clock (time.Now when nil).
func NewMockEmail(clock func() time.Time) *MockEmail {
	return &MockEmail{newMock[EmailMessage]("mock-email", clock)}
}

// Name is "mock".
func (*MockEmail) Name() string { return "mock" }

// SendEmail answers by the recipient's pattern; a key already accepted
// answers its first Result again and is counted in Duplicates.
func (p *MockEmail) SendEmail(_ context.Context, msg EmailMessage) (Result, error) {
	b := EmailBehaviour(msg.To)
	msg.Headers = maps.Clone(msg.Headers)
	events := func(r Result) []timed { return emailEvents(b, msg, r) }
	return p.send(msg.Key, msg, p.invalid(msg), b, events)
}

func (p *MockEmail) invalid(msg EmailMessage) error {
	if msg.Key == "" {
		return &Error{Provider: "mock-email", Permanent: true, Code: "invalid_message", Err: fmt.Errorf("mock: message has no key")}
	}
	if _, err := mail.ParseAddress(msg.To); err != nil {
		return &Error{Provider: "mock-email", Permanent: true, Code: "invalid_recipient", Err: fmt.Errorf("mock: recipient %q: %w", msg.To, err)}
	}
	return nil
}

// eventMaker makes the mock's events about one accepted message: each
// stamped with its due time, and with an id unique per message and type.
func eventMaker(key, recipient string, r Result) func(t webhooks.Type, after time.Duration, detail string) timed {
	return func(t webhooks.Type, after time.Duration, detail string) timed {
		return timed{after: after, event: webhooks.Event{
			Provider: "mock", ProviderEventID: r.ProviderMessageID + ":" + string(t), Type: t,
			MessageKey: key, ProviderMessageID: r.ProviderMessageID, Recipient: recipient,
			Detail: detail, At: r.AcceptedAt.Add(after),
		}}
	}
}

func emailEvents(b Behaviour, msg EmailMessage, r Result) []timed {
	ev := eventMaker(msg.Key, msg.To, r)
	switch b {
	case BounceHard:
		return []timed{ev(webhooks.BouncedHard, MockBounceAfter, "550 5.1.1 user unknown")}
	case BounceSoft:
		return []timed{ev(webhooks.BouncedSoft, MockBounceAfter, "452 4.2.2 mailbox full")}
	case Complaint:
		return []timed{ev(webhooks.Delivered, MockDeliveredAfter, ""), ev(webhooks.Complained, MockComplaintAfter, "abuse")}
	case Delay:
		return []timed{ev(webhooks.Deferred, MockDeliveredAfter, "421 4.7.0 try again later"), ev(webhooks.Delivered, MockDelayedBy, "")}
	default:
		return []timed{ev(webhooks.Delivered, MockDeliveredAfter, "")}
	}
}

// MockSMS is the deterministic SMS provider of MODE=mock.
type MockSMS struct{ *Mock[SMSMessage] }

// NewMockSMS is a mock SMS provider on clock (time.Now when nil).
func NewMockSMS(clock func() time.Time) *MockSMS {
	return &MockSMS{newMock[SMSMessage]("mock-sms", clock)}
}

// Name is "mock".
func (*MockSMS) Name() string { return "mock" }

// SendSMS answers by the number's pattern; a key already accepted answers
// its first Result again and is counted in Duplicates.
func (p *MockSMS) SendSMS(_ context.Context, msg SMSMessage) (Result, error) {
	b := SMSBehaviour(msg.To)
	events := func(r Result) []timed { return smsEvents(b, msg, r) }
	return p.send(msg.Key, msg, p.invalid(msg), b, events)
}

func (p *MockSMS) invalid(msg SMSMessage) error {
	if msg.Key == "" {
		return &Error{Provider: "mock-sms", Permanent: true, Code: "invalid_message", Err: fmt.Errorf("mock: message has no key")}
	}
	if !IsE164(msg.To) {
		return &Error{Provider: "mock-sms", Permanent: true, Code: "21211", Err: fmt.Errorf("mock: 'To' %q is not E.164", msg.To)}
	}
	return nil
}

func smsEvents(b Behaviour, msg SMSMessage, r Result) []timed {
	ev := eventMaker(msg.Key, msg.To, r)
	switch b {
	case BounceHard:
		return []timed{ev(webhooks.BouncedHard, MockBounceAfter, "30005 unknown destination handset")}
	case BounceSoft:
		return []timed{ev(webhooks.BouncedSoft, MockBounceAfter, "30003 unreachable destination handset")}
	case Delay:
		return []timed{ev(webhooks.Deferred, MockDeliveredAfter, "queued at carrier"), ev(webhooks.Delivered, MockDelayedBy, "")}
	case StopReply:
		stop := ev(webhooks.Inbound, MockReplyAfter, "")
		stop.event.MessageKey = "" // an inbound message answers no key: the caller finds the sender by number
		stop.event.ProviderMessageID = r.ProviderMessageID + "-reply"
		stop.event.Recipient, stop.event.To, stop.event.Body = msg.To, msg.From, "STOP"
		return []timed{ev(webhooks.Delivered, MockDeliveredAfter, ""), stop}
	default:
		return []timed{ev(webhooks.Delivered, MockDeliveredAfter, "")}
	}
}

// IsE164 reports whether s is an E.164 number: '+', a non-zero digit, 8 to 15 digits in all.
func IsE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
