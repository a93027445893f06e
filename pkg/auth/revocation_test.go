package auth_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
)

// feed is one process's view of the revocations, running until the test ends.
type feed struct {
	*auth.Revocations
	done chan struct{}
}

func startFeed(t *testing.T, rdb redis.UniversalClient, prefix string) *feed {
	t.Helper()
	r, err := auth.NewRevocations(auth.RevocationsConfig{
		Redis: rdb, Logger: logging.Discard(), Key: prefix + "revoked", Channel: prefix + "revoked",
		PingInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &feed{Revocations: r, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		if err := r.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	return f
}

func (f *feed) waitLoaded(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := f.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
}

func revoked(t *testing.T, f *feed, sid string) bool {
	t.Helper()
	ok, err := f.Revoked(sid)
	if err != nil {
		t.Fatalf("Revoked(%s): %v", sid, err)
	}
	return ok
}

func TestRevocationsReachEveryProcess(t *testing.T) {
	t.Parallel()
	rdb, prefix := testkit.Redis(t)
	identity, gateway := startFeed(t, rdb, prefix), startFeed(t, rdb, prefix)
	identity.waitLoaded(t)
	gateway.waitLoaded(t)

	until := time.Now().Add(time.Minute)
	if err := identity.Revoke(t.Context(), until, "s-1", "s-2"); err != nil {
		t.Fatal(err)
	}
	// The writer refuses at once; every other process within a second.
	if !revoked(t, identity, "s-1") {
		t.Fatal("the writer does not hold its own revocation")
	}
	testkit.Eventually(t, time.Second, func() bool {
		return revoked(t, gateway, "s-1") && revoked(t, gateway, "s-2")
	}, "the announcement reaches another process")
	if revoked(t, gateway, "s-3") {
		t.Fatal("an unlisted session is revoked")
	}

	// A process that starts later loads what is in force, not what expired.
	key := prefix + "revoked"
	if err := rdb.ZAdd(t.Context(), key, redis.Z{Score: float64(time.Now().Add(-time.Second).UnixMilli()), Member: "expired"}).Err(); err != nil {
		t.Fatal(err)
	}
	late := startFeed(t, rdb, prefix)
	late.waitLoaded(t)
	if !revoked(t, late, "s-1") || revoked(t, late, "expired") {
		t.Fatalf("late process holds %v", late.Snapshot())
	}
	if got := late.Snapshot()["s-1"]; got.UnixMilli() != until.UnixMilli() {
		t.Errorf("until = %v, want %v", got, until)
	}

	// Writing prunes what expired, and the key expires with its last entry.
	if err := identity.Revoke(t.Context(), time.Now().Add(2*time.Minute), "s-4"); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ZScore(t.Context(), key, "expired").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("expired entry still in Redis: %v", err)
	}
	ttl := rdb.PTTL(t.Context(), key).Val()
	if ttl <= time.Minute || ttl > 2*time.Minute {
		t.Errorf("key PTTL = %v, want the last entry's remaining 2 minutes", ttl)
	}
}

func TestRevokingAgainAnnouncesNothing(t *testing.T) {
	t.Parallel()
	rdb, prefix := testkit.Redis(t)
	writer := startFeed(t, rdb, prefix)
	writer.waitLoaded(t)
	sub := rdb.Subscribe(t.Context(), prefix+"revoked")
	defer sub.Close()
	if _, err := sub.Receive(t.Context()); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Minute)
	for _, sid := range []string{"again", "again", "next"} {
		if err := writer.Revoke(t.Context(), until, sid); err != nil {
			t.Fatal(err)
		}
	}
	// One channel keeps its order: if repeating "again" had announced it,
	// the second message would be "again" too.
	var got []string
	for len(got) < 2 {
		msg, err := sub.ReceiveMessage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		sid, _, _ := strings.Cut(msg.Payload, " ")
		got = append(got, sid)
	}
	if got[0] != "again" || got[1] != "next" {
		t.Fatalf("announcements = %v, want [again next]", got)
	}
}

// switchableRedis is a client whose connections the test can cut and whose
// new connections it can refuse: a Redis outage without touching Redis.
type switchableRedis struct {
	*redis.Client
	mu    sync.Mutex
	conns []net.Conn
	down  atomic.Bool
}

func newSwitchableRedis(t *testing.T, base *redis.Client) *switchableRedis {
	t.Helper()
	s := &switchableRedis{}
	opts := *base.Options()
	opts.MaxRetries = -1
	opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if s.down.Load() {
			return nil, errors.New("redis is down (test)")
		}
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
		return c, err
	}
	s.Client = redis.NewClient(&opts)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func (s *switchableRedis) outage() {
	s.down.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

func (s *switchableRedis) recover() { s.down.Store(false) }

// TestRevocationsRideOutAnOutage: while Redis is unreachable a process
// keeps refusing the sessions it knew of and reports the outage; what was
// announced meanwhile (and so missed) is loaded when it reconnects.
func TestRevocationsRideOutAnOutage(t *testing.T) {
	t.Parallel()
	rdb, prefix := testkit.Redis(t)
	writer := startFeed(t, rdb, prefix)
	flaky := newSwitchableRedis(t, rdb)
	reader := startFeed(t, flaky, prefix)
	writer.waitLoaded(t)
	reader.waitLoaded(t)
	testkit.Eventually(t, 5*time.Second, func() bool { return reader.Ready(t.Context()) == nil }, "the reader's feed is live")
	until := time.Now().Add(time.Minute)
	if err := writer.Revoke(t.Context(), until, "before"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, time.Second, func() bool { return revoked(t, reader, "before") }, "the reader learns of the first revocation")

	flaky.outage()
	testkit.Eventually(t, 5*time.Second, func() bool { return reader.Ready(t.Context()) != nil }, "the reader reports the outage")
	if err := reader.Ready(t.Context()); !strings.Contains(err.Error(), "serving the 1 revocations held in memory") {
		t.Errorf("Ready = %v", err)
	}
	if !revoked(t, reader, "before") {
		t.Fatal("a revocation known before the outage is forgotten during it")
	}
	// Announced while the reader is not subscribed: it misses the message.
	if err := writer.Revoke(t.Context(), until, "during"); err != nil {
		t.Fatal(err)
	}

	flaky.recover()
	testkit.Eventually(t, 10*time.Second, func() bool { return revoked(t, reader, "during") }, "the reader reloads after reconnecting")
	testkit.Eventually(t, 5*time.Second, func() bool { return reader.Ready(t.Context()) == nil }, "the reader's feed is live again")
}

// TestRevocationsBeforeTheFirstLoad: a process that never reached Redis
// cannot vouch for any session (503), still refuses what it revoked itself,
// and says so in Ready.
func TestRevocationsBeforeTheFirstLoad(t *testing.T) {
	t.Parallel()
	unreachable := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = unreachable.Close() })
	f := startFeed(t, unreachable, "t:none:")
	if _, err := f.Revoked("any"); err == nil {
		t.Fatal("Revoked answers without ever having loaded the set")
	}
	if err := f.Revoke(t.Context(), time.Now().Add(time.Minute), "mine"); err == nil {
		t.Fatal("Revoke reports success though Redis is unreachable")
	}
	if ok, err := f.Revoked("mine"); !ok || err != nil {
		t.Fatalf("Revoked(own) = %v, %v; want true: the process refuses what it revoked", ok, err)
	}
	if err := f.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "none loaded yet") {
		t.Fatalf("Ready = %v", err)
	}

	tokens := testkit.NewTokens(t)
	keys := map[string]*rsa.PublicKey{tokens.Signer.KeyID(): tokens.Signer.PublicKey()}
	v := auth.NewStaticVerifier(keys, testkit.Issuer, testkit.Audience, auth.WithRevocations(f))
	_, err := v.VerifyAccess(t.Context(), tokens.Access(t, "0190f5a8-0000-7000-8000-000000000001", "0190f5a8-0000-7000-8000-0000000000aa"))
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindUnavailable {
		t.Fatalf("VerifyAccess before the first load = %v, want 503 auth_unavailable", err)
	}
}

