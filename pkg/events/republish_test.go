package events_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/events"
)

// fakeTenants is an in-memory producer: organisations with their
// aggregates' keys per kind, sorted. It records every call.
type fakeTenants struct {
	orgs    []string
	keys    map[string]map[string][]string // org → kind → sorted keys
	written map[string][]string            // "org kind" → keys snapshotted, in order
	batches []string                       // "org kind after limit" per Batch call
	pages   int                            // Orgs calls
	failOn  string                         // "org kind": Batch fails there
}

func newFakeTenants(orgs int, perKind map[string]int) *fakeTenants {
	f := &fakeTenants{keys: map[string]map[string][]string{}, written: map[string][]string{}}
	for o := range orgs {
		org := fmt.Sprintf("org-%04d", o)
		f.orgs = append(f.orgs, org)
		f.keys[org] = map[string][]string{}
		for kind, n := range perKind {
			for i := range n + o%3 { // organisations differ in size
				f.keys[org][kind] = append(f.keys[org][kind], fmt.Sprintf("%s-%05d", kind, i))
			}
		}
	}
	return f
}

func (f *fakeTenants) listOrgs(_ context.Context, after string, limit int) ([]string, error) {
	f.pages++
	i, _ := slices.BinarySearch(f.orgs, after)
	if i < len(f.orgs) && f.orgs[i] == after {
		i++
	}
	return f.orgs[i:min(i+limit, len(f.orgs))], nil
}

func (f *fakeTenants) kind(name string) events.SnapshotKind {
	return events.SnapshotKind{Name: name, Batch: func(_ context.Context, org, after string, limit int) (string, int, error) {
		f.batches = append(f.batches, fmt.Sprintf("%s %s %q %d", org, name, after, limit))
		if f.failOn == org+" "+name {
			return "", 0, errors.New("boom")
		}
		keys := f.keys[org][name]
		i, _ := slices.BinarySearch(keys, after)
		if i < len(keys) && keys[i] == after {
			i++
		}
		page := keys[i:min(i+limit, len(keys))]
		f.written[org+" "+name] = append(f.written[org+" "+name], page...)
		if len(page) == 0 {
			return "", 0, nil
		}
		return page[len(page)-1], len(page), nil
	}}
}

func (f *fakeTenants) republisher(kinds ...string) events.Republisher {
	r := events.Republisher{Orgs: f.listOrgs}
	for _, k := range kinds {
		r.Kinds = append(r.Kinds, f.kind(k))
	}
	return r
}

