package testkit

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is used when REOS_TEST_REDIS_URL is unset.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// Redis returns a client for REOS_TEST_REDIS_URL (default DefaultRedisURL)
// and a key prefix of the form "t:<random>:" that belongs to this test.
// When the test ends every key under the prefix is deleted and the client
// closed; the rest of the keyspace is never touched.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	rawURL := os.Getenv("REOS_TEST_REDIS_URL")
	if rawURL == "" {
		rawURL = DefaultRedisURL
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		t.Fatalf("testkit: REOS_TEST_REDIS_URL is not a redis:// URL: %v", err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), infraTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		t.Fatalf("testkit: Redis not reachable at %s: %v: run `make test`, which starts it", redact(rawURL), err)
	}

	prefix := "t:" + randomSuffix() + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), infraTimeout)
		defer cancel()
		if err := deletePrefix(ctx, client, prefix); err != nil {
			t.Errorf("testkit: delete Redis keys %s*: %v", prefix, err)
		}
	})
	return client, prefix
}

// deletePrefix removes the keys under prefix with SCAN, never KEYS, so it
// does not stall a Redis that other tests are using.
func deletePrefix(ctx context.Context, client *redis.Client, prefix string) error {
	iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
	batch := make([]string, 0, 500)
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == cap(batch) {
			if err := client.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return client.Unlink(ctx, batch...).Err()
	}
	return nil
}
