package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"

	"reos.dev/pkg/config"
	"reos.dev/pkg/events"
	"reos.dev/pkg/health"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/telemetry"
)

// Command is an operator subcommand of one service (Spec.Commands): it
// works on the service's database and exits, and may run while instances
// of the service are serving.
type Command[C any] struct {
	// Args is the synopsis of its arguments for help ("[--org <uuid>]...").
	Args string
	// Summary says in one line what it does.
	Summary string
	// CheckArgs, if set, checks the arguments before anything is opened,
	// so a mistyped flag fails without touching the database; returning
	// flag.ErrHelp prints the command's usage and succeeds.
	CheckArgs func(args []string) error
	// Run runs it with the arguments that follow its name, writing its
	// output to out. rt has the configuration, the logger, metrics, a
	// health checker and a pool as the service role on a schema that is
	// current; Redis is nil and Serving false.
	Run func(ctx context.Context, rt Runtime[C], args []string, out io.Writer) error
}

// builtinCommands are the subcommands every service has; a service's own
// command may not take their names.
var builtinCommands = []string{"serve", "migrate", "seed", "help", "-h", "--help"}

func checkCommands[C any](cmds map[string]Command[C]) error {
	var errs []error
	for name, c := range cmds {
		switch {
		case name == "" || strings.HasPrefix(name, "-") || strings.ContainsAny(name, " \t\n"):
			errs = append(errs, fmt.Errorf("command name %q is not a word", name))
		case slices.Contains(builtinCommands, name):
			errs = append(errs, fmt.Errorf("command %q would replace the built-in one", name))
		case c.Run == nil:
			errs = append(errs, fmt.Errorf("command %q has no Run", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	return nil
}

// runCommand loads the configuration as serve does, opens the pool on a
// current schema (a command must not write through an outdated schema any
// more than serve may) and runs c.
func runCommand[C any](ctx context.Context, spec Spec[C], name string, c Command[C], args []string, stdout, stderr io.Writer) error {
	if c.CheckArgs != nil {
		err := c.CheckArgs(args)
		if errors.Is(err, flag.ErrHelp) {
			_, err = fmt.Fprintf(stdout, "usage: %s %s %s\n  %s\n", spec.Name, name, c.Args, c.Summary)
			return err
		}
		if err != nil {
			return fmt.Errorf("%s: %w\nusage: %s %s %s", name, err, spec.Name, name, c.Args)
		}
	}
	common, cfg, err := LoadConfig(spec, config.FromEnv())
	if err != nil {
		return err
	}
	logger := logging.New(stderr, common.LogLevel, spec.Name)
	pool, err := openPool(ctx, spec.Database, common)
	if err != nil {
		return err
	}
	defer pool.Close()
	return c.Run(ctx, Runtime[C]{Config: cfg, Common: common, Logger: logger, Pool: pool,
		Metrics: telemetry.NewMetrics(spec.Name), Health: health.New(logger)}, args, stdout)
}

// RepublishCommand is the `republish` command of a service whose events
// feed other services' read models. It writes snapshot events of the
// current state of the organisations named by --org (repeatable; without
// it every organisation) into the service's outbox, --batch-size
// aggregates per transaction (events.Republisher.Run), for the serving
// instances' relay to publish, and prints its progress. plan builds what
// the service snapshots.
func RepublishCommand[C any](plan func(rt Runtime[C]) (events.Republisher, error)) Command[C] {
	return Command[C]{
		Args: "[--org <uuid>]... [--batch-size <n>]",
		Summary: "write snapshot events of the current state of the organisations (default: all) to the outbox, " +
			"for consumers to rebuild their read models",
		CheckArgs: func(args []string) error {
			_, err := parseRepublishArgs(args)
			return err
		},
		Run: func(ctx context.Context, rt Runtime[C], args []string, out io.Writer) error {
			opts, err := parseRepublishArgs(args)
			if err != nil {
				return err
			}
			r, err := plan(rt)
			if err != nil {
				return err
			}
			opts.Progress = out
			_, err = r.Run(ctx, opts)
			return err
		},
	}
}

// parseRepublishArgs reads republish's flags: --org (canonical, once each)
// and --batch-size; nothing else.
func parseRepublishArgs(args []string) (events.RepublishOptions, error) {
	var orgs orgFlag
	fs := flag.NewFlagSet("republish", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&orgs, "org", "organisation id (repeatable)")
	batch := fs.Int("batch-size", events.DefaultRepublishBatch, "aggregates per transaction")
	if err := fs.Parse(args); err != nil {
		return events.RepublishOptions{}, err
	}
	if fs.NArg() > 0 {
		return events.RepublishOptions{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *batch < 1 || *batch > events.MaxRepublishBatch {
		return events.RepublishOptions{}, fmt.Errorf("--batch-size must be between 1 and %d", events.MaxRepublishBatch)
	}
	return events.RepublishOptions{Orgs: orgs, BatchSize: *batch}, nil
}

// orgFlag collects --org values as canonical organisation ids.
type orgFlag []string

func (o *orgFlag) String() string { return strings.Join(*o, ",") }

func (o *orgFlag) Set(v string) error {
	id, err := uuid.Parse(v)
	if err != nil || id == uuid.Nil {
		return fmt.Errorf("%q is not an organisation id (a non-nil UUID)", v)
	}
	if !slices.Contains(*o, id.String()) {
		*o = append(*o, id.String())
	}
	return nil
}
