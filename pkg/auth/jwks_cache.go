package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	fetchTimeout = 5 * time.Second
	maxJWKSBytes = 1 << 20
	// defaultJWKSTTL applies when the response has no usable max-age.
	defaultJWKSTTL = 10 * time.Minute
	maxJWKSTTL     = 24 * time.Hour
	// retryAfterFailure is the shortest wait after a failed fetch (capped by
	// MinRefresh): short, so a service started before identity recovers
	// quickly, yet still a bound on the load a dead endpoint receives.
	retryAfterFailure = 5 * time.Second
)

// remoteKeys caches a JWKS fetched over HTTP.
//
// Policy: the set is fetched on first use and again when it expires (the
// response's max-age, default 10 min, never under MinRefresh) or when a token
// names an unknown kid; never twice within MinRefresh (5 s after a failed
// fetch), and only one fetch at a time, which concurrent callers wait for. A
// failed fetch keeps the previous set, so an identity outage does not log
// everybody out; a successful one replaces it, so an unpublished key stops
// verifying.
type remoteKeys struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	timeout    time.Duration // per fetch, on top of any client timeout
	now        func() time.Time
	// slot holds one token while a fetch runs; waiting on it honours ctx.
	slot chan struct{}

	mu    sync.RWMutex
	state keyState
}

type keyState struct {
	keys      map[string]*rsa.PublicKey // nil until the first successful fetch
	expires   time.Time                 // when the set should be fetched again
	lastFetch time.Time                 // start of the last attempt
	lastErr   error                     // outcome of the last attempt
	inFlight  bool
}

func newRemoteKeys(url string, client *http.Client, minRefresh time.Duration, now func() time.Time) *remoteKeys {
	return &remoteKeys{url: url, client: client, minRefresh: minRefresh, timeout: fetchTimeout, now: now, slot: make(chan struct{}, 1)}
}

func (r *remoteKeys) snapshot() keyState {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.state
}

// due reports whether the rate limit allows a fetch now.
func (r *remoteKeys) due(st keyState, now time.Time) bool {
	if st.lastFetch.IsZero() {
		return true
	}
	wait := r.minRefresh
	if st.lastErr != nil {
		wait = min(wait, retryAfterFailure)
	}
	return now.Sub(st.lastFetch) >= wait
}

func (r *remoteKeys) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	st := r.snapshot()
	now := r.now()
	if k, ok := st.keys[kid]; ok {
		if now.Before(st.expires) || st.inFlight || !r.due(st, now) {
			return k, nil
		}
		// The set is stale: the caller that gets the slot refreshes it, the
		// others carry on with the cached key rather than queue behind it.
		select {
		case r.slot <- struct{}{}:
		default:
			return k, nil
		}
		// Another caller may have refreshed between the snapshot and here.
		if r.due(r.snapshot(), r.now()) {
			r.fetchHoldingSlot(ctx)
		}
		<-r.slot
		if k, ok := r.snapshot().keys[kid]; ok {
			return k, nil
		}
		return nil, errUnknownKey
	}

	// Unknown kid, or nothing loaded yet: only a fetch can help. Wait for one
	// in flight, start one if the rate limit allows, else give up now.
	if !st.inFlight && !r.due(st, now) {
		return nil, missError(st)
	}
	select {
	case r.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", errKeysUnavailable, ctx.Err())
	}
	st = r.snapshot()
	if _, ok := st.keys[kid]; !ok && r.due(st, r.now()) {
		r.fetchHoldingSlot(ctx)
		st = r.snapshot()
	}
	<-r.slot
	if k, ok := st.keys[kid]; ok {
		return k, nil
	}
	return nil, missError(st)
}

func missError(st keyState) error {
	if st.keys != nil {
		return errUnknownKey
	}
	cause := st.lastErr
	if cause == nil {
		cause = errors.New("not fetched yet")
	}
	return fmt.Errorf("%w: %w", errKeysUnavailable, cause)
}

// ready loads the key set if none has been loaded yet.
func (r *remoteKeys) ready(ctx context.Context) error {
	if r.snapshot().keys != nil {
		return nil
	}
	// No kid is ever "" in a parsed set, so this only fetches (rate-limited).
	_, err := r.key(ctx, "")
	if errors.Is(err, errKeysUnavailable) {
		return err
	}
	return nil
}

// fetchHoldingSlot fetches the JWKS and records the outcome; the caller holds
// the slot, so fetches never overlap.
func (r *remoteKeys) fetchHoldingSlot(ctx context.Context) {
	r.mu.Lock()
	r.state.inFlight = true
	r.state.lastFetch = r.now()
	r.mu.Unlock()

	keys, ttl, err := r.fetch(ctx)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.inFlight = false
	r.state.lastErr = err
	if err == nil {
		r.state.keys = keys
		r.state.expires = r.now().Add(ttl)
	}
}

func (r *remoteKeys) fetch(ctx context.Context) (map[string]*rsa.PublicKey, time.Duration, error) {
	// The fetch serves every waiting request, so the caller that happens to
	// run it must not cancel it by hanging up; the timeout still bounds it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	// #nosec G704 -- the URL is the JWKS_URL the operator configured (NewVerifier checks it is http(s)), never request input
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req) // #nosec G704 -- see above: the configured JWKS URL
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("jwks: GET %s: status %d", r.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: read %s: %w", r.url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("jwks: %s: document exceeds %d bytes", r.url, maxJWKSBytes)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", r.url, err)
	}
	return keys, cacheTTL(resp.Header.Values("Cache-Control"), r.minRefresh), nil
}

// cacheTTL turns Cache-Control into a cache lifetime: max-age when present
// (no-store and no-cache count as 0), else defaultJWKSTTL, clamped to
// [floor, 24h] because a refresh sooner than floor would not be allowed anyway.
func cacheTTL(cacheControl []string, floor time.Duration) time.Duration {
	ttl, noStore := defaultJWKSTTL, false
	for _, line := range cacheControl {
		for _, d := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				noStore = true
			case "max-age":
				secs, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(value), `"`), 10, 64)
				if err == nil && secs >= 0 {
					ttl = time.Duration(min(secs, int64(maxJWKSTTL/time.Second))) * time.Second
				}
			}
		}
	}
	if noStore {
		ttl = 0
	}
	return min(max(ttl, floor), maxJWKSTTL)
}
