package events

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/testkit"
)

// BenchmarkRelayThroughput measures how fast one relay drains a backlog of
// b.N committed events to the broker (enqueueing is not timed). Run with a
// fixed count for a stable figure, e.g. -bench RelayThroughput -benchtime 20000x.
func BenchmarkRelayThroughput(b *testing.B) {
	for _, batch := range []int{DefaultBatchSize, 500} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			db := testkit.NewDatabase(b)
			db.Migrate(b, testSchema, "events_schema_migrations", Migrations)
			pool := db.Pool(b, "")
			topic := uniqueTopic(b)
			out := NewOutbox(testSchema)
			payload := map[string]string{"email": "someone@example.com", "name": "Someone"}
			const perTx = 500
			for i := 0; i < b.N; i += perTx {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for j := i; j < min(i+perTx, b.N); j++ {
						ev, err := New("reos.bench", "reos.bench.user.registered", fmt.Sprint(j), testOrg, payload)
						if err != nil {
							return err
						}
						if err := out.Enqueue(ctx, tx, topic, fmt.Sprintf("user-%d", j%1000), ev); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			relay, err := NewRelay(RelayConfig{
				Pool: pool, Schema: testSchema, Brokers: testkit.Brokers(b), Logger: testLogger(b),
				BatchSize: batch, PollInterval: 10 * time.Millisecond,
			})
			if err != nil {
				b.Fatal(err)
			}

			b.ResetTimer()
			began := time.Now()
			stop := start(b, relay.Run)
			deadline := began.Add(5 * time.Minute)
			for {
				var left int
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM svc.outbox WHERE published_at IS NULL`).Scan(&left); err != nil {
					b.Fatal(err)
				}
				if left == 0 {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d events still unpublished after 5 minutes", left)
				}
				time.Sleep(2 * time.Millisecond)
			}
			elapsed := time.Since(began)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			if err := stop(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
