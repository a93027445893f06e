package e2e

import (
	"fmt"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// eventTimeout bounds a wait for what travels through the outbox, the broker
// and a consumer (a read model catching up, a job finishing).
const eventTimeout = 30 * time.Second

// untilStatus calls call until it answers status, within eventTimeout, and
// returns that answer; the failure names what and the last answer. For an
// effect that arrives by event: until then the call is refused.
func untilStatus(t testing.TB, what string, status int, call func() response) response {
	t.Helper()
	var last response
	testkit.Eventually(t, eventTimeout, func() bool {
		last = call()
		return last.Status == status
	}, func() string { return fmt.Sprintf("%s: still %d %s, want %d", what, last.Status, last.Body, status) })
	return last
}
