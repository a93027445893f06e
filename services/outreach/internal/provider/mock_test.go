package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
	"reos.dev/services/outreach/internal/adapters/webhooks"
)

func TestEmailBehaviourPatterns(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]Behaviour{
		"ann@example.test":                 Deliver,
		"bounce-hard@example.test":         BounceHard,
		"Bounce-Hard-17@example.test":      BounceHard,
		"ann+bounce-soft@example.test":     BounceSoft,
		"complaint.3@example.test":         Complaint,
		"Ann <delay_1@example.test>":       Delay,
		"fail-5xx@example.test":            Fail5xx,
		"flaky@example.test":               Flaky,
		"ratelimit-2@example.test":         RateLimit,
		"reject@example.test":              Reject,
		"rejected@example.test":            Deliver, // a token must end or be followed by - . _
		"complaints-dept@example.test":     Deliver,
		"someone@bounce-hard.example.test": Deliver, // only the local part counts
	} {
		if got := EmailBehaviour(addr); got != want {
			t.Errorf("EmailBehaviour(%q) = %s, want %s", addr, got, want)
		}
	}
}

func TestSMSBehaviourPatterns(t *testing.T) {
	t.Parallel()
	for number, want := range map[string]Behaviour{
		"+12125550100":  Deliver,
		"+12125550101":  BounceHard,
		"+14155550102":  BounceSoft,
		"+12125550103":  Delay,
		"+12125550104":  Fail5xx,
		"+12125550105":  Flaky,
		"+12125550106":  RateLimit,
		"+12125550107":  Reject,
		"+12125550108":  Unsubbed,
		"+12125550109":  StopReply,
		"+12125550199":  Deliver, // in the range, no behaviour
		"+12125551109":  Deliver, // outside the 555-01XX range
		"+442075550109": Deliver,
	} {
		if got := SMSBehaviour(number); got != want {
			t.Errorf("SMSBehaviour(%q) = %s, want %s", number, got, want)
		}
	}
}

func TestMockEmailIsIdempotentByKey(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	p := NewMockEmail(clock.Now)
	m := campaignMail("k1", "ann@example.test")
	first, err := p.SendEmail(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	m.Subject = "changed"
	again, err := p.SendEmail(context.Background(), m)
	if err != nil || again != first {
		t.Fatalf("resend = %+v, %v; want the first result %+v", again, err, first)
	}
	if n := len(p.Sent()); n != 1 || p.DuplicatesOf("k1") != 1 || p.Duplicates() != 1 || len(p.Attempts()) != 1 {
		t.Fatalf("sent %d, duplicates %d/%d, attempts %d", n, p.DuplicatesOf("k1"), p.Duplicates(), len(p.Attempts()))
	}
	if a, ok := p.ByKey("k1"); !ok || a.Message.Subject == "changed" || a.Behaviour != Deliver {
		t.Fatalf("ByKey = %+v, %v", a, ok)
	}
	// Another key with the same content is another message.
	if _, err := p.SendEmail(context.Background(), campaignMail("k2", "ann@example.test")); err != nil {
		t.Fatal(err)
	}
	if len(p.Sent()) != 2 || p.Duplicates() != 1 {
		t.Fatalf("sent %d, duplicates %d", len(p.Sent()), p.Duplicates())
	}
	p.Reset()
	if len(p.Sent()) != 0 || p.Duplicates() != 0 {
		t.Fatal("Reset kept records")
	}
}

func TestMockEmailConcurrentSendsOfOneKeyAcceptOnce(t *testing.T) {
	t.Parallel()
	p := NewMockEmail(nil)
	var wg sync.WaitGroup
	results := make([]Result, 50)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = p.SendEmail(context.Background(), campaignMail("same", "ann@example.test"))
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r != results[0] || r.ProviderMessageID == "" {
			t.Fatalf("results differ: %+v vs %+v", r, results[0])
		}
	}
	if len(p.Sent()) != 1 || p.Duplicates() != len(results)-1 {
		t.Fatalf("sent %d, duplicates %d", len(p.Sent()), p.Duplicates())
	}
}

