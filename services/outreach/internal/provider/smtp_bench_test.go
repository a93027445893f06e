package provider

import (
	"context"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reos.dev/tools/smtpsink/sink"
)

// benchSink is the sink the SMTP benchmarks send to: REOS_BENCH_SMTP_ADDR
// (a separate smtpsink process, as scripts/bench/outreach runs it) or one
// in this process.
func benchSink(b *testing.B) string {
	if addr := os.Getenv("REOS_BENCH_SMTP_ADDR"); addr != "" {
		return addr
	}
	return startSink(b, sink.Options{}).Addr()
}

func benchPool() int {
	if n, err := strconv.Atoi(os.Getenv("REOS_BENCH_SMTP_POOL")); err == nil && n > 0 {
		return n
	}
	return 4
}

// benchBody is a campaign message of about 3 kB on the wire, the size the
// bare loop sends; rendered once, as the engine's template step would.
var benchBody = func() EmailMessage {
	m := campaignMail("", "")
	for range 10 {
		m.HTML += "<p>A three-bedroom house with a garden, close to schools and shops.</p>\n"
		m.Text += "A three-bedroom house with a garden, close to schools and shops.\n"
	}
	return m
}()

// benchRun keeps the keys of successive benchmark runs apart (the testing
// package runs b.N=1 before the real run).
var benchRun atomic.Int64

func benchMail(run, i int64) EmailMessage {
	m := benchBody
	m.Key = "bench/r" + strconv.FormatInt(run, 10) + "/t" + strconv.FormatInt(i, 10)
	m.To = "rcpt-" + strconv.FormatInt(i, 10) + "@bench.test"
	return m
}

// BenchmarkSMTPAdapter sends b.N messages through the adapter's pool, from
// REOS_BENCH_SMTP_SENDERS goroutines (the engine's workers; default as many as
// the connections: one worker per connection), and reports msg/s. scripts/bench/outreach runs it with -benchtime 100000x.
func BenchmarkSMTPAdapter(b *testing.B) {
	addr := benchSink(b)
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	pool := benchPool()
	a, err := NewSMTP(SMTPConfig{Host: host, Port: p, TLS: TLSNone, PoolSize: pool, Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = a.Close() }()
	run := benchRun.Add(1)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range envInt("REOS_BENCH_SMTP_SENDERS", pool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if _, err := a.SendEmail(context.Background(), benchMail(run, i)); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d sends failed", failed.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
}

// BenchmarkSMTPBare is the baseline in the same process: sink.Bare with
// as many connections as the adapter's pool.
func BenchmarkSMTPBare(b *testing.B) {
	addr := benchSink(b)
	b.ResetTimer()
	res, err := sink.Bare(context.Background(), sink.BareOptions{Addr: addr, Messages: b.N, Conns: benchPool()})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.PerSec, "msg/s")
}
