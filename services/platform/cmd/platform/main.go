// Command platform runs the platform service.
//
//	platform [serve]        serve HTTP (refuses to start while migrations are pending)
//	                        with the outbox relay
//	platform migrate up     apply platform's, the outbox's and River's migrations (as the owner)
//	platform migrate status print the schema versions
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"time"

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
	})
	if err != nil {
		return service.App{}, err
	}
	// No worker yet: platform's queue only serves its (empty) jobs API;
	// River refuses to run without workers.
	return service.App{Handler: srv.Handler}, nil
}
