package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// windowLimiter is the provider's limit: at most n requests in any
// rolling second; above it a 429 with Retry-After: 1.
type windowLimiter struct {
	mu       sync.Mutex
	n        int
	times    []time.Time // accepted, oldest first
	accepted atomic.Int64
	refused  atomic.Int64
	run      atomic.Int64 // refusals in a row
	maxRun   atomic.Int64
}

func (l *windowLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := 0
	for cut < len(l.times) && !l.times[cut].After(now.Add(-time.Second)) {
		cut++
	}
	l.times = l.times[cut:]
	if len(l.times) >= l.n {
		r := l.run.Add(1)
		if r > l.maxRun.Load() {
			l.maxRun.Store(r)
		}
		l.refused.Add(1)
		return false
	}
	l.run.Store(0)
	l.times = append(l.times, now)
	l.accepted.Add(1)
	return true
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkPacing sends through the Twilio-style adapter, paced, to an
// imitation limited to N msg/s (REOS_BENCH_PACE_N, default 100) for
// REOS_BENCH_PACE_SECONDS (default 10) from 4 senders, retrying what is
// refused, and reports achieved ÷ N, the 429s and the longest run of them.
// The pacer runs at REOS_BENCH_PACE_PERCENT of N (default 98): a limit
// enforced over a rolling second refuses an exactly-N schedule whenever
// network jitter brings two requests closer than 1/N.
func BenchmarkPacing(b *testing.B) {
	n := envInt("REOS_BENCH_PACE_N", 100)
	seconds := envInt("REOS_BENCH_PACE_SECONDS", 10)
	percent := envInt("REOS_BENCH_PACE_PERCENT", 98)
	lim := &windowLimiter{n: n}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if !lim.allow(time.Now()) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"code": 20429, "message": "Too Many Requests", "status": 429}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"sid": "SM1", "status": "queued"}`)
	}))
	defer srv.Close()
	tw, err := NewTwilio(HTTPConfig{BaseURL: srv.URL, AccountSID: "AC1", APIKey: "t"})
	if err != nil {
		b.Fatal(err)
	}
	pacer := NewPacer(n*percent/100, 0, nil)
	sms := PacedSMS(tw, pacer)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer cancel()
	var key atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := SMSMessage{To: "+12125550100", From: "+12125550199", Body: "hi"}
			m.Key = strconv.FormatInt(key.Add(1), 10)
			for ctx.Err() == nil {
				_, err := sms.SendSMS(ctx, m)
				var pe *Error
				switch {
				case err == nil:
					m.Key = strconv.FormatInt(key.Add(1), 10)
				case errors.As(err, &pe) && !pe.Permanent: // refused: the same message again, after the hold
				case ctx.Err() != nil:
				default:
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	achieved := float64(lim.accepted.Load()) / elapsed.Seconds()
	b.ReportMetric(achieved, "msg/s")
	b.ReportMetric(achieved/float64(n), "achieved/N")
	b.ReportMetric(float64(lim.refused.Load()), "429s")
	b.ReportMetric(float64(lim.maxRun.Load()), "max-429-run")
}
