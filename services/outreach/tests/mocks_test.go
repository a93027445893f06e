package tests

import (
	"testing"

	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/provider"
)

// sentTo counts, per recipient, the distinct messages (keys) a mock
// accepted for it.
func sentTo[M any](m *provider.Mock[M], to func(M) string) map[string]int {
	out := map[string]int{}
	for _, a := range m.Sent() {
		out[to(a.Message)]++
	}
	return out
}

func smsTo(m provider.SMSMessage) string { return m.To }

// testMockSecret is the mock provider's webhook secret in the tests.
const testMockSecret = "whsec_b3V0cmVhY2ggY29tcG9uZW50IHRlc3RzIG1vY2sgc2VjcmV0"

// testWebhooks enables the mock provider's webhook (on the test's clock:
// its signatures are dated by it).
func testWebhooks(t testing.TB) webhooks.Registry {
	t.Helper()
	r, err := webhooks.NewRegistry(webhooks.Config{MockSecret: testMockSecret})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
