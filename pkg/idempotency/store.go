// Package idempotency makes retried mutating HTTP requests safe: the first
// request with an Idempotency-Key runs, its response is stored, and a retry
// with the same key gets that response back byte for byte instead of running
// again (draft-ietf-httpapi-idempotency-key-header).
//
// The Store keeps one row per (scope, key) in PostgreSQL. The scope (the
// caller's user id, or its IP address when anonymous) is part of the primary
// key, so two callers using the same key never see each other's responses.
// A row is first claimed (state in_flight) with INSERT … ON CONFLICT, then
// completed with the response, or deleted when the request failed with a 5xx
// or never produced a response, so that a retry can run. Rows expire after a
// TTL (24 h by default); an expired row, or an in-flight claim older than the
// lock timeout (its request is presumed dead), is treated as absent and taken
// over by the next claim. Purge deletes expired rows in batches.
//
// Credentials are never stored: a success marked Cache-Control: no-store
// (how a service marks an answer carrying tokens or a password) releases
// its key like a 5xx, so a retry runs again. The gateway goes further and
// does not apply the handler at all to the routes that take or hand out
// credentials.
//
// The table is created by the owning binary's migrations; its shape is:
//
//	CREATE TABLE idempotency_keys (
//	    scope            text        NOT NULL,
//	    key              text        NOT NULL,
//	    fingerprint      bytea       NOT NULL,
//	    claim_token      uuid        NOT NULL,
//	    state            text        NOT NULL CHECK (state IN ('in_flight', 'completed')),
//	    request_method   text        NOT NULL,
//	    request_path     text        NOT NULL,
//	    response_status  integer,
//	    response_headers jsonb,
//	    response_body    bytea,
//	    created_at       timestamptz NOT NULL DEFAULT now(),
//	    locked_at        timestamptz NOT NULL DEFAULT now(),
//	    completed_at     timestamptz,
//	    expires_at       timestamptz NOT NULL,
//	    PRIMARY KEY (scope, key)
//	);
//	CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults for StoreConfig.
const (
	DefaultTTL         = 24 * time.Hour
	DefaultLockTimeout = 2 * time.Minute
)

// State of a stored key.
const (
	stateInFlight  = "in_flight"
	stateCompleted = "completed"
)

// Outcome of a claim.
type Outcome int

// Outcomes of Store.Claim.
const (
	// Claimed: the caller owns the key and must Complete or Release it.
	Claimed Outcome = iota + 1
	// InFlight: another request with the same key and body is running.
	InFlight
	// Completed: the key has a stored response to replay.
	Completed
	// Mismatch: the key was used for a different request.
	Mismatch
)

func (o Outcome) String() string {
	switch o {
	case Claimed:
		return "claimed"
	case InFlight:
		return "in_flight"
	case Completed:
		return "completed"
	case Mismatch:
		return "mismatch"
	default:
		return fmt.Sprintf("outcome(%d)", int(o))
	}
}

// Fingerprint identifies a request: SHA-256 over method, path, raw query and
// body, each length-prefixed so no two different requests can collide by
// shifting bytes between fields.
type Fingerprint [sha256.Size]byte

// NewFingerprint computes the fingerprint of a request.
func NewFingerprint(method, path, rawQuery string, body []byte) Fingerprint {
	h := sha256.New()
	var n [8]byte
	for _, part := range [][]byte{[]byte(method), []byte(path), []byte(rawQuery), body} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var fp Fingerprint
	h.Sum(fp[:0])
	return fp
}

// Request describes what is being claimed.
type Request struct {
	Scope       string
	Key         string
	Fingerprint Fingerprint
	Method      string
	Path        string
}

// Response is a stored response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Claim is the result of Store.Claim.
type Claim struct {
	Outcome Outcome
	// Token identifies the claim; Complete and Release need it so that a
	// request whose claim was taken over cannot overwrite its successor.
	Token uuid.UUID
	// Response is set when Outcome is Completed.
	Response *Response
}

// StoreConfig configures a Store.
type StoreConfig struct {
	// Table is the schema-qualified table, e.g. "gateway.idempotency_keys".
	Table string
	// TTL is how long a key is kept (DefaultTTL when 0).
	TTL time.Duration
	// LockTimeout is how long an in-flight claim is honoured before it is
	// presumed abandoned (DefaultLockTimeout when 0).
	LockTimeout time.Duration
}

// Store keeps idempotency keys in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool        *pgxpool.Pool
	ttl         time.Duration
	lockTimeout time.Duration

	claimSQL, completeSQL, releaseSQL, purgeSQL string
}