func TestMockEmailRefusals(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	p := NewMockEmail(clock.Now)
	ctx := context.Background()
	send := func(key, to string) error { _, err := p.SendEmail(ctx, campaignMail(key, to)); return err }

	var pe *Error
	if err := send("r", "reject@example.test"); !errors.As(err, &pe) || !pe.Permanent || pe.Code != "550" {
		t.Fatalf("reject: %v", err)
	}
	for i := range 3 {
		if err := send("f", "fail-5xx@example.test"); !errors.As(err, &pe) || pe.Permanent || pe.Code != "503" {
			t.Fatalf("fail-5xx attempt %d: %v", i, err)
		}
	}
	if err := send("fl", "flaky@example.test"); !errors.As(err, &pe) || pe.Permanent {
		t.Fatalf("flaky first attempt: %v", err)
	}
	if err := send("fl", "flaky@example.test"); err != nil {
		t.Fatalf("flaky second attempt: %v", err)
	}
	// ratelimit: refused with the time left until MockRetryAfter has passed, then accepted.
	if err := send("rl", "ratelimit@example.test"); !errors.As(err, &pe) || pe.Permanent || pe.Code != "429" || pe.RetryAfter != MockRetryAfter {
		t.Fatalf("ratelimit: %v", err)
	}
	clock.Advance(MockRetryAfter - time.Second)
	if err := send("rl", "ratelimit@example.test"); !errors.As(err, &pe) || pe.RetryAfter != time.Second {
		t.Fatalf("ratelimit before the end of Retry-After: %v", err)
	}
	clock.Advance(time.Second)
	if err := send("rl", "ratelimit@example.test"); err != nil {
		t.Fatalf("ratelimit after Retry-After: %v", err)
	}
	if err := send("", "ann@example.test"); !IsPermanent(err) {
		t.Fatalf("no key: %v", err)
	}
	if err := send("bad", "not an address"); !IsPermanent(err) {
		t.Fatalf("bad address: %v", err)
	}
	sent := p.Sent()
	if len(sent) != 2 || sent[0].Message.Key != "fl" || sent[1].Message.Key != "rl" {
		t.Fatalf("sent = %+v", sent)
	}
	// Every refusal is in the record with its outcome.
	refused := 0
	for _, a := range p.Attempts() {
		if a.Err != nil {
			refused++
		}
	}
	if refused != 9 {
		t.Fatalf("%d refused attempts recorded, want 9", refused)
	}
}

type eventLog struct {
	mu     sync.Mutex
	events []webhooks.Event
}

func (l *eventLog) notify(_ context.Context, e webhooks.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) types() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, fmt.Sprintf("%s:%s", e.Recipient, e.Type))
	}
	return out
}

func TestMockEmailEventsArriveOnTheClock(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	p := NewMockEmail(clock.Now)
	log := &eventLog{}
	p.Notify = log.notify
	ctx := context.Background()
	for _, to := range []string{"ann@example.test", "bounce-hard@example.test", "bounce-soft@example.test", "complaint@example.test", "delay@example.test", "reject@example.test"} {
		_, _ = p.SendEmail(ctx, campaignMail("k-"+to, to))
	}
	sentAt := clock.Now()
	if n := p.DeliverDue(ctx); n != 0 {
		t.Fatalf("%d events before any time passed", n)
	}
	step := func(to time.Duration, want ...string) {
		t.Helper()
		clock.Advance(sentAt.Add(to).Sub(clock.Now()))
		log.events = nil
		p.DeliverDue(ctx)
		if got := log.types(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("at +%s: %v, want %v", to, got, want)
		}
	}
	step(MockDeliveredAfter - time.Millisecond) // nothing yet
	step(MockDeliveredAfter, "ann@example.test:delivered", "complaint@example.test:delivered", "delay@example.test:deferred")
	step(MockBounceAfter, "bounce-hard@example.test:bounced_hard", "bounce-soft@example.test:bounced_soft")
	step(MockComplaintAfter, "complaint@example.test:complained")
	step(MockDelayedBy, "delay@example.test:delivered")
	if len(p.Pending()) != 0 {
		t.Fatalf("pending = %v", p.Pending())
	}
	// The events name the key and the provider's id, and are stamped with their time.
	a, _ := p.ByKey("k-ann@example.test")
	p2 := NewMockEmail(clock.Now)
	p2.Notify = log.notify
	log.events = nil
	_, _ = p2.SendEmail(ctx, campaignMail("k-ann@example.test", "ann@example.test"))
	clock.Advance(MockDeliveredAfter)
	p2.DeliverDue(ctx)
	e := log.events[0]
	if e.MessageKey != "k-ann@example.test" || e.ProviderMessageID != a.Result.ProviderMessageID || e.Provider != "mock" ||
		e.ProviderEventID == "" || !e.At.Equal(clock.Now()) {
		t.Fatalf("event = %+v", e)
	}
}

