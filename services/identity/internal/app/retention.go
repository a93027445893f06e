package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"reos.dev/services/identity/internal/domain"
)

// Retention defaults (see docs/architecture.md, identity: Retention).
const (
	// DefaultAttemptRetention keeps login attempts, which hold IP addresses
	// and User-Agents, for 90 days.
	DefaultAttemptRetention = 90 * 24 * time.Hour
	// DefaultRefreshRetention keeps a refresh token row 30 days after its
	// token can no longer be presented.
	DefaultRefreshRetention = 30 * 24 * time.Hour
	// DefaultRetentionInterval is how often the retention worker prunes.
	DefaultRetentionInterval = time.Hour
	// RetentionBatch is how many rows one delete statement removes at most.
	RetentionBatch = 5000
)

// RetentionStore deletes expired rows a batch at a time. The cut-off is the
// database's clock minus keep; the store enforces floors of its own, so a
// keep below them deletes less, never more.
type RetentionStore interface {
	// Exclusive runs fn while holding the cluster-wide retention lock. It
	// does not wait: ran is false when another replica holds the lock.
	Exclusive(ctx context.Context, fn func(context.Context) error) (ran bool, err error)
	// PruneAttempts deletes at most limit login attempts older than keep,
	// of every organisation and of unknown emails.
	PruneAttempts(ctx context.Context, keep time.Duration, limit int) (int, error)
	// PruneRefreshTokens deletes at most limit refresh token rows whose
	// token could not be presented any more for keep.
	PruneRefreshTokens(ctx context.Context, keep time.Duration, limit int) (int, error)
	// PruneThrottles deletes at most limit login throttles unchanged for
	// keep and not locked.
	PruneThrottles(ctx context.Context, keep time.Duration, limit int) (int, error)
}

// RetentionConfig tunes the retention worker.
type RetentionConfig struct {
	// AttemptRetention is how long login attempts are kept; idle login
	// throttles go after the same time (at least domain.LockoutMemory).
	AttemptRetention time.Duration
	// RefreshRetention is how long a refresh token row is kept after its
	// token could last be presented.
	RefreshRetention time.Duration
	// Interval is the pause between runs of Run; 0 turns Run off.
	Interval time.Duration
	// BatchSize defaults to RetentionBatch.
	BatchSize int
}

// RetentionReport counts what one Prune deleted. Skipped is set when
// another replica held the lock and nothing was done.
type RetentionReport struct {
	Attempts      int
	RefreshTokens int
	Throttles     int
	Skipped       bool
}

// Retention prunes login attempts, refresh token rows and login throttles.
type Retention struct {
	cfg   RetentionConfig
	store RetentionStore
	log   *slog.Logger
}

// NewRetention returns the retention use case; zero durations take the
// defaults, except Interval (0 = off).
func NewRetention(cfg RetentionConfig, store RetentionStore, logger *slog.Logger) (*Retention, error) {
	if store == nil || logger == nil {
		return nil, errors.New("app: NewRetention: nil store or logger")
	}
	if cfg.AttemptRetention <= 0 {
		cfg.AttemptRetention = DefaultAttemptRetention
	}
	if cfg.RefreshRetention <= 0 {
		cfg.RefreshRetention = DefaultRefreshRetention
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = RetentionBatch
	}
	return &Retention{cfg: cfg, store: store, log: logger.With("component", "identity-retention")}, nil
}

// Prune deletes every expired row now, a batch per statement until a batch
// comes back short, unless another replica is pruning.
func (r *Retention) Prune(ctx context.Context) (RetentionReport, error) {
	var rep RetentionReport
	// A throttle keeps the lockout level for LockoutMemory after its last
	// change; pruning it sooner would reset the doubling.
	throttleKeep := max(r.cfg.AttemptRetention, domain.LockoutMemory)
	ran, err := r.store.Exclusive(ctx, func(ctx context.Context) error {
		var err error
		if rep.Attempts, err = r.drain(ctx, r.store.PruneAttempts, r.cfg.AttemptRetention); err != nil {
			return err
		}
		if rep.RefreshTokens, err = r.drain(ctx, r.store.PruneRefreshTokens, r.cfg.RefreshRetention); err != nil {
			return err
		}
		rep.Throttles, err = r.drain(ctx, r.store.PruneThrottles, throttleKeep)
		return err
	})
	rep.Skipped = !ran && err == nil
	return rep, err
}

func (r *Retention) drain(ctx context.Context, prune func(context.Context, time.Duration, int) (int, error), keep time.Duration) (int, error) {
	total := 0
	for {
		n, err := prune(ctx, keep, r.cfg.BatchSize)
		total += n
		if err != nil || n < r.cfg.BatchSize {
			return total, err
		}
	}
}

// Run prunes at once and then every Interval until ctx ends. A failed run
// is logged and retried at the next interval: retention is housekeeping,
// and must not take the service down with it.
func (r *Retention) Run(ctx context.Context) error {
	if r.cfg.Interval <= 0 {
		<-ctx.Done()
		return nil
	}
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		rep, err := r.Prune(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			r.log.ErrorContext(ctx, "retention run failed", "error", err,
				"login_attempts", rep.Attempts, "refresh_tokens", rep.RefreshTokens, "login_throttles", rep.Throttles)
		case rep.Skipped:
			r.log.DebugContext(ctx, "retention run skipped: another replica holds the lock")
		default:
			r.log.InfoContext(ctx, "retention run",
				"login_attempts", rep.Attempts, "refresh_tokens", rep.RefreshTokens, "login_throttles", rep.Throttles)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
