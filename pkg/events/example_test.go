package events_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
)

// A service enqueues its events in the transaction of the change, runs one
// relay for its outbox and a consumer for the topics it listens to. (Compiled,
// not run: it needs a database and a broker.)
func Example() {
	ctx := context.Background()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	var pool *pgxpool.Pool // postgres.Open(ctx, postgres.Config{URL: ..., Role: "crm_app"})
	brokers := []string{"127.0.0.1:19092"}
	orgID := "0190f3c2-7d1e-7a4b-9c3e-2f6a8b9c0d1e"

	// At start, after the service's own migrations:
	_ = postgres.Migrate(ctx, "postgres://...", "crm", "events_schema_migrations", events.Migrations)

	// In a use case: the change and its event commit together.
	outbox := events.NewOutbox("crm")
	_ = postgres.InOrgTx(ctx, pool, orgID, func(tx pgx.Tx) error {
		// ... INSERT the lead ...
		ev, err := events.New("reos.crm", "reos.crm.lead.created", "lead-1", orgID, map[string]string{"lead_id": "lead-1"})
		if err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, events.Topic("crm"), "lead-1", ev)
	})

	// In main, next to the HTTP server:
	relay, _ := events.NewRelay(events.RelayConfig{Pool: pool, Schema: "crm", Brokers: brokers, Logger: logger})
	consumer, _ := events.NewConsumer(events.ConsumerConfig{
		Pool: pool, Schema: "crm", Brokers: brokers, Logger: logger,
		GroupID: "crm", Topics: []string{events.Topic("identity")},
		Handler: func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
			switch ev.Type {
			case "reos.identity.user.registered":
				// ... update the local read model through tx ...
			}
			return nil // types this service does not use are ignored
		},
	})
	go func() { _ = relay.Run(ctx) }()
	go func() { _ = consumer.Run(ctx) }()
}
