// Command platform runs the platform service.
//
//	platform [serve]        serve HTTP (refuses to start while migrations are pending)
//	                        with the outbox relay, the job queue (webhook deliveries) and
//	                        one consumer per domain topic (reos.{property,crm,outreach,portfolio}.events)
//	                        that makes the webhook messages (groups WEBHOOK_EVENTS_GROUP-<context>)
//	platform migrate up     apply platform's, the outbox's and River's migrations (as the owner)
//	platform migrate status print the schema versions
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
	"reos.dev/services/platform"
	"reos.dev/services/platform/internal/server"
)

func main() { service.Main(spec()) }

func spec() service.Spec[Config] {
	return service.Spec[Config]{
		Name:         server.ServiceName,
		DefaultAddr:  "127.0.0.1:8106",
		Database:     platform.Root.Database(),
		Outbox:       true,
		LoadConfig:   loadConfig,
		Build:        build,
		WriteTimeout: 30 * time.Second,
	}
}

func build(_ context.Context, rt service.Runtime[Config]) (service.App, error) {
	srv, err := server.New(server.Options{
		Pool: rt.Pool, Verifier: rt.Verifier(), Logger: rt.Logger,
		JobServices: rt.Config.JobServices, JobsTimeout: rt.Config.JobsTimeout,
		Metrics: rt.Metrics, Health: rt.Health, Jobs: rt.Config.Jobs,
		WebhookAllow: rt.Config.WebhookAllow, WebhookTimeout: rt.Config.WebhookTimeout,
		WebhookAllowHTTP: rt.Common.Mode != config.ModeProduction,
	})
	if err != nil {
		return service.App{}, err
	}
	app := service.App{Handler: srv.Handler}
	if rt.Serving {
		consumers, err := srv.WebhookConsumers(server.ConsumerOptions{
			Brokers: rt.Common.KafkaBrokers, Logger: rt.Logger, GroupPrefix: rt.Config.WebhookGroup,
		})
		if err != nil {
			return service.App{}, err
		}
		for i, c := range consumers {
			app.Workers = append(app.Workers, service.Worker{Name: "webhooks-" + server.WebhookContexts[i], Run: c.Run})
		}
		app.Workers = append(app.Workers, service.Worker{Name: "jobs", Run: srv.Queue.Run})
	}
	return app, nil
}
