package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of a Revocations.
const (
	// DefaultRevocationKey is the Redis sorted set of ended sessions: member
	// the session id, score the Unix millisecond until which its access
	// tokens must be refused.
	DefaultRevocationKey = "reos:auth:revoked-sessions"
	// DefaultRevocationChannel is the pub/sub channel announcing new entries.
	DefaultRevocationChannel = "reos:auth:revoked-sessions"
	// DefaultRevocationPing is how often an idle subscription is pinged; a
	// subscription that stays silent for two pings is taken for lost.
	DefaultRevocationPing = time.Second

	// maxSessionIDLen bounds a session id (identity's are UUIDs).
	maxSessionIDLen = 128
	// pruneEvery is how often expired entries leave the in-memory set when
	// no new revocation has rebuilt it.
	pruneEvery = time.Minute
	// subscribeTimeout bounds the wait for Redis to confirm a subscription
	// and for the initial load.
	subscribeTimeout = 5 * time.Second
	retryMin         = 100 * time.Millisecond
	retryMax         = 5 * time.Second
)

// errRevocationsNotLoaded: the set has never been read from Redis, so an
// unlisted session may still be one that ended; the verifier answers 503.
var errRevocationsNotLoaded = errors.New("session revocations have not been loaded from Redis yet")

// RevocationChecker answers whether a session has ended. Revoked must be
// cheap (it runs on every request) and safe for concurrent use; an error
// means it cannot tell, and the token is refused with 503.
type RevocationChecker interface {
	Revoked(sid string) (bool, error)
}

