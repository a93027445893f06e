package app

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/events"
	"reos.dev/services/portfolio/internal/domain"
)

// fakeReadModel records what ApplyPropertyEvent writes.
type fakeReadModel struct {
	known      map[string]bool // property → archived
	valuations map[string]domain.Mark
}

func newFakeReadModel() *fakeReadModel {
	return &fakeReadModel{known: map[string]bool{}, valuations: map[string]domain.Mark{}}
}

func (f *fakeReadModel) Known(_ context.Context, id string) (bool, bool, error) {
	a, ok := f.known[id]
	return ok, a, nil
}

func (f *fakeReadModel) UpsertKnown(_ context.Context, _, id string, archived *bool, _ time.Time) error {
	f.known[id] = f.known[id] || (archived != nil && *archived)
	return nil
}

func (f *fakeReadModel) AddValuation(_ context.Context, _ string, m domain.Mark) error {
	if _, ok := f.valuations[m.ValuationID]; !ok {
		f.valuations[m.ValuationID] = m
	}
	return nil
}

func (f *fakeReadModel) MarksAt(context.Context, string, time.Time) (map[string]domain.Mark, error) {
	return nil, errors.New("not used")
}

func event(t testing.TB, typ, org string, data any) events.Event {
	t.Helper()
	ev, err := events.New("reos.property", typ, "", org, data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestApplyPropertyEvent(t *testing.T) {
	t.Parallel()
	org, prop, val := uuid.NewString(), uuid.NewString(), uuid.NewString()
	m := newFakeReadModel()
	ctx := context.Background()
	apply := func(typ string, data any) error { return ApplyPropertyEvent(ctx, m, event(t, typ, org, data)) }
	if err := apply(PropertyCreated, map[string]any{"property_id": prop, "org_id": org}); err != nil {
		t.Fatal(err)
	}
	if err := apply(PropertyArchived, map[string]any{"property_id": prop}); err != nil {
		t.Fatal(err)
	}
	if err := apply(PropertySnapshot, map[string]any{"property_id": prop, "archived": false}); err != nil {
		t.Fatal(err)
	}
	if !m.known[prop] {
		t.Fatal("a snapshot that says not archived unarchived the property")
	}
	v := map[string]any{"valuation_id": val, "property_id": prop, "org_id": org, "as_of": "2024-05-01", "method": "comparables",
		"estimate_cents": 123_00, "low_cents": 100_00, "high_cents": 150_00, "confidence": 80}
	for range 2 {
		if err := apply(ValuationCompleted, v); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.valuations) != 1 || m.valuations[val].EstimateCents != 123_00 || m.valuations[val].Source != MarkSourceEvent {
		t.Fatalf("valuations %+v", m.valuations)
	}
	if err := apply("reos.property.listing.created", map[string]any{"junk": true}); err != nil {
		t.Fatalf("another type must be ignored: %v", err)
	}
	for name, bad := range map[string]map[string]any{
		"bad property id":      {"property_id": "nope"},
		"another org's data":   {"property_id": prop, "org_id": uuid.NewString()},
		"bad valuation id":     {"valuation_id": "x", "property_id": prop, "as_of": "2024-05-01", "estimate_cents": 1},
		"bad as_of":            {"valuation_id": val, "property_id": prop, "as_of": "0000-01-01", "estimate_cents": 1},
		"a non-positive value": {"valuation_id": val, "property_id": prop, "as_of": "2024-05-01", "estimate_cents": 0},
	} {
		typ := ValuationCompleted
		if _, ok := bad["valuation_id"]; !ok {
			typ = PropertyUpdated
		}
		if err := apply(typ, bad); !errors.Is(err, ErrBadPropertyEvent) {
			t.Errorf("%s: %v, want ErrBadPropertyEvent", name, err)
		}
	}
	noOrg := event(t, PropertyCreated, "", map[string]any{"property_id": prop})
	if err := ApplyPropertyEvent(ctx, m, noOrg); !errors.Is(err, ErrBadPropertyEvent) {
		t.Errorf("an event without org: %v", err)
	}
}

// FuzzApplyPropertyEvent: whatever property's topic carries, the handler
// applies it, ignores it or refuses it as ErrBadPropertyEvent; it never
// panics and never records a valuation without a positive value and a
// canonical id.
func FuzzApplyPropertyEvent(f *testing.F) {
	org := "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	f.Add(ValuationCompleted, `{"valuation_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","property_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d","as_of":"2024-01-01","estimate_cents":5}`)
	f.Add(PropertyCreated, `{"property_id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d","org_id":"`+org+`"}`)
	f.Add(PropertyArchived, `{}`)
	f.Add(ValuationCompleted, `{"as_of":"2024-02-30","estimate_cents":-1}`)
	f.Add(PropertySnapshot, `[1,2]`)
	f.Fuzz(func(t *testing.T, typ, data string) {
		if !json.Valid([]byte(data)) {
			return
		}
		ev := events.Event{SpecVersion: events.SpecVersion, ID: uuid.NewString(), Source: "reos.property", Type: typ,
			Subject: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d", Time: time.Now().UTC(), DataContentType: events.ContentTypeJSON,
			Data: json.RawMessage(data), OrgID: org}
		m := newFakeReadModel()
		err := ApplyPropertyEvent(context.Background(), m, ev)
		if err != nil && !errors.Is(err, ErrBadPropertyEvent) {
			t.Fatalf("%s %s: %v", typ, data, err)
		}
		for id, v := range m.valuations {
			if !domain.ValidID(id) || !domain.ValidID(v.PropertyID) || v.EstimateCents <= 0 {
				t.Fatalf("recorded %+v from %s", v, data)
			}
		}
	})
}
