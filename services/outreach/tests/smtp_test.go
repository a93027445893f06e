package tests

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/testkit"
	"reos.dev/services/outreach/internal/provider"
	"reos.dev/services/outreach/internal/server"
	"reos.dev/tools/smtpsink/sink"
)

// TestSMTPSinkDropsConnectionsMidBatch: a campaign over the real SMTP
// adapter to a sink that drops every connection after its 7th message,
// and once drops one before answering its data (the outcome is lost).
// No message reaches the sink twice, none is lost: every attempt is sent
// and in the sink once, except the one whose outcome was lost, which is
// unknown, in the sink once, and never sent again.
func TestSMTPSinkDropsConnectionsMidBatch(t *testing.T) {
	t.Parallel()
	const n = 60
	lost := "lost@example.com"
	s, err := sink.Start(sink.Options{DropAfter: 7, Data: func(_ string, to []string) error {
		if len(to) == 1 && to[0] == lost {
			return sink.ErrDrop
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	smtp, err := provider.NewSMTP(provider.SMTPConfig{Host: host, Port: p, TLS: provider.TLSNone, PoolSize: 3, Timeout: 5 * time.Second,
		MessageIDDomain: "outreach.test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = smtp.Close() })
	e := newEnvWith(t, func(o *server.Options) { o.Providers.Email, o.Providers.MockEmail = smtp, nil })
	org, admin := e.sendingOrg()
	rs := make([]recipient, n)
	for i := range rs {
		addr := "r" + strconv.Itoa(i) + "@example.com"
		if i == n/2 {
			addr = lost
		}
		rs[i] = recipient{lead: uuid.NewString(), contact: uuid.NewString(), email: addr, consent: "granted"}
	}
	e.seedAudience(org, rs, "smtp")
	c := e.campaign(admin, "smtp", map[string]any{"channel": "email", "template_id": e.emailTemplate(admin, "Hello").ID, "delay_seconds": 0})
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(t, 60*time.Second, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed")

	if got := e.attemptsBy(c.ID); got["sent"] != n-1 || got["unknown:outcome_unknown"] != 1 {
		t.Fatalf("attempts %v", got)
	}
	st := s.Stats()
	if st.Messages != n || st.Duplicates != 0 || st.Dropped < 2 {
		t.Fatalf("sink: %+v; want %d messages, none twice, connections dropped", st, n)
	}
	ids := s.MessageIDs()
	rows, err := e.admin.Query(t.Context(), `SELECT provider_message_id FROM outreach.outreach_attempts WHERE campaign_id = $1 AND status = 'sent'`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		if ids[strings.Trim(id, "<>")] != 1 && ids["<"+strings.Trim(id, "<>")+">"] != 1 {
			t.Fatalf("sent attempt %s is not in the sink once (%d ids there)", id, len(ids))
		}
	}
}
