// Command crm runs the CRM service.
//
//	crm [serve]        serve HTTP (refuses to start while migrations are pending), with
//	                   the outbox relay, the consumer of reos.property.events that
//	                   feeds the property read model (group PROPERTY_EVENTS_GROUP,
//	                   default crm-property-read-model), the consumer of
//	                   reos.identity.events that feeds the users and teams read model
//	                   (group IDENTITY_EVENTS_GROUP, default crm-identity-read-model),
//	                   the consumer of reos.outreach.events that puts outreach's events on
//	                   the lead timeline (group OUTREACH_EVENTS_GROUP, default
//	                   crm-outreach-timeline) and the job queue (lead rescoring)
//	crm migrate up     apply crm's and the outbox's migrations (as the schema owner)
//	crm migrate status print the schema versions
//	crm seed           create the demo leads of SEED_ORG_ID (MODE=mock only; idempotent;
//	                   a no-op with a message when SEED_ORG_ID is unset)
//	crm republish [--org <uuid>]... [--batch-size <n>]
//	                   write every contact (contact.updated) and lead (lead.updated) of the
//	                   organisations (default: all that have contacts) to the outbox, for
//	                   read models that missed events (outreach's audience)
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"io"
	"time"

	"reos.dev/pkg/events"
	"reos.dev/pkg/service"
	"reos.dev/services/crm"
	"reos.dev/services/crm/internal/server"
)

func main() { service.Main(spec()) }

func spec() service.Spec[Config] {
	return service.Spec[Config]{
		Name:         server.ServiceName,
		DefaultAddr:  "127.0.0.1:8103",
		Database:     crm.Root.Database(),
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
	files, signer, err := rt.Config.Storage.Open(server.ServiceName)
	if err != nil {
		return service.App{}, err
	}
	srv, err := server.New(server.Options{
		Pool: rt.Pool, Verifier: rt.Verifier(), Logger: rt.Logger, DefaultPhoneRegion: rt.Config.DefaultPhoneRegion,
		Metrics: rt.Metrics, Health: rt.Health, Jobs: rt.Config.Jobs,
		Files: files, Signer: signer, Uploads: rt.Config.Uploads,
	})
	if err != nil {
		return service.App{}, err
	}
	app := service.App{Handler: srv.Handler, Seed: seed(rt.Common.Mode, rt.Config.SeedOrgID, srv)}
	if rt.Serving {
		// The property read model that lead property_ids are checked
		// against, fed from reos.property.events.
		consumer, err := server.NewPropertyConsumer(server.ConsumerOptions{
			Pool: rt.Pool, Brokers: rt.Common.KafkaBrokers, Logger: rt.Logger, GroupID: rt.Config.PropertyEventsGroup,
		})
		if err != nil {
			return service.App{}, err
		}
		app.Workers = []service.Worker{{Name: "property-read-model", Run: consumer.Run}}
		// The users and teams read model that assignees and assignment
		// rules are checked against, fed from reos.identity.events; and the
		// job queue (River refuses to start without workers, so only here).
		users, err := server.NewIdentityConsumer(server.ConsumerOptions{
			Pool: rt.Pool, Brokers: rt.Common.KafkaBrokers, Logger: rt.Logger, GroupID: rt.Config.IdentityEventsGroup,
		})
		if err != nil {
			return service.App{}, err
		}
		// Outreach's events (sends, deliveries, opt-outs) on the lead
		// timeline, from reos.outreach.events.
		outreach, err := server.NewOutreachConsumer(server.ConsumerOptions{
			Pool: rt.Pool, Brokers: rt.Common.KafkaBrokers, Logger: rt.Logger, GroupID: rt.Config.OutreachEventsGroup,
		})
		if err != nil {
			return service.App{}, err
		}
		app.Workers = append(app.Workers,
			service.Worker{Name: "identity-read-model", Run: users.Run},
			service.Worker{Name: "outreach-timeline", Run: outreach.Run},
			service.Worker{Name: "jobs", Run: srv.Queue.Run})
	}
	return app, nil
}

// seed fills orgID with the demo leads (service.DemoSeed: SEED_ORG_ID,
// MODE=mock only). The demo leads carry no property_ids: seed runs without
// the property consumer, and the read model of a fresh stack may not have
// caught up yet.
func seed(mode, orgID string, srv *server.Server) func(context.Context, io.Writer) error {
	return service.DemoSeed(mode, orgID, func(ctx context.Context, orgID string) ([]string, bool, error) {
		rep, err := srv.Service.SeedDemo(ctx, orgID)
		return rep.Lines, rep.Changed, err
	})
}
