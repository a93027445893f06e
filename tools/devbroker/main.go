// Command devbroker runs an in-process Kafka-protocol broker (franz-go's kfake)
// for local development and tests. Compose and Kubernetes use Redpanda instead;
// the services only see a Kafka bootstrap address and cannot tell the difference.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "devbroker:", err)
		os.Exit(1)
	}
}

func run() error {
	port := flag.Int("port", 19092, "TCP port to listen on (127.0.0.1)")
	partitions := flag.Int("partitions", 3, "partitions for auto-created topics")
	pidFile := flag.String("pidfile", "", "write the process id to this file")
	flag.Parse()

	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("component", "devbroker")

	cluster, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
		}),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(*partitions),
	)
	if err != nil {
		return fmt.Errorf("start broker: %w", err)
	}
	defer cluster.Close()

	if *pidFile != "" {
		// #nosec G306 -- a pid file is meant to be read by the scripts that stop us
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("write pid file: %w", err)
		}
		defer func() { _ = os.Remove(*pidFile) }() // gone already is fine
	}
	logger.Info("broker listening", "addrs", cluster.ListenAddrs())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Info("broker stopping")
	return nil
}