func TestRevokeRejectsBadInput(t *testing.T) {
	t.Parallel()
	rdb, prefix := testkit.Redis(t)
	r, err := auth.NewRevocations(auth.RevocationsConfig{Redis: rdb, Logger: logging.Discard(), Key: prefix + "k", Channel: prefix + "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sid := range []string{"", "has space", "new\nline", strings.Repeat("x", 129)} {
		if err := r.Revoke(t.Context(), time.Now().Add(time.Minute), sid); err == nil {
			t.Errorf("Revoke(%q) accepted", sid)
		}
	}
	// An until already past needs no entry at all.
	if err := r.Revoke(t.Context(), time.Now().Add(-time.Second), "old"); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(t.Context(), prefix+"k").Val(); n != 0 {
		t.Errorf("an expired revocation was written")
	}
	if _, err := auth.NewRevocations(auth.RevocationsConfig{Logger: logging.Discard()}); err == nil {
		t.Error("NewRevocations accepted a nil Redis client")
	}
	if _, err := auth.NewRevocations(auth.RevocationsConfig{Redis: rdb}); err == nil {
		t.Error("NewRevocations accepted a nil logger")
	}
}

// freezingProxy forwards TCP to Redis until freeze, after which the
// connections it holds stay open but carry nothing (a half-open link, no
// error on either side); connections made afterwards work.
type freezingProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen []chan struct{}
}

func newFreezingProxy(t *testing.T, target string) *freezingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			freeze := make(chan struct{})
			p.mu.Lock()
			p.frozen = append(p.frozen, freeze)
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					select {
					case <-freeze:
						<-t.Context().Done() // hold the connection, say nothing
						return
					default:
					}
					if err != nil {
						_ = dst.Close()
						return
					}
					if _, err := dst.Write(buf[:n]); err != nil {
						return
					}
				}
			}
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	return p
}

func (p *freezingProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.frozen {
		close(f)
	}
	p.frozen = nil
}

// TestRevocationsNoticeASilentLink: a subscription whose connection goes
// silent without an error (pings unanswered) is taken for lost and
// renewed, and what was written meanwhile is loaded.
func TestRevocationsNoticeASilentLink(t *testing.T) {
	t.Parallel()
	rdb, prefix := testkit.Redis(t)
	proxy := newFreezingProxy(t, rdb.Options().Addr)
	opts := *rdb.Options()
	opts.Addr = proxy.ln.Addr().String()
	opts.MaxRetries = -1
	opts.ReadTimeout = 300 * time.Millisecond
	opts.WriteTimeout = 300 * time.Millisecond
	viaProxy := redis.NewClient(&opts)
	t.Cleanup(func() { _ = viaProxy.Close() })
	reader := startFeed(t, viaProxy, prefix)
	reader.waitLoaded(t)

	proxy.freeze()
	// Written straight into the set, announced to nobody: only a reload
	// can bring it to the reader.
	until := time.Now().Add(time.Minute)
	if err := rdb.ZAdd(t.Context(), prefix+"revoked", redis.Z{Score: float64(until.UnixMilli()), Member: "unannounced"}).Err(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		return revoked(t, reader, "unannounced")
	}, "the reader renews the silent subscription and reloads")
}