// TestRepublishEveryOrganisation: without Orgs, a run pages through every
// organisation (250 over three pages of 100), snapshots every aggregate of
// every kind exactly once and in key order, in batches of the asked size
// that each start after the previous batch's last key, and reports and
// prints the counts.
func TestRepublishEveryOrganisation(t *testing.T) {
	t.Parallel()
	f := newFakeTenants(250, map[string]int{"users": 7, "teams": 2})
	var out strings.Builder
	rep, err := f.republisher("users", "teams").Run(t.Context(), events.RepublishOptions{BatchSize: 3, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	if f.pages != 3 {
		t.Errorf("%d pages of organisations, want 3", f.pages)
	}
	wantUsers, wantTeams := 0, 0
	for _, org := range f.orgs {
		for kind, keys := range f.keys[org] {
			if got := f.written[org+" "+kind]; !slices.Equal(got, keys) {
				t.Fatalf("%s %s: snapshotted %v, want %v", org, kind, got, keys)
			}
		}
		wantUsers += len(f.keys[org]["users"])
		wantTeams += len(f.keys[org]["teams"])
	}
	want := events.RepublishReport{Orgs: 250, Events: []events.KindCount{{Kind: "users", N: wantUsers}, {Kind: "teams", N: wantTeams}}}
	if rep.Orgs != want.Orgs || !slices.Equal(rep.Events, want.Events) {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
	// org-0001 has 8 users: batches of 3, 3, 2 (the short one ends it).
	var org1 []string
	for _, b := range f.batches {
		if strings.HasPrefix(b, "org-0001 users") {
			org1 = append(org1, b)
		}
	}
	if w := []string{`org-0001 users "" 3`, `org-0001 users "users-00002" 3`, `org-0001 users "users-00005" 3`}; !slices.Equal(org1, w) {
		t.Fatalf("org-0001's user batches %v, want %v", org1, w)
	}
	if !strings.Contains(out.String(), "org org-0001 users: 8\n") ||
		!strings.HasSuffix(out.String(), "republished "+want.String()+"\n") {
		t.Fatalf("progress output ends with %q", out.String()[max(0, out.Len()-300):])
	}
}

// TestRepublishChosenOrganisations: with Orgs, only those are snapshotted
// (the organisation list is never read); an exact multiple of the batch
// size ends with one empty batch.
func TestRepublishChosenOrganisations(t *testing.T) {
	t.Parallel()
	f := newFakeTenants(10, map[string]int{"properties": 4})
	rep, err := f.republisher("properties").Run(t.Context(), events.RepublishOptions{Orgs: []string{"org-0003", "org-0000"}, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if f.pages != 0 {
		t.Errorf("organisations listed %d times", f.pages)
	}
	if len(f.written) != 2 || len(f.written["org-0003 properties"]) != 4 || len(f.written["org-0000 properties"]) != 4 {
		t.Fatalf("written %v", f.written)
	}
	if rep.Orgs != 2 || rep.Events[0].N != 8 {
		t.Fatalf("report %+v", rep)
	}
	if n := len(f.batches); n != 6 { // 2+2+empty per organisation
		t.Fatalf("%d batches: %v", n, f.batches)
	}
}

// TestRepublishFailures: a failing batch stops the run with an error that
// names the kind and organisation, after the batches before it; bad
// settings and a republisher without kinds are refused before any batch;
// a cancelled context stops the run.
func TestRepublishFailures(t *testing.T) {
	t.Parallel()
	f := newFakeTenants(3, map[string]int{"users": 2})
	f.failOn = "org-0001 users"
	rep, err := f.republisher("users").Run(t.Context(), events.RepublishOptions{})
	if err == nil || !strings.Contains(err.Error(), "users of organisation org-0001") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("run = %v, want the batch's error naming kind and organisation", err)
	}
	if rep.Orgs != 2 || rep.Events[0].N != 2 {
		t.Fatalf("report after the failure %+v: want org-0000's 2 users counted", rep)
	}

	f = newFakeTenants(1, map[string]int{"users": 2})
	for name, run := range map[string]func() error{
		"batch size": func() error {
			_, err := f.republisher("users").Run(t.Context(), events.RepublishOptions{BatchSize: events.MaxRepublishBatch + 1})
			return err
		},
		"no kinds": func() error {
			_, err := events.Republisher{Orgs: f.listOrgs}.Run(t.Context(), events.RepublishOptions{})
			return err
		},
		"no org lister": func() error {
			_, err := events.Republisher{Kinds: []events.SnapshotKind{f.kind("users")}}.Run(t.Context(), events.RepublishOptions{})
			return err
		},
	} {
		if err := run(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(f.batches) != 0 {
		t.Fatalf("batches ran despite bad settings: %v", f.batches)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.republisher("users").Run(ctx, events.RepublishOptions{Orgs: []string{"org-0000"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run = %v", err)
	}

	// A batch that reports a full page without moving on would loop forever.
	stuck := events.Republisher{Orgs: f.listOrgs, Kinds: []events.SnapshotKind{{Name: "x",
		Batch: func(context.Context, string, string, int) (string, int, error) { return "", 5, nil }}}}
	if _, err := stuck.Run(t.Context(), events.RepublishOptions{Orgs: []string{"o"}, BatchSize: 5}); err == nil || !strings.Contains(err.Error(), "did not advance") {
		t.Fatalf("stuck batch = %v", err)
	}
}
