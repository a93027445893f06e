// Command smtpsink is a counting SMTP sink (package sink) and the bare SMTP
// client loop the outreach benchmarks divide by.
//
//	smtpsink serve [-addr 127.0.0.1:2525] [-http 127.0.0.1:2526] [-drop-after K] [-pidfile F]
//	smtpsink bare  -addr 127.0.0.1:2525 [-n 100000] [-conns 4] [-size 3000]
//
// serve prints one JSON line when it listens and one with the counters when
// it stops (SIGINT/SIGTERM); -http serves GET /stats, POST /reset and
// POST /drop-after?k=N. bare prints one JSON line with msg/s.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"reos.dev/tools/smtpsink/sink"
)

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "bare") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "bare":
		err = bare(args)
	default:
		err = serve(args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smtpsink:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:2525", "SMTP listen address")
	httpAddr := fs.String("http", "", "control endpoint address (GET /stats, POST /reset, POST /drop-after?k=N); off when empty")
	dropAfter := fs.Int("drop-after", 0, "close each connection after it delivered K messages (0: never)")
	pidFile := fs.String("pidfile", "", "write the process id to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := sink.Start(sink.Options{Addr: *addr, DropAfter: *dropAfter})
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	if *pidFile != "" {
		// #nosec G306 -- a pid file is meant to be read by the scripts that stop us
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("write pid file: %w", err)
		}
		defer func() { _ = os.Remove(*pidFile) }()
	}
	status := map[string]any{"listening": s.Addr()}
	if *httpAddr != "" {
		l, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", *httpAddr, err)
		}
		hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.Serve(l) }()
		defer func() { _ = hs.Close() }()
		status["http"] = l.Addr().String()
	}
	enc := json.NewEncoder(os.Stdout)
	_ = enc.Encode(status)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return enc.Encode(map[string]any{"stopped": s.Stats()})
}

func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:2525", "the sink's SMTP address")
	n := fs.Int("n", 100000, "messages to send")
	conns := fs.Int("conns", 4, "parallel connections")
	size := fs.Int("size", 3000, "approximate bytes per message")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *conns <= 0 {
		return errors.New("-n and -conns must be positive")
	}
	res, err := sink.Bare(context.Background(), sink.BareOptions{Addr: *addr, Messages: *n, Conns: *conns, Size: *size})
	out := map[string]any{"sent": res.Sent, "failures": res.Failures, "conns": *conns, "seconds": res.Elapsed.Seconds(), "msg_per_sec": res.PerSec}
	if encErr := json.NewEncoder(os.Stdout).Encode(out); encErr != nil {
		return encErr
	}
	return err
}
