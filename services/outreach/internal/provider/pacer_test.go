package provider

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// fakeClock is a Clock whose timers fire when Advance passes them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Waiting is how many timers are set and not yet fired.
func (c *fakeClock) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Deadlines are the pending timers' times, earliest first.
func (c *fakeClock) Deadlines() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Time, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// AdvanceTo sets the time and fires every timer at or before it.
func (c *fakeClock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(t) {
			tm.ch <- t
		} else {
			kept = append(kept, tm)
		}
	}
	c.timers = kept
}

// waitAsync runs p.Wait in a goroutine and reports its result.
func waitAsync(p *Pacer) <-chan error {
	done := make(chan error, 1)
	go func() { done <- p.Wait(context.Background()) }()
	return done
}

var pacerStart = time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)

func TestPacerSpacesMessagesEvenlyWithoutABurst(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(pacerStart)
	p := NewPacer(10, 0, clock) // one every 100 ms
	// The first message goes at once.
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Five concurrent waiters each get their own slot, 100 ms apart.
	var results []<-chan error
	for range 5 {
		results = append(results, waitAsync(p))
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 5 }, "five waiters set timers")
	dl := clock.Deadlines()
	for i, at := range dl {
		if want := pacerStart.Add(time.Duration(i+1) * 100 * time.Millisecond); !at.Equal(want) {
			t.Fatalf("slot %d at %s, want %s", i, at.Sub(pacerStart), want.Sub(pacerStart))
		}
	}
	clock.AdvanceTo(pacerStart.Add(500 * time.Millisecond))
	for _, r := range results {
		if err := <-r; err != nil {
			t.Fatal(err)
		}
	}
	// After an idle spell there is still no burst: one now, the next 100 ms later.
	clock.AdvanceTo(pacerStart.Add(10 * time.Second))
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := waitAsync(p)
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 1 }, "the second waiter set a timer")
	if at := clock.Deadlines()[0]; !at.Equal(pacerStart.Add(10*time.Second + 100*time.Millisecond)) {
		t.Fatalf("after idle the second slot is at %s", at.Sub(pacerStart))
	}
	clock.AdvanceTo(clock.Deadlines()[0])
	if err := <-r; err != nil {
		t.Fatal(err)
	}
}

func TestPacerHoldDelaysEvenTheWaitersThatHadASlot(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(pacerStart)
	p := NewPacer(10, 0, clock)
	_ = p.Wait(context.Background())
	r := waitAsync(p) // slot at +100 ms
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 1 }, "waiter set a timer")
	p.Hold(30 * time.Second) // a 429 with Retry-After: 30
	clock.AdvanceTo(pacerStart.Add(100 * time.Millisecond))
	// Its slot fell inside the hold: it takes a new one at the hold's end.
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 1 }, "the waiter waits again")
	if at := clock.Deadlines()[0]; !at.Equal(pacerStart.Add(30 * time.Second)) {
		t.Fatalf("after the hold the slot is at %s, want 30s", at.Sub(pacerStart))
	}
	select {
	case err := <-r:
		t.Fatalf("Wait returned during the hold: %v", err)
	default:
	}
	clock.AdvanceTo(pacerStart.Add(30 * time.Second))
	if err := <-r; err != nil {
		t.Fatal(err)
	}
	// And the one after it is 100 ms later, not at once.
	r = waitAsync(p)
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 1 }, "next waiter set a timer")
	if at := clock.Deadlines()[0]; !at.Equal(pacerStart.Add(30*time.Second + 100*time.Millisecond)) {
		t.Fatalf("next slot at %s", at.Sub(pacerStart))
	}
	clock.AdvanceTo(clock.Deadlines()[0])
	<-r
}

func TestPacerDailyQuota(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(pacerStart) // 10:00 UTC
	p := NewPacer(0, 3, clock)
	for i := range 3 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	err := p.Wait(context.Background())
	var pe *Error
	if !errors.Is(err, ErrDailyQuota) || !errors.As(err, &pe) || pe.Permanent || pe.RetryAfter != 14*time.Hour {
		t.Fatalf("fourth message: %v, want the daily quota with 14h to wait", err)
	}
	clock.AdvanceTo(pacerStart.Add(14 * time.Hour)) // midnight UTC
	if err := p.Wait(context.Background()); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestPacerCancelledWaitGivesItsSlotBack(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(pacerStart)
	p := NewPacer(1, 2, clock)
	_ = p.Wait(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Wait(ctx) }()
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 1 }, "waiter set a timer")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	// The slot at +1 s and its share of the day's quota are free again.
	r := waitAsync(p)
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 2 }, "new waiter set a timer")
	if at := clock.Deadlines()[1]; !at.Equal(pacerStart.Add(time.Second)) {
		t.Fatalf("slot at %s, want 1s", at.Sub(pacerStart))
	}
	clock.AdvanceTo(pacerStart.Add(time.Second))
	if err := <-r; err != nil {
		t.Fatalf("the second message of a quota of 2: %v", err)
	}
}

func TestPacedProviderHoldsAfterRetryAfter(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(pacerStart)
	mock := NewMockEmail(clock.Now)
	p := NewPacer(100, 0, clock)
	paced := PacedEmail(mock, p)
	if paced.Name() != "mock" {
		t.Fatalf("name %q", paced.Name())
	}
	_, err := paced.SendEmail(context.Background(), campaignMail("k", "ratelimit@example.test"))
	var pe *Error
	if !errors.As(err, &pe) || pe.RetryAfter != MockRetryAfter {
		t.Fatalf("first send: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := paced.SendEmail(context.Background(), campaignMail("k", "ratelimit@example.test"))
		done <- err
	}()
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 1 }, "the retry waits")
	if at := clock.Deadlines()[0]; !at.Equal(pacerStart.Add(MockRetryAfter)) {
		t.Fatalf("retry at %s, want the Retry-After", at.Sub(pacerStart))
	}
	clock.AdvanceTo(pacerStart.Add(MockRetryAfter))
	if err := <-done; err != nil {
		t.Fatalf("retry after the hold: %v", err)
	}
	// A permanent refusal does not hold the account.
	clock.AdvanceTo(clock.Now().Add(time.Second)) // past the retry's slot: the next send goes at once
	_, _ = paced.SendEmail(context.Background(), campaignMail("r", "reject@example.test"))
	sms := PacedSMS(NewMockSMS(clock.Now), p)
	go func() {
		_, err := sms.SendSMS(context.Background(), SMSMessage{Key: "s", To: "+12125550100", From: "+12125550199", Body: "hi"})
		done <- err
	}()
	testkit.Eventually(t, 5*time.Second, func() bool { return clock.Waiting() == 1 }, "the sms waits its slot")
	if at := clock.Deadlines()[0]; at.Sub(clock.Now()) > 20*time.Millisecond {
		t.Fatalf("after a permanent refusal the next slot is %s away", at.Sub(clock.Now()))
	}
	clock.AdvanceTo(clock.Deadlines()[0])
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
