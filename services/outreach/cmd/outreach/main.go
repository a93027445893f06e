// Command outreach runs the outreach service.
//
//	outreach [serve]        serve HTTP (refuses to start while migrations are pending),
//	                        with the outbox relay and the consumer of reos.crm.events
//	                        that feeds the audience read model (group CRM_EVENTS_GROUP,
//	                        default outreach-crm-read-model)
//	outreach migrate up     apply outreach's, the outbox's and River's migrations (as the owner)
//	outreach migrate status print the schema versions
//	outreach seed           create the demo templates and a draft campaign of SEED_ORG_ID
//	                        (MODE=mock only; idempotent; a no-op with a message when unset)
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"io"
	"time"

	_ "time/tzdata" // quiet hours and settings need IANA zones on hosts without a zoneinfo database

	"reos.dev/pkg/service"
	"reos.dev/services/outreach"
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
	"reos.dev/services/outreach/internal/server"
)

func main() { service.Main(spec()) }

func spec() service.Spec[Config] {
	return service.Spec[Config]{
		Name:         server.ServiceName,
		DefaultAddr:  "127.0.0.1:8104",
		Database:     outreach.Root.Database(),
		Outbox:       true,
		LoadConfig:   loadConfig,
		Build:        build,
		WriteTimeout: 30 * time.Second,
	}
}

func build(_ context.Context, rt service.Runtime[Config]) (service.App, error) {
	tokens, err := unsubscribe.NewSigner(rt.Config.UnsubscribeSecret)
	if err != nil {
		return service.App{}, err
	}
	providers, err := server.OpenProviders(rt.Config.Providers, nil)
	if err != nil {
		return service.App{}, err
	}
	hooks, err := webhooks.NewRegistry(rt.Config.Webhooks)
	if err != nil {
		return service.App{}, err
	}
	rt.Logger.Info("providers", "email", rt.Config.Providers.Email, "sms", rt.Config.Providers.SMS, "webhooks", rt.Config.Webhooks)
	srv, err := server.New(server.Options{
		Pool: rt.Pool, Verifier: rt.Verifier(), Logger: rt.Logger, Unsubscribe: tokens,
		PublicBaseURL: rt.Config.PublicBaseURL, DefaultTimeZone: rt.Config.DefaultTimeZone,
		Metrics: rt.Metrics, Health: rt.Health, Jobs: rt.Config.Jobs,
		Providers: providers, Webhooks: hooks, Engine: rt.Config.Engine,
	})
	if err != nil {
		return service.App{}, err
	}
	app := service.App{Handler: srv.Handler, Seed: seed(rt.Common.Mode, rt.Config.SeedOrgID, srv)}
	if rt.Serving {
		// The audience read model that campaign targets are checked against
		// and chosen from, fed from reos.crm.events.
		consumer, err := server.NewCRMConsumer(server.ConsumerOptions{
			Pool: rt.Pool, Brokers: rt.Common.KafkaBrokers, Logger: rt.Logger, GroupID: rt.Config.CRMEventsGroup,
		})
		if err != nil {
			return service.App{}, err
		}
		// The send engine: the job queue (campaign steps, keyword
		// answers), the scheduler and, in mock mode, the mocks' events.
		app.Workers = []service.Worker{{Name: "crm-read-model", Run: consumer.Run},
			{Name: "jobs", Run: srv.Queue.Run},
			{Name: "scheduler", Run: srv.Scheduler(rt.Config.SchedulerInterval, rt.Logger)},
			{Name: "mock-providers", Run: providers.RunMocks(time.Second)}}
	}
	return app, nil
}

// seed fills orgID with the demo data (service.DemoSeed: SEED_ORG_ID,
// MODE=mock only).
func seed(mode, orgID string, srv *server.Server) func(context.Context, io.Writer) error {
	return service.DemoSeed(mode, orgID, func(ctx context.Context, orgID string) ([]string, bool, error) {
		rep, err := srv.Service.SeedDemo(ctx, orgID)
		return rep.Lines, rep.Changed, err
	})
}
