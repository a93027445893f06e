package tests

import (
	"context"
	"sync"
	"time"

	"reos.dev/services/outreach/internal/provider"
)

// fakeProvider stands in for the mock providers until they land: it
// accepts every message, idempotent by key (a key sent again answers its
// first result and counts as a duplicate), and records everything.
type fakeProvider struct {
	mu         sync.Mutex
	accepted   map[string]int
	to         map[string]string
	duplicates int
	// fail, when set, may refuse a message (a provider error).
	fail func(key, to string) error
}

func newFakeProvider() *fakeProvider {
	return &fakeProvider{accepted: map[string]int{}, to: map[string]string{}}
}

func (f *fakeProvider) Name() string { return "mock" }

func (f *fakeProvider) send(key, to string) (provider.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(key, to); err != nil {
			return provider.Result{}, err
		}
	}
	if f.accepted[key] > 0 {
		f.duplicates++
	}
	f.accepted[key]++
	f.to[key] = to
	return provider.Result{Provider: "mock", ProviderMessageID: "mock-" + key, AcceptedAt: time.Now()}, nil
}

func (f *fakeProvider) SendEmail(_ context.Context, m provider.EmailMessage) (provider.Result, error) {
	return f.send(m.Key, m.To)
}

func (f *fakeProvider) SendSMS(_ context.Context, m provider.SMSMessage) (provider.Result, error) {
	return f.send(m.Key, m.To)
}

// recipients returns each address the provider accepted a message for,
// with how many distinct keys it got.
func (f *fakeProvider) recipients() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, to := range f.to {
		if f.accepted[k] > 0 {
			out[to]++
		}
	}
	return out
}

func (f *fakeProvider) dupes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.duplicates
}