// RevocationsConfig configures a Revocations.
type RevocationsConfig struct {
	// Redis holds the set and carries the announcements. Required.
	Redis redis.UniversalClient
	// Logger receives the feed's state changes. Required.
	Logger *slog.Logger
	// Key and Channel default to DefaultRevocationKey and
	// DefaultRevocationChannel; tests use their own.
	Key, Channel string
	// PingInterval defaults to DefaultRevocationPing.
	PingInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Revocations is the set of ended sessions (logout, password change or
// reset, role change, user deletion) whose access tokens every verifier
// must refuse before they expire. identity records an ending with Revoke;
// every process keeps the whole set in memory, loaded from Redis and kept
// current by Redis pub/sub (Run), so Revoked is a map lookup and a request
// never waits on Redis.
//
// Why a missed announcement cannot let a token through: Run subscribes
// first and loads the set second, so an entry is either in the load or
// announced after it; whenever the subscription is lost (an error, a ping
// left unanswered, a resubscription by the client) it starts again from the
// subscription and reloads. Loads merge into what is held, never replace
// it, so a Redis that lost its data does not bring ended sessions back in a
// running process (identity writes them again; see its reconciler).
//
// While Redis is unreachable the set is served as it was (every ending
// known before the outage is still refused) and Ready reports the outage.
// Before the first load it cannot be trusted at all: Revoked answers an
// error, which verifiers turn into 503.
//
// Entries expire on their own (until): the set holds only the sessions
// ended within about one access-token lifetime, so it stays small.
type Revocations struct {
	rdb     redis.UniversalClient
	log     *slog.Logger
	key     string
	channel string
	ping    time.Duration
	now     func() time.Time
	script  *redis.Script

	// set is replaced, never changed: lookups read it without a lock.
	set    atomic.Pointer[map[string]time.Time]
	write  sync.Mutex // serialises replacements of set
	loaded atomic.Bool
	loadCh chan struct{} // closed by the first load
	once   sync.Once

	state sync.Mutex
	live  bool  // subscribed and loaded since the last loss
	down  error // why the feed is not live (nil while live)
	since time.Time
}

var _ RevocationChecker = (*Revocations)(nil)

// NewRevocations returns a set that is empty and not loaded until Run has
// reached Redis once.
func NewRevocations(cfg RevocationsConfig) (*Revocations, error) {
	if cfg.Redis == nil {
		return nil, errors.New("auth: NewRevocations: nil Redis client")
	}
	if cfg.Logger == nil {
		return nil, errors.New("auth: NewRevocations: nil logger")
	}
	r := &Revocations{
		rdb: cfg.Redis, log: cfg.Logger.With("component", "auth-revocations"),
		key: cfg.Key, channel: cfg.Channel, ping: cfg.PingInterval, now: cfg.Now,
		script: redis.NewScript(revokeScript), loadCh: make(chan struct{}),
		down: errors.New("not started"),
	}
	if r.key == "" {
		r.key = DefaultRevocationKey
	}
	if r.channel == "" {
		r.channel = DefaultRevocationChannel
	}
	if r.ping <= 0 {
		r.ping = DefaultRevocationPing
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.since = r.now()
	empty := map[string]time.Time{}
	r.set.Store(&empty)
	return r, nil
}

// Revoked reports whether session sid has ended: listed with an until still
// ahead. Before the first load it answers an error for an unlisted session.
func (r *Revocations) Revoked(sid string) (bool, error) {
	if until, ok := (*r.set.Load())[sid]; ok && r.now().Before(until) {
		return true, nil
	}
	if !r.loaded.Load() {
		return false, errRevocationsNotLoaded
	}
	return false, nil
}

// Len returns the number of sessions held (expired ones included until the
// next prune).
func (r *Revocations) Len() int { return len(*r.set.Load()) }

// Revoke records that the sessions sids ended: their access tokens are to
// be refused until until, which must cover the longest-lived access token
// they may have (see RevocationUntil). The entry takes effect in this
// process at once, then in Redis and, through the announcement, in every
// other process within milliseconds. An error means Redis did not take it:
// this process refuses the sessions anyway; the caller must write them
// again later (entries are idempotent: repeating one announces nothing).
func (r *Revocations) Revoke(ctx context.Context, until time.Time, sids ...string) error {
	entries := make(map[string]time.Time, len(sids))
	for _, sid := range sids {
		entries[sid] = until
	}
	return r.RevokeUntil(ctx, entries)
}

// RevokeUntil is Revoke with an until per session, in one atomic write.
func (r *Revocations) RevokeUntil(ctx context.Context, entries map[string]time.Time) error {
	now := r.now()
	args := []any{r.channel, now.UnixMilli()}
	live := make(map[string]time.Time, len(entries))
	for sid, until := range entries {
		if err := checkSessionID(sid); err != nil {
			return err
		}
		if until.After(now) {
			live[sid] = until
			args = append(args, sid, until.UnixMilli())
		}
	}
	if len(live) == 0 {
		return nil
	}
	r.merge(live)
	if err := r.script.Run(ctx, r.rdb, []string{r.key}, args...).Err(); err != nil {
		return fmt.Errorf("auth: record %d session revocations in Redis: %w", len(live), err)
	}
	return nil
}

// RevocationUntil is how long a session ended at endedAt must stay
// revoked: until the last access token it could hold (at most accessTTL
// old at endedAt) has expired, plus the verifiers' clock-skew leeway and as
// much again for the issuer's clock.
func RevocationUntil(endedAt time.Time, accessTTL time.Duration) time.Time {
	return endedAt.Add(accessTTL + 2*leeway)
}

// Ready reports nil while the feed is live (subscribed and loaded), else
// why not: for a readiness check. Requests are still served from memory
// while it fails, except before the first load (see Revocations).
func (r *Revocations) Ready(context.Context) error {
	r.state.Lock()
	defer r.state.Unlock()
	if r.live {
		return nil
	}
	held := "none loaded yet: access tokens are refused (503)"
	if r.loaded.Load() {
		held = fmt.Sprintf("serving the %d revocations held in memory", r.Len())
	}
	return fmt.Errorf("session revocation feed down since %s (%v); %s", r.since.UTC().Format(time.RFC3339), r.down, held)
}

// WaitLoaded blocks until the first load from Redis, or ctx ends.
func (r *Revocations) WaitLoaded(ctx context.Context) error {
	select {
	case <-r.loadCh:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("auth: session revocations not loaded: %w", ctx.Err())
	}
}

// Run follows the revocations in Redis until ctx ends, resubscribing and
// reloading after every loss with a backoff of 100 ms to 5 s. It returns nil
// when ctx ends.
func (r *Revocations) Run(ctx context.Context) error {
	wait := retryMin
	for {
		wasLive, err := r.follow(ctx)
		if ctx.Err() != nil {
			r.setDown(context.Canceled)
			return nil
		}
		r.setDown(err)
		if wasLive {
			wait = retryMin
			r.log.WarnContext(ctx, "session revocation feed lost; serving the revocations held in memory and resubscribing",
				"error", err, "held", r.Len())
		} else {
			r.log.WarnContext(ctx, "session revocation feed unavailable; retrying", "error", err, "retry_in", wait.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, retryMax)
	}
}

// follow subscribes, loads, and applies announcements until the
// subscription fails; wasLive reports whether it got as far as loading.
func (r *Revocations) follow(ctx context.Context) (wasLive bool, err error) {
	ps := r.rdb.Subscribe(ctx)
	defer ps.Close()
	// A blocked read does not watch ctx; closing the subscription ends it.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	if err := r.subscribe(ctx, ps); err != nil {
		return false, err
	}
	if err := r.load(ctx); err != nil {
		return false, err
	}
	r.setLive(ctx)
	pinged := false
	lastPrune := r.now()
	for {
		msg, err := ps.ReceiveTimeout(ctx, r.ping)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return true, err
			}
			if pinged {
				return true, errors.New("no answer to a ping on the subscription")
			}
			if err := ps.Ping(ctx); err != nil {
				return true, err
			}
			pinged = true
		} else {
			pinged = false
			switch m := msg.(type) {
			case *redis.Message:
				r.apply(ctx, m.Payload)
			case *redis.Subscription:
				// The client resubscribed on a new connection by itself:
				// what was announced in between is lost, so start over.
				if m.Kind == "subscribe" {
					return true, errors.New("the subscription was renewed on a new connection")
				}
			}
		}
		if now := r.now(); now.Sub(lastPrune) >= pruneEvery {
			r.merge(nil)
			lastPrune = now
		}
	}
}

// subscribe subscribes ps to the channel and waits for Redis to confirm.
func (r *Revocations) subscribe(ctx context.Context, ps *redis.PubSub) error {
	if err := ps.Subscribe(ctx, r.channel); err != nil {
		return fmt.Errorf("subscribe %s: %w", r.channel, err)
	}
	for {
		msg, err := ps.ReceiveTimeout(ctx, subscribeTimeout)
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", r.channel, err)
		}
		if s, ok := msg.(*redis.Subscription); ok && s.Kind == "subscribe" && s.Channel == r.channel {
			return nil
		}
	}
}

