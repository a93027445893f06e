package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultMaxConns is the pool size used when neither Config.MaxConns nor the
// URL's pool_max_conns says otherwise.
const DefaultMaxConns int32 = 10

// Config describes how to open a pool.
type Config struct {
	// URL is a libpq connection string or postgres:// URL.
	URL string
	// Role, when set, is assumed with SET ROLE on every new connection, so a
	// service can log in as the owner in development yet run as a role that
	// owns no table and is therefore subject to FORCE ROW LEVEL SECURITY.
	Role string
	// MaxConns caps the pool; 0 means pool_max_conns from URL, else DefaultMaxConns.
	MaxConns int32
}

func (c Config) validate() error {
	var errs []error
	if strings.TrimSpace(c.URL) == "" {
		errs = append(errs, errors.New("URL is empty"))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("MaxConns is %d, want >= 0", c.MaxConns))
	}
	return errors.Join(errs...)
}

// Open parses cfg, opens a pool and pings the database so that a bad URL,
// password or role fails at start rather than on the first request.
func Open(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("postgres: invalid config: %w", err)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// The parse error may quote the URL, password included; keep it out.
		return nil, errors.New("postgres: cannot parse database URL")
	}
	switch {
	case cfg.MaxConns > 0:
		pcfg.MaxConns = cfg.MaxConns
	case !strings.Contains(cfg.URL, "pool_max_conns"):
		pcfg.MaxConns = DefaultMaxConns
	}
	if cfg.Role != "" {
		setRole := "SET ROLE " + pgx.Identifier{cfg.Role}.Sanitize()
		pcfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			if _, err := conn.Exec(ctx, setRole); err != nil {
				return fmt.Errorf("postgres: set role %q: %w", cfg.Role, err)
			}
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping %s:%d/%s: %w", pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, pcfg.ConnConfig.Database, err)
	}
	return pool, nil
}
