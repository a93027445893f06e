package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// The edge stack's limits: the production login limit, and a per-IP limit
// small enough that the bad-token scenario reaches it quickly.
const (
	edgeAuthLimitN = 20
	edgeIPLimitN   = 80
)

// TestEdgeSecurity drives what nginx and the gateway do at the edge of the
// system (issue 9: defects 5, 6, 9, 10, 11) through a stack of its own —
// identity, the gateway and nginx — because its scenarios use up the
// limits of the one client address every e2e request comes from (loopback)
// and end by stopping the gateway. They run in order; each one's limit use
// is accounted for by the next.
func TestEdgeSecurity(t *testing.T) {
	s := startStackWith(t, stackOptions{
		services: []string{"identity"},
		gatewayEnv: []string{
			fmt.Sprintf("RATE_LIMIT_AUTH=%d/60s", edgeAuthLimitN),
			fmt.Sprintf("RATE_LIMIT_IP=%d/60s", edgeIPLimitN),
		},
	})
	email := strings.ToLower(testkit.UniqueName(t, "edge")) + "@example.test"
	const password = "correct horse battery staple"
	r := do(t, http.MethodPost, s.API()+"/auth/register", "", map[string]string{
		"email": email, "password": password, "full_name": "Edge Admin", "organization_name": "Edge Realty",
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("register = %d %s", r.Status, r.Body)
	}
	// Credential requests so far: 1 of edgeAuthLimitN.

	t.Run("spoofed X-Forwarded-For neither escapes the login limit nor reaches identity's records", func(t *testing.T) {
		// Every login claims another client address; nginx is the edge and
		// sets X-Forwarded-For from the peer, so all of them are loopback.
		agent := "edge-spoof-" + testkit.UniqueName(t, "ua")
		refused := 0
		for i := range edgeAuthLimitN + 5 {
			r := do(t, http.MethodPost, s.API()+"/auth/login", "",
				map[string]string{"email": "nobody-" + email, "password": "wrong-password-123"},
				"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1), "X-Real-IP", fmt.Sprintf("198.51.100.%d", i+1),
				"User-Agent", agent)
			if r.Status == http.StatusTooManyRequests {
				refused++
				assertSecurityHeaders(t, "429", r)
			}
		}
		if refused == 0 {
			t.Errorf("%d logins claiming %d different addresses: no 429", edgeAuthLimitN+5, edgeAuthLimitN+5)
		}
		rows, err := s.DB.Pool(t, "").Query(t.Context(),
			`SELECT DISTINCT coalesce(host(ip), 'none') FROM identity.login_attempts WHERE user_agent = $1`, agent)
		if err != nil {
			t.Fatal(err)
		}
		var ips []string
		for rows.Next() {
			var ip string
			if err := rows.Scan(&ip); err != nil {
				t.Fatal(err)
			}
			ips = append(ips, ip)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(ips) != 1 || ips[0] != "127.0.0.1" {
			t.Fatalf("identity recorded the login attempts from %v, want only the real peer 127.0.0.1", ips)
		}
	})
}
