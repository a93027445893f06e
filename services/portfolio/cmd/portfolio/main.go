// Command portfolio runs the portfolio service.
//
//	portfolio [serve]        serve HTTP (refuses to start while migrations are pending), with
//	                         the outbox relay, the consumer of reos.property.events that feeds
//	                         the property read model (known properties and their valuations;
//	                         group PROPERTY_EVENTS_GROUP, default portfolio-property-read-model)
//	                         and the job queue (reconciliations of large portfolios)
//	portfolio migrate up     apply portfolio's, the outbox's and River's migrations (as the owner)
//	portfolio migrate status print the schema versions
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"time"

	"reos.dev/pkg/service"
	"reos.dev/pkg/svcclient"
	"reos.dev/services/portfolio"
	"reos.dev/services/portfolio/internal/adapters/property"
	"reos.dev/services/portfolio/internal/server"
)

func main() { service.Main(spec()) }

func spec() service.Spec[Config] {
	return service.Spec[Config]{
		Name:         server.ServiceName,
		DefaultAddr:  "127.0.0.1:8105",
		Database:     portfolio.Root.Database(),
		Outbox:       true,
		LoadConfig:   loadConfig,
		Build:        build,
		WriteTimeout: 30 * time.Second,
	}
}

func build(_ context.Context, rt service.Runtime[Config]) (service.App, error) {
	client, err := svcclient.New(svcclient.Config{Target: "property", BaseURL: rt.Config.PropertyURL, Logger: rt.Logger,
		Timeout: rt.Config.PropertyTimeout})
	if err != nil {
		return service.App{}, err
	}
	props, err := property.New(client)
	if err != nil {
		return service.App{}, err
	}
	srv, err := server.New(server.Options{
		Pool: rt.Pool, Verifier: rt.Verifier(), Logger: rt.Logger, Property: props, App: rt.Config.App, Jobs: rt.Config.Jobs,
		Metrics: rt.Metrics, Health: rt.Health,
	})
	if err != nil {
		return service.App{}, err
	}
	app := service.App{Handler: srv.Handler}
	if rt.Serving {
		consumer, err := server.NewPropertyConsumer(server.ConsumerOptions{
			Pool: rt.Pool, Brokers: rt.Common.KafkaBrokers, Logger: rt.Logger, GroupID: rt.Config.PropertyEventsGroup,
		})
		if err != nil {
			return service.App{}, err
		}
		app.Workers = []service.Worker{
			{Name: "property-read-model", Run: consumer.Run},
			{Name: "jobs", Run: srv.Queue.Run},
		}
	}
	return app, nil
}
