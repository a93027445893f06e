package testkit

import (
	"context"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/postgres"
)

// DefaultPostgresURL is the superuser URL used when REOS_TEST_PG_URL is unset.
const DefaultPostgresURL = "postgres://reos:reos@127.0.0.1:5432/postgres?sslmode=disable" // #nosec G101 -- the local dev cluster's documented credentials

// testPoolMaxConns keeps each test's pools small: many test databases share
// one server whose max_connections is 100.
const testPoolMaxConns = 4

// migrateLock serialises Database.Migrate across every test process. Roles
// are cluster-wide, so two test databases applying the same migration's
// CREATE ROLE at once can collide even when it checks pg_roles first.
// Advisory locks are per database, hence it is taken in the maintenance one.
const migrateLock int64 = 0x7265_6f73_5f6d_6967 // "reos_mig"

// infraTimeout bounds every setup and cleanup step against the local stack.
const infraTimeout = 30 * time.Second

// Database is a PostgreSQL database created for one test and dropped when
// it ends.
type Database struct {
	// Name is the database name, reos_t_<random>.
	Name string
	// URL connects to the database as the superuser.
	URL string

	adminURL string
	mu       sync.Mutex
	pools    []*pgxpool.Pool
}

// NewDatabase creates an empty database named reos_t_<random> as the
// superuser from REOS_TEST_PG_URL (default DefaultPostgresURL) and drops it,
// with FORCE, when the test ends, after closing the pools it handed out.
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	adminURL := os.Getenv("REOS_TEST_PG_URL")
	if adminURL == "" {
		adminURL = DefaultPostgresURL
	}
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("testkit: REOS_TEST_PG_URL must be a postgres:// URL")
	}

	name := "reos_t_" + randomSuffix()
	ctx, cancel := context.WithTimeout(context.Background(), infraTimeout)
	defer cancel()
	conn := adminConn(ctx, t, adminURL)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testkit: create database %s: %v", name, err)
	}

	dbURL := *u
	dbURL.Path = "/" + name
	db := &Database{Name: name, URL: dbURL.String(), adminURL: adminURL}
	t.Cleanup(func() { db.drop(t) })
	return db
}

// adminConn connects to the maintenance database or fails the test with a
// message that says how to get PostgreSQL running.
func adminConn(ctx context.Context, t testing.TB, adminURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("testkit: PostgreSQL not reachable at %s: %v: run `make test`, which starts it", redact(adminURL), err)
	}
	return conn
}

// Migrate applies fsys to schema with its version in schema.table, as the
// superuser, and fails the test on error.
func (db *Database) Migrate(t testing.TB, schema, table string, fsys fs.FS) {
	t.Helper()
	db.migrateLocked(t, schema, func(ctx context.Context) error {
		return postgres.Migrate(ctx, db.URL, schema, table, fsys)
	})
}

// migrateLocked runs migrate holding the cluster-wide migration lock (roles
// are cluster-wide, so two databases must not create them at once).
func (db *Database) migrateLocked(t testing.TB, schema string, migrate func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lock := adminConn(ctx, t, db.adminURL)
	defer lock.Close(context.Background())
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
		t.Fatalf("testkit: take migration lock: %v", err)
	}
	// Closing the session releases the lock, even if the migration fails.
	if err := migrate(ctx); err != nil {
		t.Fatalf("testkit: migrate %s in %s: %v", schema, db.Name, err)
	}
}

// Pool opens a small pool on the database that assumes role on every
// connection ("" stays the superuser). It is closed when t ends, and in any
// case before the database is dropped.
func (db *Database) Pool(t testing.TB, role string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), infraTimeout)
	defer cancel()
	pool, err := postgres.Open(ctx, postgres.Config{URL: db.URL, Role: role, MaxConns: testPoolMaxConns})
	if err != nil {
		t.Fatalf("testkit: open pool on %s as role %q: %v", db.Name, role, err)
	}
	db.mu.Lock()
	db.pools = append(db.pools, pool)
	db.mu.Unlock()
	t.Cleanup(func() { closePool(t, db.Name, pool) })
	return pool
}

// poolCloseWait is how long cleanup waits for a pool's connections to be
// released before reporting a leak and dropping the database regardless.
const poolCloseWait = 5 * time.Second

// closePool closes pool without hanging the test binary: pgxpool.Close waits
// for every acquired connection, so an unclosed Rows or a held Conn would
// otherwise block cleanup forever. DROP DATABASE WITH (FORCE) then ends the
// leaked backends.
func closePool(t testing.TB, dbName string, pool *pgxpool.Pool) {
	closed := make(chan struct{})
	go func() {
		pool.Close() // idempotent
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(poolCloseWait):
		t.Errorf("testkit: pool on %s still has %d acquired connections after the test: close every Rows and release every Conn", dbName, pool.Stat().AcquiredConns())
	}
}

func (db *Database) drop(t testing.TB) {
	db.mu.Lock()
	pools := db.pools
	db.pools = nil
	db.mu.Unlock()
	for _, p := range pools {
		closePool(t, db.Name, p)
	}

	ctx, cancel := context.WithTimeout(context.Background(), infraTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, db.adminURL)
	if err != nil {
		t.Errorf("testkit: drop database %s: %v", db.Name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db.Name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("testkit: drop database %s: %v", db.Name, err)
	}
}

func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// MigrateSchema applies every source of schema in order, as Migrate does for one.
func (db *Database) MigrateSchema(t testing.TB, schema postgres.Schema) {
	t.Helper()
	for _, src := range schema.Sources {
		if src.Migrator != nil {
			db.migrateLocked(t, schema.Name, func(ctx context.Context) error {
				return src.Migrator.Up(ctx, db.URL, schema.Name)
			})
			continue
		}
		db.Migrate(t, schema.Name, src.Table, src.FS)
	}
}

// MigrateSchemaAsOwner applies schema as production does: as a login role
// that owns the database but is not a superuser (made for this test, with
// CREATEROLE for the service roles, and dropped at the end). FORCE ROW LEVEL
// SECURITY binds such an owner, so SECURITY DEFINER functions that read
// across tenants work only through the policies the migrations give the
// owner; MigrateSchema, as the superuser, bypasses them and would hide a
// missing one.
func (db *Database) MigrateSchemaAsOwner(t testing.TB, schema postgres.Schema) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), infraTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatalf("testkit: connect to %s: %v", db.Name, err)
	}
	defer conn.Close(context.Background())
	role := pgx.Identifier{db.Name + "_owner"}.Sanitize()
	for _, sql := range []string{
		"CREATE ROLE " + role + " LOGIN CREATEROLE PASSWORD 'owner'",
		"ALTER DATABASE " + pgx.Identifier{db.Name}.Sanitize() + " OWNER TO " + role,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("testkit: %s: %v", sql, err)
		}
	}
	// Registered after the database's own cleanup, so it runs first: the
	// role hands what it owns (the database included) back to the
	// superuser and goes.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), infraTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, db.URL)
		if err != nil {
			t.Errorf("testkit: drop owner of %s: %v", db.Name, err)
			return
		}
		defer conn.Close(context.Background())
		for _, sql := range []string{"REASSIGN OWNED BY " + role + " TO CURRENT_USER", "DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Errorf("testkit: %s: %v", sql, err)
			}
		}
	})
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatalf("testkit: database URL: %v", err)
	}
	u.User = url.UserPassword(db.Name+"_owner", "owner")
	db.migrateLocked(t, schema.Name, func(ctx context.Context) error { return schema.Migrate(ctx, u.String()) })
}
