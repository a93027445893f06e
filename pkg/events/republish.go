package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Republishing: a producer writes *snapshot* events of its current state
// into its own outbox, so that consumers which missed the live events (a
// service deployed later, a topic whose retention dropped them, a database
// restored from an old backup) can rebuild their read models. The snapshots
// go through the outbox like every other event, keyed by the aggregate id,
// so on the topic they sit in order with the aggregate's live events; the
// serving instances' relay publishes them.

// DefaultRepublishBatch is how many aggregates one republish transaction
// snapshots unless told otherwise.
const DefaultRepublishBatch = 500

// MaxRepublishBatch bounds a batch: one transaction's events are held in
// memory and written with one COPY.
const MaxRepublishBatch = 10000

// republishOrgPage is how many organisation ids a run asks for at a time.
const republishOrgPage = 100

// SnapshotKind is one kind of aggregate a republish run snapshots.
type SnapshotKind struct {
	// Name names the kind in progress output and the report ("users").
	Name string
	// Batch writes, in one transaction scoped to orgID, the snapshot events
	// of at most limit aggregates whose keys sort after `after` ("" for the
	// first batch), in key order, and returns the key of the last one and
	// how many it wrote. A short batch means the organisation has no more.
	Batch func(ctx context.Context, orgID, after string, limit int) (last string, n int, err error)
}

// Republisher is what a service republishes: its organisations and the
// kinds of aggregate to snapshot in each, in order.
type Republisher struct {
	// Orgs lists every organisation id in order: at most limit after
	// `after` ("" for the first page). It reads across tenants, so it is
	// the one call that cannot run inside an organisation's transaction.
	Orgs  func(ctx context.Context, after string, limit int) ([]string, error)
	Kinds []SnapshotKind
}

// RepublishOptions select what a run covers.
type RepublishOptions struct {
	// Orgs limits the run to these organisations; empty means every
	// organisation Republisher.Orgs lists.
	Orgs []string
	// BatchSize is the number of aggregates per transaction
	// (DefaultRepublishBatch when 0, at most MaxRepublishBatch).
	BatchSize int
	// Progress receives one line per batch and a summary; nil is silent.
	Progress io.Writer
}

// RepublishReport counts what a run wrote.
type RepublishReport struct {
	Orgs int
	// Events counts the snapshot events written per kind, in the
	// Republisher's order of kinds.
	Events []KindCount
}

// KindCount is the number of snapshot events of one kind.
type KindCount struct {
	Kind string
	N    int
}

// String is the report as one line: "3 organisations: 12 users, 2 teams".
func (r RepublishReport) String() string {
	parts := make([]string, 0, len(r.Events))
	for _, c := range r.Events {
		parts = append(parts, fmt.Sprintf("%d %s", c.N, c.Kind))
	}
	return fmt.Sprintf("%d organisations: %s", r.Orgs, strings.Join(parts, ", "))
}

// Run snapshots every kind of every selected organisation, batch after
// batch. Memory is one batch whatever the data's size, and each batch
// commits on its own: a run that stops part-way has published what it
// committed, and running it again from the start is harmless because
// consumers apply snapshots idempotently.
func (r Republisher) Run(ctx context.Context, o RepublishOptions) (RepublishReport, error) {
	var rep RepublishReport
	if err := r.validate(); err != nil {
		return rep, err
	}
	for _, k := range r.Kinds {
		rep.Events = append(rep.Events, KindCount{Kind: k.Name})
	}
	switch {
	case o.BatchSize == 0:
		o.BatchSize = DefaultRepublishBatch
	case o.BatchSize < 0 || o.BatchSize > MaxRepublishBatch:
		return rep, fmt.Errorf("events: republish: batch size %d is not between 1 and %d", o.BatchSize, MaxRepublishBatch)
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	org := func(id string) error {
		rep.Orgs++
		for i, k := range r.Kinds {
			n, err := r.runKind(ctx, k, id, o.BatchSize, progress)
			rep.Events[i].N += n
			if err != nil {
				return fmt.Errorf("events: republish %s of organisation %s: %w", k.Name, id, err)
			}
		}
		return nil
	}
	if len(o.Orgs) > 0 {
		for _, id := range o.Orgs {
			if err := org(id); err != nil {
				return rep, err
			}
		}
	} else {
		after := ""
		for {
			ids, err := r.Orgs(ctx, after, republishOrgPage)
			if err != nil {
				return rep, fmt.Errorf("events: republish: list organisations: %w", err)
			}
			for _, id := range ids {
				if err := org(id); err != nil {
					return rep, err
				}
			}
			if len(ids) < republishOrgPage {
				break
			}
			after = ids[len(ids)-1]
		}
	}
	fmt.Fprintln(progress, "republished", rep.String())
	return rep, nil
}

// runKind pages through one kind of one organisation.
func (r Republisher) runKind(ctx context.Context, k SnapshotKind, org string, size int, progress io.Writer) (int, error) {
	total, after := 0, ""
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		last, n, err := k.Batch(ctx, org, after, size)
		if err != nil {
			return total, err
		}
		total += n
		if n > 0 {
			fmt.Fprintf(progress, "org %s %s: %d\n", org, k.Name, total)
		}
		if n < size {
			return total, nil
		}
		if last == "" || last == after {
			return total, fmt.Errorf("batch of %d after %q did not advance", n, after)
		}
		after = last
	}
}

func (r Republisher) validate() error {
	var errs []error
	if r.Orgs == nil {
		errs = append(errs, errors.New("nil Orgs"))
	}
	if len(r.Kinds) == 0 {
		errs = append(errs, errors.New("no Kinds"))
	}
	for i, k := range r.Kinds {
		if k.Name == "" || k.Batch == nil {
			errs = append(errs, fmt.Errorf("kind %d has no name or no Batch", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("events: republish: %w", err)
	}
	return nil
}
