package testkit

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// DefaultBrokers is the broker list used when REOS_TEST_KAFKA_BROKERS is unset.
const DefaultBrokers = "127.0.0.1:19092"

// Brokers returns the Kafka-protocol broker addresses from
// REOS_TEST_KAFKA_BROKERS (comma separated, default DefaultBrokers) after
// checking that at least one accepts a TCP connection. Tests isolate
// themselves with topic and group names from UniqueName.
func Brokers(t testing.TB) []string {
	t.Helper()
	raw := os.Getenv("REOS_TEST_KAFKA_BROKERS")
	if raw == "" {
		raw = DefaultBrokers
	}
	var brokers []string
	for b := range strings.SplitSeq(raw, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		t.Fatalf("testkit: REOS_TEST_KAFKA_BROKERS names no broker")
	}
	var errs []error
	for _, b := range brokers {
		conn, err := net.DialTimeout("tcp", b, 5*time.Second)
		if err == nil {
			_ = conn.Close()
			return brokers
		}
		errs = append(errs, err)
	}
	t.Fatalf("testkit: Kafka broker not reachable at %s: %v: run `make test`, which starts it", strings.Join(brokers, ","), errors.Join(errs...))
	return nil
}
