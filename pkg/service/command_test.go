package service_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/events"
	"reos.dev/pkg/service"
	"reos.dev/pkg/testkit"
)

// withCommands is demoSpec with extra subcommands.
func withCommands(t *testing.T, cmds map[string]service.Command[demoConfig]) service.Spec[demoConfig] {
	spec := demoSpec(t)
	spec.Commands = cmds
	return spec
}

// TestCommandsDispatch: a service's own command is listed by help, refuses
// to run on a schema that is behind (as serve does), and once migrated runs
// with its arguments, the service's configuration and a working pool as
// the service role, writing to stdout; names of built-ins, non-words and
// commands without Run are refused.
func TestCommandsDispatch(t *testing.T) {
	db := testkit.NewDatabase(t)
	t.Setenv("DATABASE_URL", db.URL)
	t.Setenv("GREETING", "hi")
	var got []string
	spec := withCommands(t, map[string]service.Command[demoConfig]{
		"count": {Args: "<table>...", Summary: "count rows", Run: func(ctx context.Context, rt service.Runtime[demoConfig], args []string, out io.Writer) error {
			var n int
			if err := rt.Pool.QueryRow(ctx, `SELECT count(*) FROM demo.greetings`).Scan(&n); err != nil {
				return err
			}
			got = args
			_, err := fmt.Fprintf(out, "%s: %d rows (serving %v, redis %v)\n", rt.Config.Greeting, n, rt.Serving, rt.Redis != nil)
			return err
		}},
		"audit": {Summary: "another", Run: func(context.Context, service.Runtime[demoConfig], []string, io.Writer) error { return nil }},
	})

	var out bytes.Buffer
	if err := service.Run(t.Context(), spec, []string{"help"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	if !strings.Contains(help, "usage: demo [serve | migrate up | migrate status | seed | audit | count]") ||
		!strings.Contains(help, "\n  count <table>...\n      count rows") {
		t.Fatalf("help does not list the commands:\n%s", help)
	}

	if err := service.Run(t.Context(), spec, []string{"count"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "refusing to start") {
		t.Fatalf("count on an empty database = %v, want a refusal", err)
	}
	if err := service.Run(t.Context(), spec, []string{"migrate", "up"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := service.Run(t.Context(), spec, []string{"count", "a", "--b"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if out.String() != "hi: 0 rows (serving false, redis false)\n" || !slices.Equal(got, []string{"a", "--b"}) {
		t.Fatalf("count printed %q with args %v", out.String(), got)
	}

	// Unknown commands still name the usage, which lists the extra ones.
	if err := service.Run(t.Context(), spec, []string{"frobnicate"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "| count]") {
		t.Fatalf("unknown command = %v", err)
	}

	noop := func(context.Context, service.Runtime[demoConfig], []string, io.Writer) error { return nil }
	for name, cmd := range map[string]service.Command[demoConfig]{
		"serve": {Run: noop}, "migrate": {Run: noop}, "help": {Run: noop}, "--help": {Run: noop},
		"two words": {Run: noop}, "": {Run: noop}, "norun": {},
	} {
		err := service.Run(t.Context(), withCommands(t, map[string]service.Command[demoConfig]{name: cmd}), []string{"migrate", "status"}, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("command %q accepted", name)
		}
	}
}

// TestRepublishCommand: the shared republish command parses --org
// (repeatable, any UUID spelling, each organisation once) and --batch-size,
// runs the service's Republisher with them and prints its progress; bad
// flags, stray arguments and out-of-range sizes are errors naming the
// usage, found before the database is even opened (here: one whose schema
// is behind), as is -h.
func TestRepublishCommand(t *testing.T) {
	db := testkit.NewDatabase(t)
	t.Setenv("DATABASE_URL", db.URL)
	var batches []string
	plan := func(rt service.Runtime[demoConfig]) (events.Republisher, error) {
		if rt.Pool == nil {
			return events.Republisher{}, fmt.Errorf("no pool")
		}
		return events.Republisher{
			Orgs: func(context.Context, string, int) ([]string, error) {
				return []string{"0190aaaa-0000-7000-8000-000000000001"}, nil
			},
			Kinds: []events.SnapshotKind{{Name: "things", Batch: func(_ context.Context, org, after string, limit int) (string, int, error) {
				batches = append(batches, fmt.Sprintf("%s %q %d", org, after, limit))
				if after == "" {
					return "k1", limit, nil
				}
				return "k2", 1, nil
			}}},
		}, nil
	}
	spec := withCommands(t, map[string]service.Command[demoConfig]{"republish": service.RepublishCommand(plan)})
	for _, args := range [][]string{
		{"--org", "not-a-uuid"}, {"--org", "00000000-0000-0000-0000-000000000000"}, {"--batch-size", "0"},
		{"--batch-size", "10001"}, {"--org", "0190bbbb-0000-7000-8000-00000000000a", "extra"}, {"--frobnicate"},
	} {
		err := service.Run(t.Context(), spec, append([]string{"republish"}, args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "usage: demo republish [--org <uuid>]... [--batch-size <n>]") {
			t.Errorf("republish %v = %v, want a usage error", args, err)
		}
	}
	var help bytes.Buffer
	if err := service.Run(t.Context(), spec, []string{"republish", "-h"}, &help, io.Discard); err != nil ||
		!strings.HasPrefix(help.String(), "usage: demo republish [--org <uuid>]... [--batch-size <n>]\n  write snapshot events") {
		t.Fatalf("republish -h: %v %q", err, help.String())
	}
	if err := service.Run(t.Context(), spec, []string{"republish"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "refusing to start") {
		t.Fatalf("republish on a schema that is behind = %v, want a refusal", err)
	}
	if len(batches) != 0 {
		t.Fatalf("batches ran before the schema was current: %v", batches)
	}
	if err := service.Run(t.Context(), spec, []string{"migrate", "up"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	const a, b = "0190bbbb-0000-7000-8000-00000000000a", "0190cccc-0000-7000-8000-00000000000b"
	err := service.Run(t.Context(), spec, []string{"republish", "--org", a, "-org=" + strings.ToUpper(b), "--org", strings.ToUpper(a), "--batch-size", "2"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a + ` "" 2`, a + ` "k1" 2`, b + ` "" 2`, b + ` "k1" 2`}
	if !slices.Equal(batches, want) {
		t.Fatalf("batches %v, want %v", batches, want)
	}
	if !strings.Contains(out.String(), "org "+a+" things: 3\n") || !strings.HasSuffix(out.String(), "republished 2 organisations: 6 things\n") {
		t.Fatalf("output %q", out.String())
	}

	batches = nil
	out.Reset()
	if err := service.Run(t.Context(), spec, []string{"republish"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(batches) != 2 || !strings.HasPrefix(batches[0], "0190aaaa-0000-7000-8000-000000000001 \"\" 500") {
		t.Fatalf("without --org: batches %v, want every organisation in batches of 500", batches)
	}
}
