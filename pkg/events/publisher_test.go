package events

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPublisherWritesTheContextsEventsInOrder: one event and a batch land
// in the outbox on the context's topic, under their keys, as CloudEvents of
// the publisher's source with the subject and org given; an event without
// a key or subject, or with an invalid type, enqueues nothing of its batch.
func TestPublisherWritesTheContextsEventsInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := NewPublisher(testSchema, "test", "reos.test")
	const org = "0190a5d0-0000-7000-8000-000000000001"
	publish := func(evs ...Pending) error {
		return pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return p.Publish(ctx, tx, org, evs...) })
	}
	if err := publish(); err != nil {
		t.Fatalf("publishing nothing: %v", err)
	}
	if err := publish(Pending{Type: "reos.test.lead.created", Subject: "lead/l1", Key: "l1", Data: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := publish(
		Pending{Type: "reos.test.lead.updated", Subject: "lead/l1", Key: "l1"},
		Pending{Type: "reos.test.deal.created", Subject: "deal/d1", Key: "d1"},
	); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]Pending{
		{{Type: "reos.test.lead.updated", Subject: "lead/l2", Key: "l2"}, {Type: "reos.test.lead.updated", Subject: "lead/l3"}},
		{{Type: "reos.test.lead.updated", Key: "l4"}},
		{{Type: "nope", Subject: "lead/l5", Key: "l5"}},
	} {
		if err := publish(bad...); err == nil {
			t.Fatalf("Publish(%+v) = nil, want an error", bad)
		}
	}

	rows, err := f.pool.Query(ctx, `SELECT topic, msg_key, payload::text FROM svc.outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		topic, key string
		ev         Event
	}
	var got []row
	for rows.Next() {
		var r row
		var payload string
		if err := rows.Scan(&r.topic, &r.key, &payload); err != nil {
			t.Fatal(err)
		}
		if r.ev, err = Decode([]byte(payload)); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []struct{ typ, subject, key string }{
		{"reos.test.lead.created", "lead/l1", "l1"}, {"reos.test.lead.updated", "lead/l1", "l1"}, {"reos.test.deal.created", "deal/d1", "d1"},
	}
	if len(got) != len(want) {
		t.Fatalf("outbox holds %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.topic != Topic("test") || g.key != w.key || g.ev.Type != w.typ || g.ev.Subject != w.subject ||
			g.ev.Source != "reos.test" || g.ev.OrgID != org {
			t.Errorf("row %d = %s %s %+v, want %s %+v", i, g.topic, g.key, g.ev, Topic("test"), w)
		}
	}
	if !strings.Contains(string(got[0].ev.Data), `"a":"1"`) {
		t.Errorf("first event's data = %s", got[0].ev.Data)
	}
}
