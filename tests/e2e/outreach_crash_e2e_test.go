package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/testkit"
)

// campaignCrashTargets is the size of the campaign whose worker is killed.
const campaignCrashTargets = 8000

// sinkStats is the counting SMTP sink's GET /stats.
type sinkStats struct {
	Messages   int64 `json:"messages"`
	Duplicates int64 `json:"duplicates"`
}

// TestCampaignSurvivesAKilledWorker: an email campaign of 8,000 targets is
// sending through the real SMTP adapter to a counting sink (its own
// process) when the outreach process is killed with SIGKILL. Restarted, it
// resumes from where it stopped: the campaign completes, no message
// reached the sink twice, every attempt recorded sent is in the sink, and
// the few that were with the SMTP server at the kill are unknown (SMTP
// cannot be asked again: at most once), never resent.
func TestCampaignSurvivesAKilledWorker(t *testing.T) {
	began := time.Now()
	root := repoRoot(t)
	bins := binaries(t, root)
	smtpPort, ctlPort := freePort(t), freePort(t)
	sink := &proc{name: "smtpsink", bin: filepath.Join(bins, "smtpsink"), log: filepath.Join(t.TempDir(), "smtpsink.log"),
		args: []string{"serve", "-addr", "127.0.0.1:" + strconv.Itoa(smtpPort), "-http", "127.0.0.1:" + strconv.Itoa(ctlPort)}}
	sink.start(t)
	t.Cleanup(sink.stop)
	stats := func() sinkStats {
		var st sinkStats
		r := do(t, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(ctlPort)+"/stats", "", nil)
		if r.Status == http.StatusOK {
			r.json(t, &st)
		}
		return st
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(smtpPort), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, func() string { return "the sink never listened:\n" + sink.tail() })

	s := startStackWith(t, stackOptions{
		services: []string{"identity", "outreach"},
		serviceEnv: map[string][]string{"outreach": {"EMAIL_PROVIDER=smtp", "SMTP_HOST=127.0.0.1", "SMTP_PORT=" + strconv.Itoa(smtpPort),
			"SMTP_TLS=none", "SMTP_POOL_SIZE=4", "SMTP_MESSAGE_ID_DOMAIN=outreach.e2e",
			// The adapter sends only https unsubscribe links (RFC 8058).
			"PUBLIC_BASE_URL=https://app.example.test"}},
	})
	api := s.API()
	admin := newOrg(t, s, "CrashCampaign")
	token := admin.Pair.AccessToken
	org := tokenOrg(t, token)
	expectStatus(t, do(t, http.MethodPut, api+"/outreach/settings", token, map[string]any{"sender_name": "Crash Realty",
		"sender_email": "agent@crash.example", "postal_address": "1 Crash Court, Gloucester", "time_zone": "America/New_York"}),
		http.StatusOK, "settings")

	// The audience, straight into outreach's read model (its consumer is
	// tested elsewhere): consenting leads tagged for this campaign.
	ctx := context.Background()
	db := s.DB.Pool(t, "")
	if _, err := db.Exec(ctx, `WITH n AS (SELECT i, gen_random_uuid() AS contact, gen_random_uuid() AS lead FROM generate_series(1, $2) i),
c AS (INSERT INTO outreach.audience_contacts (org_id, contact_id, first_name, last_name, email, updated_at)
      SELECT $1, contact, 'Pat', 'Lee' || i, 'crash' || i || '@example.com', now() FROM n RETURNING contact_id),
l AS (INSERT INTO outreach.audience_leads (org_id, lead_id, contact_id, status, tags, updated_at)
      SELECT $1, lead, contact, 'new', '{crash}', now() FROM n)
INSERT INTO outreach.consent_log (id, org_id, channel, address, action, source, proof, occurred_at, recorded_at)
SELECT gen_random_uuid(), $1, 'email', 'crash' || i || '@example.com', 'granted', 'import', 'e2e', now(), now() FROM n`,
		org, campaignCrashTargets); err != nil {
		t.Fatal(err)
	}
	r := do(t, http.MethodPost, api+"/templates/email", token, map[string]any{"name": "Crash", "subject": "Hello {{ .contact.first_name }}",
		"html": `<p>Hi {{ .contact.first_name }}</p><p>{{ .org.postal_address }} <a href="{{ .unsubscribe_url }}">Unsubscribe</a></p>`})
	expectStatus(t, r, http.StatusCreated, "template")
	var tpl struct{ ID string }
	r.json(t, &tpl)
	r = do(t, http.MethodPost, api+"/campaigns", token, map[string]any{"name": "Crash campaign",
		"steps": []map[string]any{{"channel": "email", "template_id": tpl.ID, "delay_seconds": 0}}})
	expectStatus(t, r, http.StatusCreated, "campaign")
	var c struct{ ID, Status string }
	r.json(t, &c)
	expectStatus(t, do(t, http.MethodPost, api+"/campaigns/"+c.ID+"/targets", token, map[string]any{"filter": map[string]any{"tags": []string{"crash"}}}),
		http.StatusOK, "targets")
	expectStatus(t, do(t, http.MethodPost, api+"/campaigns/"+c.ID+"/launch", token, nil), http.StatusOK, "launch")
	launched := time.Now()

	// Kill the worker once a good part has gone out, well before the end.
	testkit.Eventually(t, 60*time.Second, func() bool {
		n := stats().Messages
		if n >= campaignCrashTargets {
			t.Fatalf("the campaign finished (%d messages) before the kill", n)
		}
		return n >= campaignCrashTargets/8
	}, func() string {
		rows, _ := db.Query(ctx, `SELECT status || ':' || coalesce(reason, '') || ':' || coalesce(detail, ''), count(*) FROM outreach.outreach_attempts GROUP BY 1`)
		var b strings.Builder
		for rows != nil && rows.Next() {
			var k string
			var n int
			_ = rows.Scan(&k, &n)
			fmt.Fprintf(&b, "%s=%d\n", k, n)
		}
		return fmt.Sprintf("the campaign is sending (sink %+v):\n%s%s", stats(), b.String(), sink.tail())
	})
	outreach := s.Services["outreach"]
	outreach.kill(t)
	killed := time.Now()
	atKill := stats().Messages
	var sentAtKill int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM outreach.outreach_attempts WHERE campaign_id = $1 AND status = 'sent'`, c.ID).Scan(&sentAtKill); err != nil {
		t.Fatal(err)
	}

	outreach.start(t)
	waitReady(t, outreach, s.URLs["outreach"]+"/readyz")
	restarted := time.Now()
	testkit.Eventually(t, 90*time.Second, func() bool {
		r := do(t, http.MethodGet, api+"/campaigns/"+c.ID, token, nil)
		var cur struct{ Status string }
		if r.Status == http.StatusOK {
			r.json(t, &cur)
		}
		return cur.Status == "completed"
	}, func() string { return "the campaign completes after the restart:\n" + outreach.tail() })
	finished := time.Now()

	var sent, unknown, other int
	if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'unknown'),
		count(*) FILTER (WHERE status NOT IN ('sent', 'unknown')) FROM outreach.outreach_attempts WHERE campaign_id = $1`, c.ID).
		Scan(&sent, &unknown, &other); err != nil {
		t.Fatal(err)
	}
	st := stats()
	if sent+unknown != campaignCrashTargets || other != 0 {
		t.Fatalf("attempts: %d sent, %d unknown, %d other; want all %d sent or unknown", sent, unknown, other, campaignCrashTargets)
	}
	if st.Duplicates != 0 {
		t.Fatalf("the sink received %d messages twice", st.Duplicates)
	}
	// Every sent attempt is in the sink; of the unknown ones (with the SMTP
	// server at the kill) some may be too, never twice.
	if st.Messages < int64(sent) || st.Messages > int64(sent+unknown) {
		t.Fatalf("the sink holds %d messages; %d attempts sent, %d unknown", st.Messages, sent, unknown)
	}
	// At most the batches in flight at the kill are unknown.
	if unknown > 200 {
		t.Fatalf("%d attempts unknown after the kill", unknown)
	}
	t.Logf("killed %s after launch with %d messages in the sink (%d attempts recorded sent); restarted %s later; completed %s after the restart; "+
		"%d sent, %d unknown (at most once), sink %d messages, 0 duplicates; the scenario took %s",
		killed.Sub(launched).Round(time.Millisecond), atKill, sentAtKill, restarted.Sub(killed).Round(time.Millisecond),
		finished.Sub(restarted).Round(time.Millisecond), sent, unknown, st.Messages, time.Since(began).Round(time.Millisecond))
}

// tokenOrg reads the organisation from an access token's claims.
func tokenOrg(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		OrgID string `json:"org_id"`
	}
	if err := json.Unmarshal(b, &claims); err != nil || uuid.Validate(claims.OrgID) != nil {
		t.Fatal(fmt.Errorf("token org %q: %v", claims.OrgID, err))
	}
	return claims.OrgID
}