// load merges every entry of the set still in force.
func (r *Revocations) load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	zs, err := r.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
		Key: r.key, ByScore: true, Start: "(" + strconv.FormatInt(r.now().UnixMilli(), 10), Stop: "+inf",
	}).Result()
	if err != nil {
		return fmt.Errorf("load %s: %w", r.key, err)
	}
	entries := make(map[string]time.Time, len(zs))
	for _, z := range zs {
		sid, ok := z.Member.(string)
		if !ok || checkSessionID(sid) != nil {
			continue
		}
		entries[sid] = time.UnixMilli(int64(z.Score))
	}
	r.merge(entries)
	r.loaded.Store(true)
	r.once.Do(func() { close(r.loadCh) })
	return nil
}

// apply merges one announcement: lines of "<sid> <until in Unix ms>".
func (r *Revocations) apply(ctx context.Context, payload string) {
	entries := map[string]time.Time{}
	for line := range strings.Lines(payload) {
		sid, ms, ok := strings.Cut(strings.TrimSpace(line), " ")
		n, err := strconv.ParseInt(ms, 10, 64)
		if !ok || err != nil || checkSessionID(sid) != nil {
			r.log.WarnContext(ctx, "malformed session revocation announcement ignored", "line", line)
			continue
		}
		entries[sid] = time.UnixMilli(n)
	}
	r.merge(entries)
}

// merge replaces the set by its entries still in force joined with
// entries, keeping the later until of a session listed twice.
func (r *Revocations) merge(entries map[string]time.Time) {
	r.write.Lock()
	defer r.write.Unlock()
	now := r.now()
	old := *r.set.Load()
	next := make(map[string]time.Time, len(old)+len(entries))
	for sid, until := range old {
		if now.Before(until) {
			next[sid] = until
		}
	}
	for sid, until := range entries {
		if now.Before(until) && until.After(next[sid]) {
			next[sid] = until
		}
	}
	if len(entries) == 0 && len(next) == len(old) {
		return // a prune that found nothing
	}
	r.set.Store(&next)
}

func (r *Revocations) setLive(ctx context.Context) {
	r.state.Lock()
	defer r.state.Unlock()
	r.log.InfoContext(ctx, "session revocation feed live", "held", r.Len())
	r.live, r.down, r.since = true, nil, r.now()
}

func (r *Revocations) setDown(err error) {
	r.state.Lock()
	defer r.state.Unlock()
	if r.live {
		r.since = r.now()
	}
	r.live, r.down = false, err
}

// Snapshot returns a copy of the sessions held with their until, for tests
// and diagnostics.
func (r *Revocations) Snapshot() map[string]time.Time { return maps.Clone(*r.set.Load()) }

// checkSessionID accepts what can travel in an announcement line and a
// Redis member: 1 to maxSessionIDLen printable ASCII characters, no space.
func checkSessionID(sid string) error {
	if sid == "" || len(sid) > maxSessionIDLen {
		return fmt.Errorf("auth: session id of %d bytes is outside 1..%d", len(sid), maxSessionIDLen)
	}
	for i := 0; i < len(sid); i++ {
		if c := sid[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("auth: session id %q has a byte outside printable ASCII", sid)
		}
	}
	return nil
}

// revokeScript records sessions and announces the ones that are news, in
// one atomic step. KEYS[1] the set; ARGV[1] the channel, ARGV[2] now in
// Unix ms, then pairs of session id and until in Unix ms. ZADD GT keeps the
// later until of a session recorded twice, CH counts it only if it changed,
// so writing an entry again (identity's reconciler) announces nothing.
// Expired entries are removed and the key expires with its last entry, so
// the set holds only sessions still in force.
const revokeScript = `
local changed = {}
for i = 3, #ARGV, 2 do
  if redis.call('ZADD', KEYS[1], 'GT', 'CH', ARGV[i + 1], ARGV[i]) == 1 then
    changed[#changed + 1] = ARGV[i] .. ' ' .. ARGV[i + 1]
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[1], last[2])
end
if #changed > 0 then
  redis.call('PUBLISH', ARGV[1], table.concat(changed, '\n'))
end
return #changed
`