func TestMockSMSStopReplyAndOutcomes(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	p := NewMockSMS(clock.Now)
	log := &eventLog{}
	p.Notify = log.notify
	ctx := context.Background()
	msg := func(key, to string) SMSMessage {
		return SMSMessage{Key: key, OrgID: "org-1", From: "+12125550199", To: to, Body: "New listing. Reply STOP to opt out."}
	}
	if _, err := p.SendSMS(ctx, msg("s1", "+12125550109")); err != nil {
		t.Fatal(err)
	}
	var pe *Error
	if _, err := p.SendSMS(ctx, msg("s2", "+12125550108")); !errors.As(err, &pe) || !pe.Permanent || pe.Code != "21610" {
		t.Fatalf("unsubscribed number: %v", err)
	}
	if _, err := p.SendSMS(ctx, msg("s3", "+12125550107")); !errors.As(err, &pe) || !pe.Permanent || pe.Code != "21211" {
		t.Fatalf("invalid number: %v", err)
	}
	if _, err := p.SendSMS(ctx, msg("s4", "2125550100")); !IsPermanent(err) {
		t.Fatalf("not E.164: %v", err)
	}
	clock.Advance(MockReplyAfter)
	p.DeliverDue(ctx)
	if got := log.types(); fmt.Sprint(got) != "[+12125550109:delivered +12125550109:inbound]" {
		t.Fatalf("events = %v", got)
	}
	stop := log.events[1]
	if stop.Body != "STOP" || stop.Recipient != "+12125550109" || stop.To != "+12125550199" || stop.MessageKey != "" {
		t.Fatalf("inbound = %+v", stop)
	}
	if _, err := p.SendSMS(ctx, msg("s1", "+12125550109")); err != nil || p.DuplicatesOf("s1") != 1 || len(p.Sent()) != 1 {
		t.Fatalf("resend: %v, duplicates %d, sent %d", err, p.DuplicatesOf("s1"), len(p.Sent()))
	}
}

func TestMockRunDeliversUntilCancelled(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	p := NewMockEmail(clock.Now)
	log := &eventLog{}
	p.Notify = log.notify
	_, _ = p.SendEmail(context.Background(), campaignMail("k", "ann@example.test"))
	clock.Advance(MockDeliveredAfter)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, 5*time.Millisecond) }()
	testkit.Eventually(t, 5*time.Second, func() bool { return len(log.types()) == 1 }, "the worker delivered the event")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// FuzzBehaviour: recipients come from user data; the pattern readers never
// panic and always answer a known behaviour.
func FuzzBehaviour(f *testing.F) {
	for _, s := range []string{"ann@example.test", "a+bounce-hard@x", "bounce-hard", "+12125550109", "\"x@y\"@z", "+", ""} {
		f.Add(s)
	}
	known := map[Behaviour]bool{Deliver: true}
	for _, b := range emailTokens {
		known[b] = true
	}
	for _, b := range smsBehaviours {
		known[b] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		if b := EmailBehaviour(s); !known[b] {
			t.Fatalf("EmailBehaviour(%q) = %q", s, b)
		}
		if b := SMSBehaviour(s); !known[b] {
			t.Fatalf("SMSBehaviour(%q) = %q", s, b)
		}
		_ = IsE164(s)
	})
}
