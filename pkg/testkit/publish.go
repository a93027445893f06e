package testkit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// Publish writes one message to topic as a service's outbox relay would
// (key-hashed partition, acks from all replicas, the topic created on
// first use), with headers in name, value pairs. The topic's first write
// can race its auto-creation: that is retried briefly, nothing else.
func Publish(t testing.TB, brokers []string, topic, key string, value []byte, headers ...string) {
	t.Helper()
	w := &kafka.Writer{
		Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true, BatchTimeout: time.Millisecond,
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	msg := kafka.Message{Key: []byte(key), Value: slices.Clone(value)}
	for i := 0; i+1 < len(headers); i += 2 {
		msg.Headers = append(msg.Headers, kafka.Header{Key: headers[i], Value: []byte(headers[i+1])})
	}
	racing := func(err error) bool {
		return strings.Contains(err.Error(), "Unknown Topic") || strings.Contains(err.Error(), "Leader Not Available")
	}
	var err error
	Eventually(t, 10*time.Second, func() bool {
		err = w.WriteMessages(ctx, msg)
		return err == nil || !racing(err)
	}, func() string { return fmt.Sprintf("publish to %s: %v", topic, err) })
	if err != nil {
		t.Fatalf("publish to %s: %v", topic, err)
	}
}
