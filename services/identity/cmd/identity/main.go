// Command identity runs the identity service.
//
//	identity [serve]        serve HTTP (refuses to start while migrations are pending)
//	identity migrate up     apply identity's and the outbox's migrations (as the schema owner)
//	identity migrate status print the schema versions
//	identity seed           create the demo organisation and users (MODE=mock only; idempotent)
//	identity republish [--org <uuid>]... [--batch-size <n>]
//	                        write snapshot events of the users and teams of the organisations
//	                        (default: all) to the outbox, for read models that missed events
//
// While serving, a retention worker prunes old login attempts, refresh token
// rows and login throttles (RETENTION_INTERVAL; see config.go), and a
// session-sync worker announces recently ended sessions to the verifiers
// again (SESSION_SYNC_INTERVAL).
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
	_ "time/tzdata" // user time zones validate the same on every host

	"reos.dev/pkg/auth"
	"reos.dev/pkg/config"
	"reos.dev/pkg/events"
	"reos.dev/pkg/service"
	"reos.dev/services/identity"
	"reos.dev/services/identity/internal/adapters/token"
	"reos.dev/services/identity/internal/server"
)

func main() { service.Main(spec()) }

func spec() service.Spec[Config] {
	return service.Spec[Config]{
		Name:        server.ServiceName,
		DefaultAddr: "127.0.0.1:8101",
		Database:    identity.Root.Database(),
		Outbox:      true,
		LoadConfig:  loadConfig,
		Build:       build,
		// Covers an argon2id verification under load.
		WriteTimeout: 30 * time.Second,
		Commands: map[string]service.Command[Config]{
			"republish": service.RepublishCommand(func(rt service.Runtime[Config]) (events.Republisher, error) {
				return server.Republisher(rt.Pool)
			}),
		},
	}
}

func build(_ context.Context, rt service.Runtime[Config]) (service.App, error) {
	keys, err := keySet(rt.Common.Mode, rt.Config)
	if err != nil {
		return service.App{}, err
	}
	srv, err := server.New(server.Options{
		Pool: rt.Pool, Keys: keys, Issuer: rt.Common.JWTIssuer, Audience: rt.Common.JWTAudience,
		Mode: rt.Common.Mode, Logger: rt.Logger, Metrics: rt.Metrics, Health: rt.Health,
		AccessTTL: rt.Config.AccessTTL, RefreshTTL: rt.Config.RefreshTTL, Revocations: rt.Revocations,
	})
	if err != nil {
		return service.App{}, err
	}
	app := service.App{
		Handler:  srv.Handler,
		Seed:     seed(rt.Common.Mode, srv),
		LogAttrs: []any{"kid", srv.Tokens.JWKS().Keys[0].Kid},
	}
	if rt.Serving && rt.Config.Retention.Interval > 0 {
		retention, err := server.Retention(rt.Pool, rt.Config.Retention, rt.Logger)
		if err != nil {
			return service.App{}, err
		}
		app.Workers = append(app.Workers, service.Worker{Name: "retention", Run: retention.Run})
	}
	if rt.Serving {
		sync, err := server.SessionSync(rt.Pool, rt.Revocations, rt.Config.AccessTTL, rt.Config.SessionSyncInterval, rt.Logger)
		if err != nil {
			return service.App{}, err
		}
		app.Workers = append(app.Workers, service.Worker{Name: "session-sync", Run: sync.Run})
	}
	return app, nil
}

// keySet loads the signing key (created if missing in mock mode only) and
// the retired public keys still to publish.
func keySet(mode string, cfg Config) (*auth.KeySet, error) {
	key, err := token.LoadSigningKey(cfg.JWTPrivateKeyPath, mode == config.ModeMock)
	if err != nil {
		return nil, err
	}
	signer, err := auth.NewSigner(key, "")
	if err != nil {
		return nil, err
	}
	previous, err := token.LoadPreviousKeys(cfg.JWTPreviousKeysPath)
	if err != nil {
		return nil, err
	}
	return auth.NewKeySet(signer, previous...)
}

func seed(mode string, srv *server.Server) func(context.Context, io.Writer) error {
	return func(ctx context.Context, out io.Writer) error {
		if mode != config.ModeMock {
			return errors.New("seed: the demo data exists only in MODE=mock")
		}
		rep, err := srv.Service.SeedDemo(ctx)
		for _, line := range rep.Lines {
			fmt.Fprintln(out, "seed:", line)
		}
		if err != nil {
			return err
		}
		if !rep.Changed {
			fmt.Fprintln(out, "seed: nothing to do; the demo data is already there")
		}
		return nil
	}
}
