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

// smtpCampaign is an email campaign of n targets set up over the real
// SMTP adapter to a counting sink in its own process.
type smtpCampaign struct {
	s        *Stack
	sink     *proc
	smtpAddr string
	ctl      string
	token    string
	id       string
	n        int
}

// startSink runs the counting SMTP sink (tools/smtpsink) as a process.
func startSink(t *testing.T) (p *proc, smtpAddr, ctl string) {
	t.Helper()
	bins := binaries(t, repoRoot(t))
	smtpPort, ctlPort := freePort(t), freePort(t)
	smtpAddr, ctl = "127.0.0.1:"+strconv.Itoa(smtpPort), "http://127.0.0.1:"+strconv.Itoa(ctlPort)
	p = &proc{name: "smtpsink", bin: filepath.Join(bins, "smtpsink"), log: filepath.Join(t.TempDir(), "smtpsink.log"),
		args: []string{"serve", "-addr", smtpAddr, "-http", "127.0.0.1:" + strconv.Itoa(ctlPort)}}
	p.start(t)
	t.Cleanup(p.stop)
	testkit.Eventually(t, 20*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", smtpAddr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, func() string { return "the sink never listened:\n" + p.tail() })
	return p, smtpAddr, ctl
}

// newSMTPCampaign starts the sink and a stack whose outreach sends email
// through the SMTP adapter to it, and prepares (not launches) a campaign
// of n consenting targets.
func newSMTPCampaign(t *testing.T, n int) *smtpCampaign {
	t.Helper()
	sink, smtpAddr, ctl := startSink(t)
	host, port, _ := net.SplitHostPort(smtpAddr)
	s := startStackWith(t, stackOptions{
		services: []string{"identity", "outreach"},
		serviceEnv: map[string][]string{"outreach": {"EMAIL_PROVIDER=smtp", "SMTP_HOST=" + host, "SMTP_PORT=" + port,
			"SMTP_TLS=none", "SMTP_POOL_SIZE=4", "SMTP_MESSAGE_ID_DOMAIN=outreach.e2e",
			// The adapter sends only https unsubscribe links (RFC 8058).
			"PUBLIC_BASE_URL=https://app.example.test"}},
	})
	api := s.API()
	admin := newOrg(t, s, "SMTPCampaign")
	token := admin.Pair.AccessToken
	org := tokenOrg(t, token)
	expectStatus(t, do(t, http.MethodPut, api+"/outreach/settings", token, map[string]any{"sender_name": "Crash Realty",
		"sender_email": "agent@crash.example", "postal_address": "1 Crash Court, Gloucester", "time_zone": "America/New_York"}),
		http.StatusOK, "settings")
	// The audience, straight into outreach's read model (its consumer is
	// tested elsewhere): consenting leads tagged for this campaign.
	if _, err := s.DB.Pool(t, "").Exec(context.Background(), `WITH n AS (SELECT i, gen_random_uuid() AS contact, gen_random_uuid() AS lead FROM generate_series(1, $2) i),
c AS (INSERT INTO outreach.audience_contacts (org_id, contact_id, first_name, last_name, email, updated_at)
      SELECT $1, contact, 'Pat', 'Lee' || i, 'smtp' || i || '@example.com', now() FROM n RETURNING contact_id),
l AS (INSERT INTO outreach.audience_leads (org_id, lead_id, contact_id, status, tags, updated_at)
      SELECT $1, lead, contact, 'new', '{smtp}', now() FROM n)
INSERT INTO outreach.consent_log (id, org_id, channel, address, action, source, proof, occurred_at, recorded_at)
SELECT gen_random_uuid(), $1, 'email', 'smtp' || i || '@example.com', 'granted', 'import', 'e2e', now(), now() FROM n`, org, n); err != nil {
		t.Fatal(err)
	}
	r := do(t, http.MethodPost, api+"/templates/email", token, map[string]any{"name": "SMTP", "subject": "Hello {{ .contact.first_name }}",
		"html": `<p>Hi {{ .contact.first_name }}</p><p>{{ .org.postal_address }} <a href="{{ .unsubscribe_url }}">Unsubscribe</a></p>`})
	expectStatus(t, r, http.StatusCreated, "template")
	var tpl struct{ ID string }
	r.json(t, &tpl)
	r = do(t, http.MethodPost, api+"/campaigns", token, map[string]any{"name": "SMTP campaign",
		"steps": []map[string]any{{"channel": "email", "template_id": tpl.ID, "delay_seconds": 0}}})
	expectStatus(t, r, http.StatusCreated, "campaign")
	var c struct{ ID string }
	r.json(t, &c)
	expectStatus(t, do(t, http.MethodPost, api+"/campaigns/"+c.ID+"/targets", token, map[string]any{"filter": map[string]any{"tags": []string{"smtp"}}}),
		http.StatusOK, "targets")
	return &smtpCampaign{s: s, sink: sink, smtpAddr: smtpAddr, ctl: ctl, token: token, id: c.ID, n: n}
}

func (c *smtpCampaign) stats(t *testing.T) sinkStats {
	t.Helper()
	var st sinkStats
	r := do(t, http.MethodGet, c.ctl+"/stats", "", nil)
	if r.Status == http.StatusOK {
		r.json(t, &st)
	}
	return st
}

func (c *smtpCampaign) launch(t *testing.T) {
	t.Helper()
	expectStatus(t, do(t, http.MethodPost, c.s.API()+"/campaigns/"+c.id+"/launch", c.token, nil), http.StatusOK, "launch")
}

// waitCompleted waits until the campaign is completed.
func (c *smtpCampaign) waitCompleted(t *testing.T, within time.Duration) {
	t.Helper()
	testkit.Eventually(t, within, func() bool {
		r := do(t, http.MethodGet, c.s.API()+"/campaigns/"+c.id, c.token, nil)
		var cur struct{ Status string }
		if r.Status == http.StatusOK {
			r.json(t, &cur)
		}
		return cur.Status == "completed"
	}, func() string { return "the campaign completes:\n" + c.s.Services["outreach"].tail() })
}

// outcomes counts the campaign's attempts: sent, unknown and the rest.
func (c *smtpCampaign) outcomes(t *testing.T) (sent, unknown, other int) {
	t.Helper()
	if err := c.s.DB.Pool(t, "").QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'unknown'),
		count(*) FILTER (WHERE status NOT IN ('sent', 'unknown')) FROM outreach.outreach_attempts WHERE campaign_id = $1`, c.id).
		Scan(&sent, &unknown, &other); err != nil {
		t.Fatal(err)
	}
	return sent, unknown, other
}

// TestCampaignSurvivesAKilledWorker: an email campaign of 8,000 targets is
// sending through the real SMTP adapter to a counting sink (its own
// process) when the outreach process is killed with SIGKILL. Restarted, it
// resumes from where it stopped: the campaign completes, no message
// reached the sink twice, every attempt recorded sent is in the sink, and
// those whose answers were not recorded at the kill (a few per step
// chain) are unknown (SMTP cannot be asked again: at most once), never resent.
func TestCampaignSurvivesAKilledWorker(t *testing.T) {
	began := time.Now()
	c := newSMTPCampaign(t, campaignCrashTargets)
	c.launch(t)
	launched := time.Now()
	// Kill the worker once a good part has gone out, well before the end.
	testkit.Eventually(t, 60*time.Second, func() bool {
		n := c.stats(t).Messages
		if n >= campaignCrashTargets {
			t.Fatalf("the campaign finished (%d messages) before the kill", n)
		}
		return n >= campaignCrashTargets/8
	}, func() string { return "the campaign is sending:\n" + c.s.Services["outreach"].tail() })
	outreach := c.s.Services["outreach"]
	outreach.kill(t)
	killed := time.Now()
	atKill := c.stats(t).Messages
	sentAtKill, _, _ := c.outcomes(t)

	outreach.start(t)
	waitReady(t, outreach, c.s.URLs["outreach"]+"/readyz")
	restarted := time.Now()
	c.waitCompleted(t, 2*time.Minute)
	finished := time.Now()

	sent, unknown, other := c.outcomes(t)
	st := c.stats(t)
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
	// At most the chunk each step chain (3) had marked sending (25) at the
	// kill is unknown.
	if unknown > 3*25 {
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
