package sink

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BareOptions configure the bare client loop.
type BareOptions struct {
	Addr     string // the sink
	Messages int    // how many to send
	Conns    int    // parallel connections, each a plain loop; default 1
	Size     int    // approximate bytes per message; default 3000
}

// BareResult is what the loop did.
type BareResult struct {
	Sent     int
	Elapsed  time.Duration
	PerSec   float64
	Failures int
}

// Bare is the baseline of the SMTP benchmarks: the plainest client there
// is (net/smtp), one persistent connection per goroutine, MAIL, RCPT,
// DATA and the pre-rendered bytes of a message, nothing else — no MIME
// building, no RSET, no pool, no classification. What an adapter achieves
// divided by this is the adapter's own cost.
func Bare(ctx context.Context, o BareOptions) (BareResult, error) {
	if o.Messages <= 0 {
		return BareResult{}, errors.New("bare: Messages must be positive")
	}
	if o.Conns <= 0 {
		o.Conns = 1
	}
	if o.Size <= 0 {
		o.Size = 3000
	}
	filler := strings.Repeat("The quick brown fox jumps over the lazy dog, again and again. \r\n", o.Size/64+1)
	var next, failures atomic.Int64
	errs := make([]error, o.Conns)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < o.Conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = bareLoop(ctx, o.Addr, o.Messages, &next, &failures, filler)
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	sent := int(next.Load())
	if sent > o.Messages {
		sent = o.Messages
	}
	sent -= int(failures.Load())
	res := BareResult{Sent: sent, Elapsed: elapsed, PerSec: float64(sent) / elapsed.Seconds(), Failures: int(failures.Load())}
	return res, errors.Join(errs...)
}

func bareLoop(ctx context.Context, addr string, total int, next, failures *atomic.Int64, filler string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer func() { _ = c.Quit() }()
	if err := c.Hello("bare.localhost"); err != nil {
		return err
	}
	for ctx.Err() == nil {
		i := next.Add(1) - 1
		if i >= int64(total) {
			return nil
		}
		to := fmt.Sprintf("rcpt-%d@bench.test", i)
		if err := bareSend(c, to, i, filler); err != nil {
			failures.Add(1)
			return fmt.Errorf("bare: message %d: %w", i, err)
		}
	}
	return ctx.Err()
}

func bareSend(c *smtp.Client, to string, i int64, filler string) error {
	if err := c.Mail("sender@bench.test"); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "From: Sender <sender@bench.test>\r\nTo: %s\r\nSubject: Bench %d\r\nMessage-ID: <bare-%d@bench.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s", to, i, i, filler)
	if err != nil {
		return err
	}
	return w.Close()
}
