package testkit

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"testing"
)

// randomSuffix returns 12 lowercase hex characters: enough that parallel
// tests and packages never collide, short enough for 63-byte identifiers.
func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24.
	return hex.EncodeToString(b)
}

// UniqueName returns prefix followed by "_" and a random lowercase suffix,
// usable as a Kafka topic, consumer group, PostgreSQL identifier or Redis
// key part.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	if prefix == "" {
		prefix = "t"
	}
	return prefix + "_" + randomSuffix()
}

// Listen returns a listener on a free port of 127.0.0.1 for an in-process
// server, closed when the test ends. Handing over the listener itself,
// rather than a port number, leaves no window for another process to take
// the port.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: listen on 127.0.0.1:0: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}