// NewStore returns a store over pool and cfg.Table.
func NewStore(pool *pgxpool.Pool, cfg StoreConfig) (*Store, error) {
	if pool == nil {
		return nil, errors.New("idempotency: nil pool")
	}
	schema, table, ok := strings.Cut(cfg.Table, ".")
	if !ok || schema == "" || table == "" || strings.Contains(table, ".") {
		return nil, fmt.Errorf("idempotency: table %q must be schema.table", cfg.Table)
	}
	if cfg.TTL < 0 || cfg.LockTimeout < 0 {
		return nil, errors.New("idempotency: TTL and LockTimeout must not be negative")
	}
	s := &Store{pool: pool, ttl: cfg.TTL, lockTimeout: cfg.LockTimeout}
	if s.ttl == 0 {
		s.ttl = DefaultTTL
	}
	if s.lockTimeout == 0 {
		s.lockTimeout = DefaultLockTimeout
	}
	t := pgx.Identifier{schema, table}.Sanitize()

	// One round trip: the CTE claims the key (fresh, expired or abandoned)
	// or, when it is held, the outer SELECT returns the row as it was. The
	// rare race where a concurrent claim commits after this statement's
	// snapshot yields no row at all; Claim then simply tries again.
	s.claimSQL = `WITH claim AS (
	INSERT INTO ` + t + ` AS k (scope, key, fingerprint, claim_token, state, request_method, request_path, created_at, locked_at, expires_at)
	VALUES ($1, $2, $3, $4, 'in_flight', $5, $6, now(), now(), now() + make_interval(secs => $7))
	ON CONFLICT (scope, key) DO UPDATE SET
		fingerprint = EXCLUDED.fingerprint, claim_token = EXCLUDED.claim_token, state = 'in_flight',
		request_method = EXCLUDED.request_method, request_path = EXCLUDED.request_path,
		response_status = NULL, response_headers = NULL, response_body = NULL,
		created_at = now(), locked_at = now(), completed_at = NULL, expires_at = EXCLUDED.expires_at
	WHERE k.expires_at <= now() OR (k.state = 'in_flight' AND k.locked_at <= now() - make_interval(secs => $8))
	RETURNING 1
)
SELECT true, NULL::bytea, NULL::text, NULL::integer, NULL::jsonb, NULL::bytea FROM claim
UNION ALL
SELECT false, fingerprint, state, response_status, response_headers, response_body FROM ` + t + `
WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM claim)`

	s.completeSQL = `UPDATE ` + t + ` SET state = 'completed', response_status = $4, response_headers = $5,
	response_body = $6, completed_at = now()
WHERE scope = $1 AND key = $2 AND claim_token = $3 AND state = 'in_flight'`
	s.releaseSQL = `DELETE FROM ` + t + ` WHERE scope = $1 AND key = $2 AND claim_token = $3 AND state = 'in_flight'`
	s.purgeSQL = `DELETE FROM ` + t + ` WHERE ctid IN (SELECT ctid FROM ` + t + ` WHERE expires_at <= now() LIMIT $1)`
	return s, nil
}

// ErrLostClaim means Complete or Release found the claim gone or taken over:
// the request outlived the lock timeout.
var ErrLostClaim = errors.New("idempotency: claim lost (taken over after the lock timeout, or expired)")

// Claim tries to take the key for req.
func (s *Store) Claim(ctx context.Context, req Request) (Claim, error) {
	token, err := uuid.NewV7()
	if err != nil {
		return Claim{}, fmt.Errorf("idempotency: claim token: %w", err)
	}
	for range 3 {
		var (
			claimed     bool
			fingerprint []byte
			state       *string
			status      *int32
			headersJSON []byte
			body        []byte
		)
		err := s.pool.QueryRow(ctx, s.claimSQL, req.Scope, req.Key, req.Fingerprint[:], token,
			req.Method, req.Path, s.ttl.Seconds(), s.lockTimeout.Seconds()).
			Scan(&claimed, &fingerprint, &state, &status, &headersJSON, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // see claimSQL: a concurrent claim raced us; look again
		}
		if err != nil {
			return Claim{}, fmt.Errorf("idempotency: claim: %w", err)
		}
		if claimed {
			return Claim{Outcome: Claimed, Token: token}, nil
		}
		if string(fingerprint) != string(req.Fingerprint[:]) {
			return Claim{Outcome: Mismatch}, nil
		}
		if state == nil || *state != stateCompleted || status == nil {
			return Claim{Outcome: InFlight}, nil
		}
		resp := &Response{Status: int(*status), Header: http.Header{}, Body: body}
		if len(headersJSON) > 0 {
			if err := json.Unmarshal(headersJSON, &resp.Header); err != nil {
				return Claim{}, fmt.Errorf("idempotency: stored headers: %w", err)
			}
		}
		return Claim{Outcome: Completed, Response: resp}, nil
	}
	return Claim{}, errors.New("idempotency: claim: the key kept changing under concurrent requests")
}

// Complete stores the response of a claimed key.
func (s *Store) Complete(ctx context.Context, req Request, token uuid.UUID, resp Response) error {
	headers, err := json.Marshal(resp.Header)
	if err != nil {
		return fmt.Errorf("idempotency: encode headers: %w", err)
	}
	body := resp.Body
	if body == nil {
		body = []byte{} // NOT NULL-ish: an empty body is stored as empty, not unknown
	}
	tag, err := s.pool.Exec(ctx, s.completeSQL, req.Scope, req.Key, token, resp.Status, headers, body)
	if err != nil {
		return fmt.Errorf("idempotency: complete: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLostClaim
	}
	return nil
}

// Release deletes a claimed key so that a retry can run.
func (s *Store) Release(ctx context.Context, req Request, token uuid.UUID) error {
	tag, err := s.pool.Exec(ctx, s.releaseSQL, req.Scope, req.Key, token)
	if err != nil {
		return fmt.Errorf("idempotency: release: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLostClaim
	}
	return nil
}

// Purge deletes up to batch expired rows and returns how many it deleted.
func (s *Store) Purge(ctx context.Context, batch int) (int64, error) {
	if batch <= 0 {
		batch = 1000
	}
	tag, err := s.pool.Exec(ctx, s.purgeSQL, batch)
	if err != nil {
		return 0, fmt.Errorf("idempotency: purge: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RunPurger deletes expired rows every interval until ctx ends. Expired rows
// are already ignored by Claim, so purging is only about disk space; errors
// are logged and retried at the next tick.
func (s *Store) RunPurger(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.Purge(ctx, 1000)
			if err != nil {
				if ctx.Err() == nil && logger != nil {
					logger.WarnContext(ctx, "purge expired idempotency keys", "error", err)
				}
				break
			}
			if n > 0 && logger != nil {
				logger.DebugContext(ctx, "purged expired idempotency keys", "count", n)
			}
			if n < 1000 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
