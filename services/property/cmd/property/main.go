// Command property runs the property service.
//
//	property [serve]        serve HTTP (refuses to start while migrations are pending), with
//	                        the outbox relay, the consumer of reos.identity.events that feeds
//	                        the users read model (group IDENTITY_EVENTS_GROUP, default
//	                        property-identity-read-model) and the job queue
//	property migrate up     apply property's and the outbox's migrations (as the schema owner)
//	property migrate status print the schema versions
//	property seed           create the 50 demo properties of SEED_ORG_ID (MODE=mock only;
//	                        idempotent; a no-op with a message when SEED_ORG_ID is unset)
//	property republish [--org <uuid>]... [--batch-size <n>]
//	                        write snapshot events of the properties of the organisations
//	                        (default: all that have any) to the outbox, for read models that
//	                        missed events
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/config"
	"reos.dev/pkg/events"
	"reos.dev/pkg/service"
	"reos.dev/services/property"
	"reos.dev/services/property/internal/adapters/market"
	"reos.dev/services/property/internal/server"
)

func main() { service.Main(spec()) }

func spec() service.Spec[Config] {
	return service.Spec[Config]{
		Name:         server.ServiceName,
		DefaultAddr:  "127.0.0.1:8102",
		Database:     property.Root.Database(),
		Outbox:       true,
		LoadConfig:   loadConfig,
		Build:        build,
		WriteTimeout: 30 * time.Second,
		Commands: map[string]service.Command[Config]{
			"republish": service.RepublishCommand(func(rt service.Runtime[Config]) (events.Republisher, error) {
				return server.Republisher(rt.Pool)
			}),
		},
	}
}

func build(_ context.Context, rt service.Runtime[Config]) (service.App, error) {
	if rt.Common.Mode != config.ModeMock {
		return service.App{}, errors.New("property: MODE=production needs a real market data provider for valuations and none exists yet (only MODE=mock's)")
	}
	files, signer, err := rt.Config.Storage.Open(server.ServiceName)
	if err != nil {
		return service.App{}, err
	}
	// Tokens are verified here too (defence in depth), with identity's JWKS.
	srv, err := server.New(server.Options{
		Pool: rt.Pool, Verifier: rt.Verifier(), Logger: rt.Logger, Metrics: rt.Metrics, Health: rt.Health,
		Jobs:   rt.Config.Jobs,
		Market: market.NewMock(rt.Config.Market.Seed, rt.Config.Market.Outages),
		Media:  rt.Config.media(files, signer),
		// Bulk imports keep their files in the same store.
		Imports: rt.Config.Imports,
	})
	if err != nil {
		return service.App{}, err
	}
	app := service.App{Handler: srv.Handler, Seed: seed(rt.Common.Mode, rt.Config.SeedOrgID, srv)}
	if rt.Serving {
		// The users read model that listing agents are checked against,
		// fed from reos.identity.events; and the job queue (valuations),
		// which seed only enqueues to, so it never runs it.
		users, err := server.NewIdentityConsumer(server.ConsumerOptions{
			Pool: rt.Pool, Brokers: rt.Common.KafkaBrokers, Logger: rt.Logger, GroupID: rt.Config.IdentityEventsGroup,
		})
		if err != nil {
			return service.App{}, err
		}
		app.Workers = append(app.Workers,
			service.Worker{Name: "identity-read-model", Run: users.Run},
			service.Worker{Name: "jobs", Run: srv.Queue.Run})
	}
	return app, nil
}

func seed(mode, orgID string, srv *server.Server) func(context.Context, io.Writer) error {
	return func(ctx context.Context, out io.Writer) error {
		if mode != config.ModeMock {
			return errors.New("seed: the demo data exists only in MODE=mock")
		}
		if orgID == "" {
			fmt.Fprintln(out, "seed: SEED_ORG_ID is not set; nothing to do (make up passes the demo org's id)")
			return nil
		}
		if _, err := uuid.Parse(orgID); err != nil {
			return fmt.Errorf("seed: SEED_ORG_ID %q is not a UUID", orgID)
		}
		rep, err := srv.Service.SeedDemo(ctx, orgID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "seed: org %s: %d demo properties created, %d already there\n", orgID, rep.Created, rep.Skipped)
		return nil
	}
}
