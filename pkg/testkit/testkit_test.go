package testkit_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/testkit"
)

// fatalRecorder stands in for a test that is expected to fail: it keeps the
// Fatalf message and stops the goroutine as the real Fatalf would.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// expectFatal runs fn on a fatalRecorder and returns the Fatalf message.
func expectFatal(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.msg == "" {
		t.Fatal("expected the helper to fail the test, it did not")
	}
	return rec.msg
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func superuser(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testkit.DefaultPostgresURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNewDatabaseCreatesAndDrops(t *testing.T) {
	t.Parallel()
	var (
		name string
		pool *pgxpool.Pool
	)
	t.Run("use", func(t *testing.T) {
		db := testkit.NewDatabase(t)
		name = db.Name
		if !strings.HasPrefix(name, "reos_t_") || strings.ToLower(name) != name {
			t.Errorf("Name = %q, want lowercase reos_t_<random>", name)
		}
		db.Migrate(t, "svc", "schema_migrations", fstest.MapFS{
			"1_init.up.sql": {Data: []byte("CREATE TABLE things (id int); INSERT INTO things VALUES (42);")},
		})
		pool = db.Pool(t, "")
		var id int
		if err := pool.QueryRow(t.Context(), "SELECT id FROM svc.things").Scan(&id); err != nil || id != 42 {
			t.Fatalf("read migrated table: %d, %v", id, err)
		}
		// A connection outside testkit's pools, still open at cleanup, must
		// not stop the drop.
		if _, err := pgx.Connect(t.Context(), db.URL); err != nil {
			t.Fatalf("connect: %v", err)
		}
	})
	var exists bool
	if err := superuser(t).QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after the test ended", name)
	}
	if err := pool.Ping(context.Background()); err == nil {
		t.Error("pool still usable after the test ended")
	}
}

func TestNewDatabaseGivesEachTestItsOwn(t *testing.T) {
	t.Parallel()
	a, b := testkit.NewDatabase(t), testkit.NewDatabase(t)
	if a.Name == b.Name || a.URL == b.URL {
		t.Errorf("two databases share a name: %s, %s", a.Name, b.Name)
	}
}

func TestNewDatabaseUnreachable(t *testing.T) {
	t.Setenv("REOS_TEST_PG_URL", "postgres://reos:hunter2@"+closedAddr(t)+"/postgres?sslmode=disable&connect_timeout=2")
	msg := expectFatal(t, func(tb testing.TB) { testkit.NewDatabase(tb) })
	if !strings.Contains(msg, "PostgreSQL not reachable at") || !strings.Contains(msg, "make test") {
		t.Errorf("message = %q, want it to say PostgreSQL is not reachable and how to start it", msg)
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("message leaks the password: %q", msg)
	}
}

func TestPoolSetsRole(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	var user string
	if err := db.Pool(t, "pg_read_all_data").QueryRow(t.Context(), "SELECT current_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != "pg_read_all_data" {
		t.Errorf("current_user = %q, want pg_read_all_data", user)
	}
}

func TestRedisPrefixIsCleanedUp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	other, otherPrefix := testkit.Redis(t)
	outside := otherPrefix + "keep"
	if err := other.Set(ctx, outside, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}

	var prefix string
	t.Run("use", func(t *testing.T) {
		client, p := testkit.Redis(t)
		prefix = p
		if !strings.HasPrefix(p, "t:") || !strings.HasSuffix(p, ":") {
			t.Errorf("prefix = %q, want t:<random>:", p)
		}
		// More than one SCAN batch, to exercise the batching.
		pipe := client.Pipeline()
		for i := range 1200 {
			pipe.Set(ctx, p+"k"+strconv.Itoa(i), i, time.Minute)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	})
	left, err := other.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d keys left under %s after cleanup", len(left), prefix)
	}
	if v, err := other.Get(ctx, outside).Result(); err != nil || v != "v" {
		t.Errorf("key outside the prefix was touched: %q, %v", v, err)
	}
}

func TestRedisUnreachable(t *testing.T) {
	t.Setenv("REOS_TEST_REDIS_URL", "redis://"+closedAddr(t)+"/0")
	msg := expectFatal(t, func(tb testing.TB) { testkit.Redis(tb) })
	if !strings.Contains(msg, "Redis not reachable at") {
		t.Errorf("message = %q", msg)
	}
}

func TestBrokers(t *testing.T) {
	brokers := testkit.Brokers(t)
	if len(brokers) == 0 {
		t.Fatal("no brokers")
	}
	t.Setenv("REOS_TEST_KAFKA_BROKERS", " "+closedAddr(t)+" , "+closedAddr(t))
	msg := expectFatal(t, func(tb testing.TB) { testkit.Brokers(tb) })
	if !strings.Contains(msg, "Kafka broker not reachable at") || !strings.Contains(msg, "make test") {
		t.Errorf("message = %q", msg)
	}
}

func TestUniqueName(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		n := testkit.UniqueName(t, "leads")
		if !strings.HasPrefix(n, "leads_") || seen[n] {
			t.Fatalf("UniqueName = %q (seen before: %t)", n, seen[n])
		}
		seen[n] = true
	}
	if n := testkit.UniqueName(t, ""); !strings.HasPrefix(n, "t_") {
		t.Errorf("UniqueName with no prefix = %q", n)
	}
}

func TestListen(t *testing.T) {
	t.Parallel()
	var addr string
	t.Run("use", func(t *testing.T) {
		ln := testkit.Listen(t)
		addr = ln.Addr().String()
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("addr = %s, want 127.0.0.1", addr)
		}
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conn.Close()
	})
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("listener %s still open after the test", addr)
	}
}
