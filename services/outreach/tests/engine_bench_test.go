package tests

import (
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/testkit"
	pgstore "reos.dev/services/outreach/internal/adapters/postgres"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain/compliance"
	"reos.dev/services/outreach/internal/server"
)

var benchEngine = app.EngineConfig{BatchSize: envInt("BENCH_BATCH", 50), SendConcurrency: envInt("BENCH_CONC", 8),
	Parallel: envInt("BENCH_PAR", 2)}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// BenchmarkCampaignExecution runs an email campaign of b.N targets
// through the whole engine (claims, the gate with its facts, attempts,
// events, the mock provider) and reports messages a second.
func BenchmarkCampaignExecution(b *testing.B) {
	e := newEnvWith(b, func(o *server.Options) { o.Engine = benchEngine })
	org := newOrg()
	admin := e.user(org, permsAdmin)
	e.settings(admin)
	n := max(b.N, 1000)
	rs := make([]recipient, 0, n)
	for i := range n {
		rs = append(rs, recipient{lead: uuid.NewString(), contact: uuid.NewString(), email: "b" + strconv.Itoa(i) + "@example.com", consent: "granted"})
	}
	e.bulkAudience(org, rs, "bench")
	c := e.campaign(admin, "bench", map[string]any{"channel": "email", "template_id": e.emailTemplate(admin, "Hello").ID, "delay_seconds": 0})
	e.runEngine()
	b.ResetTimer()
	start := time.Now()
	expect(b, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/launch", admin, nil), http.StatusOK, "launch")
	testkit.Eventually(b, 10*time.Minute, func() bool { return e.campaignStatus(c.ID) == "completed" }, "completed")
	b.StopTimer()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "msg/s")
	if len(e.email.Sent()) != n || e.email.Duplicates() != 0 {
		b.Fatalf("%d sent, %d duplicates", len(e.email.Sent()), e.email.Duplicates())
	}
}

// BenchmarkGate is the compliance gate's cost per message with a warm
// read model: the facts of the recipients (unsubscribe list, DNC,
// suppression, latest consent; one query per batch, as a step gathers
// them) and the decision with the recipient's zones. Reported per message
// for a single message and for a step's batch.
func BenchmarkGate(b *testing.B) {
	e := newEnv(b)
	org := newOrg()
	const n = 2000
	rs := make([]recipient, n)
	for i := range rs {
		rs[i] = recipient{lead: uuid.NewString(), contact: uuid.NewString(), email: "g" + strconv.Itoa(i) + "@example.com", consent: "granted"}
	}
	e.bulkAudience(org, rs, "gate")
	for i := 0; i < n; i += 10 { // some on the lists, as in life
		if _, err := e.admin.Exec(b.Context(), `INSERT INTO outreach.unsubscribes (org_id, channel, address, source, created_at) VALUES ($1, 'email', $2, 'api', now())`,
			org, rs[i].email); err != nil {
			b.Fatal(err)
		}
	}
	store, err := pgstore.NewStore(e.pool, "outreach", e.srv.Queue)
	if err != nil {
		b.Fatal(err)
	}
	ny, _ := compliance.LoadZone("America/New_York")
	now := time.Now()
	for _, size := range []int{1, 200} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			blocked := 0
			msgs := 0
			for i := 0; b.Loop(); i++ {
				recs := make([]app.Recipient, size)
				for j := range recs {
					recs[j] = app.Recipient{Channel: compliance.Email, Address: rs[(i*size+j)%n].email}
				}
				err := store.InOrg(b.Context(), org, func(tx app.Tx) error {
					facts, err := tx.Compliance().Facts(b.Context(), recs)
					if err != nil {
						return err
					}
					for _, r := range recs {
						f := facts[r]
						d := compliance.Decide(compliance.Facts{Channel: r.Channel, Address: r.Address, Unsubscribed: f.Unsubscribed, DoNotCall: f.DoNotCall,
							Suppressed: f.Suppressed, Consent: f.Consent, PostalAddress: "1 Main St", Zones: []*time.Location{ny}}, now)
						if d.Outcome == compliance.Block {
							blocked++
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				msgs += size
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(msgs)/1000, "µs/msg")
			if blocked == 0 {
				b.Fatal("the unsubscribed recipients were not blocked")
			}
		})
	}
}
