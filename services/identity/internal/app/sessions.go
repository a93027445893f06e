package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"reos.dev/pkg/auth"
)

// A session is one login: a refresh-token family, whose id every token pair
// of the login carries as sid. Ending a session is two steps. Inside the
// change's transaction its refresh tokens are revoked and a
// session.revoked event is recorded (refresh then fails at once). After the
// commit the revocation is announced through SessionRevoker, so every
// verifier refuses the session's access tokens within milliseconds instead
// of at their expiry. If the announcement fails (Redis down), the change
// still stands and is logged; SessionSync announces every recently ended
// session again from the database, so the gap closes within its interval
// once Redis is back.

// endedSessions gathers the sessions a transaction ends, to announce after
// it commits.
type endedSessions struct {
	at   time.Time
	sids []string
}

type sessionRevokedData struct {
	UserID     string    `json:"user_id"`
	OrgID      string    `json:"org_id"`
	SessionIDs []string  `json:"session_ids"`
	Reason     string    `json:"reason"`
	ActorID    string    `json:"actor_id,omitempty"`
	RevokedAt  time.Time `json:"revoked_at"`
	// Until is when the sessions' last access tokens expire; verifiers
	// refuse them until then.
	Until time.Time `json:"until"`
}

// end records, in tx, that the sessions of user ended for reason, and
// remembers them for announce. No sessions: nothing to record.
func (s *service) end(ctx context.Context, tx Tx, ended *endedSessions, orgID, userID, actorID, reason string, sids []string) error {
	if len(sids) == 0 {
		return nil
	}
	ended.sids = append(ended.sids, sids...)
	return tx.Events().Publish(ctx, EventSessionRevoked, userID, orgID, sessionRevokedData{
		UserID: userID, OrgID: orgID, SessionIDs: sids, Reason: reason, ActorID: actorID,
		RevokedAt: ended.at, Until: auth.RevocationUntil(ended.at, s.cfg.AccessTTL),
	})
}

// announce spreads the ended sessions once their transaction committed.
// The request may be over (a client that hung up): the announcement runs on
// regardless, bounded by announceTimeout. A failure is logged, not
// returned: the change has happened, and SessionSync repeats it.
func (s *service) announce(ctx context.Context, ended endedSessions) {
	if len(ended.sids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	until := auth.RevocationUntil(ended.at, s.cfg.AccessTTL)
	entries := make(map[string]time.Time, len(ended.sids))
	for _, sid := range ended.sids {
		entries[sid] = until
	}
	if err := s.sessions.RevokeUntil(ctx, entries); err != nil {
		s.log.ErrorContext(ctx, "ended sessions not announced; the session sync will announce them again",
			"error", err, "sessions", len(ended.sids))
	}
}

// announceTimeout bounds one announcement after a request.
const announceTimeout = 2 * time.Second

// Session sync defaults.
const (
	// DefaultSessionSyncInterval is how often SessionSync announces the
	// recently ended sessions again.
	DefaultSessionSyncInterval = 5 * time.Second
	// sessionSyncBatch bounds one announcement of SessionSync.
	sessionSyncBatch = 1000
)

// EndedSession is a session that ended at RevokedAt.
type EndedSession struct {
	SessionID string
	RevokedAt time.Time
}

// EndedSessionStore reads the sessions that ended recently, across
// organisations.
type EndedSessionStore interface {
	// EndedSince returns every session of every organisation whose refresh
	// tokens were revoked within the last `within`, by the database's clock.
	EndedSince(ctx context.Context, within time.Duration) ([]EndedSession, error)
}

// SessionSync announces every session whose access tokens may still be
// alive (ended within the access-token lifetime and leeway) again, from the
// database: it closes the gap an announcement that failed after its commit
// leaves, and refills a Redis that lost its data. Announcing again is
// idempotent and costs no message for what Redis already holds.
type SessionSync struct {
	store     EndedSessionStore
	sessions  SessionRevoker
	accessTTL time.Duration
	interval  time.Duration
	log       *slog.Logger
}

// NewSessionSync returns the sync; zero accessTTL and interval take the
// defaults.
func NewSessionSync(store EndedSessionStore, sessions SessionRevoker, accessTTL, interval time.Duration, logger *slog.Logger) (*SessionSync, error) {
	if store == nil || sessions == nil || logger == nil {
		return nil, errors.New("app: NewSessionSync: nil store, revoker or logger")
	}
	if accessTTL <= 0 {
		accessTTL = DefaultAccessTTL
	}
	if interval <= 0 {
		interval = DefaultSessionSyncInterval
	}
	return &SessionSync{store: store, sessions: sessions, accessTTL: accessTTL, interval: interval,
		log: logger.With("component", "identity-session-sync")}, nil
}

// Sync announces the recently ended sessions once and counts them.
func (s *SessionSync) Sync(ctx context.Context) (int, error) {
	window := auth.RevocationUntil(time.Time{}, s.accessTTL).Sub(time.Time{})
	ended, err := s.store.EndedSince(ctx, window)
	if err != nil {
		return 0, err
	}
	// Each session keeps the until of its own ending, so writing it again
	// changes nothing in Redis and announces nothing.
	for batch := range slices.Chunk(ended, sessionSyncBatch) {
		entries := make(map[string]time.Time, len(batch))
		for _, e := range batch {
			entries[e.SessionID] = auth.RevocationUntil(e.RevokedAt, s.accessTTL)
		}
		if err := s.sessions.RevokeUntil(ctx, entries); err != nil {
			return 0, err
		}
	}
	return len(ended), nil
}

// Run syncs at once and then every interval until ctx ends; a failed sync
// is logged and retried at the next tick.
func (s *SessionSync) Run(ctx context.Context) error {
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	failing := false
	for {
		n, err := s.Sync(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if !failing {
				s.log.ErrorContext(ctx, "session sync failed; retrying every interval", "error", err, "interval", s.interval.String())
			}
			failing = true
		default:
			if failing {
				s.log.InfoContext(ctx, "session sync recovered", "sessions", n)
			}
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
