package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"
)

// PingPostgres checks that pool can reach the database. It panics on a nil
// pool, a wiring mistake.
func PingPostgres(pool *pgxpool.Pool) CheckFunc {
	if pool == nil {
		panic("health: PingPostgres: nil pool")
	}
	return func(ctx context.Context) error {
		return pool.Ping(ctx)
	}
}

// PingRedis checks that client can reach Redis. It panics on a nil client.
func PingRedis(client redis.UniversalClient) CheckFunc {
	if client == nil {
		panic("health: PingRedis: nil client")
	}
	return func(ctx context.Context) error {
		return client.Ping(ctx).Err()
	}
}

// DialKafka checks that at least one of brokers accepts a connection and
// answers a metadata request, which proves it speaks the Kafka protocol
// rather than merely listening. Brokers are tried in order.
func DialKafka(brokers []string) CheckFunc {
	addrs := append([]string(nil), brokers...)
	return func(ctx context.Context) error {
		if len(addrs) == 0 {
			return errors.New("no Kafka brokers configured")
		}
		var errs []error
		for _, addr := range addrs {
			err := kafkaMetadata(ctx, addr)
			if err == nil {
				return nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			if ctx.Err() != nil {
				break
			}
		}
		return errors.Join(errs...)
	}
}

func kafkaMetadata(ctx context.Context, addr string) error {
	conn, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(CheckTimeout)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	brokers, err := conn.Brokers()
	if err != nil {
		return fmt.Errorf("metadata request: %w", err)
	}
	if len(brokers) == 0 {
		return errors.New("metadata response lists no brokers")
	}
	return nil
}
