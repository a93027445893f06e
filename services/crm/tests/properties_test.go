package tests

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/server"
)

// expectPropertyRefused fails unless r is a 422 whose property_ids error
// names id.
func expectPropertyRefused(t *testing.T, r response, id, what string) {
	t.Helper()
	expectField(t, r, http.StatusUnprocessableEntity, "property_ids", what)
	if !strings.Contains(string(r.Body), id) {
		t.Fatalf("%s: problem does not name %s: %s", what, id, r)
	}
}

// TestLeadPropertyIDsMustBeKnown: property_ids on create and update are
// checked against the property read model of the caller's org: a known
// property passes; an unknown, archived or other-org property is a 422
// naming property_ids and the id. A property archived after it was put on a
// lead stays on it and may be sent back unchanged, but cannot be re-added.
func TestLeadPropertyIDsMustBeKnown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	known := e.knownProperty(agent.OrgID, false)
	other := e.knownProperty(agent.OrgID, false)
	archived := e.knownProperty(agent.OrgID, true)
	foreign := e.knownProperty(newOrg(), false)
	unknown := uuid.NewString()

	l := e.createLead(agent, map[string]any{"email": "p@example.com", "property_ids": []string{known}})
	if !slices.Equal(l.PropertyIDs, []string{known}) {
		t.Fatalf("property_ids = %v", l.PropertyIDs)
	}
	for name, id := range map[string]string{"unknown": unknown, "archived": archived, "other org's": foreign} {
		r := e.call(http.MethodPost, "/api/v1/leads", agent, map[string]any{"email": "q@example.com", "property_ids": []string{known, id}})
		expectPropertyRefused(t, r, id, "create with an "+name+" property")
		r = e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"property_ids": []string{known, id}})
		expectPropertyRefused(t, r, id, "update with an "+name+" property")
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.leads WHERE org_id = $1`, agent.OrgID); n != 1 {
		t.Fatalf("%d leads after refused creates, want 1", n)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.contacts WHERE org_id = $1`, agent.OrgID); n != 1 {
		t.Fatalf("%d contacts after refused creates, want 1", n)
	}

	// Archiving a property leaves the leads that hold it as they are.
	if _, err := e.admin.Exec(t.Context(), `UPDATE crm.known_properties SET archived = true WHERE property_id = $1`, known); err != nil {
		t.Fatal(err)
	}
	if got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+l.ID, agent, nil)); !slices.Equal(got.PropertyIDs, []string{known}) {
		t.Fatalf("after archiving its property the lead reads %v", got.PropertyIDs)
	}
	r := e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"status": "contacted", "property_ids": []string{known, other}})
	expect(t, r, http.StatusOK, "keep an archived property and add a known one")
	if got := decode[leadJSON](t, r); !slices.Equal(got.PropertyIDs, []string{known, other}) {
		t.Fatalf("property_ids = %v", got.PropertyIDs)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"property_ids": []string{other}}), http.StatusOK, "drop it")
	expectPropertyRefused(t, e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"property_ids": []string{other, known}}),
		known, "re-add the archived property")
}

// propertyEvent builds an event as the property service publishes it.
func propertyEvent(t *testing.T, typ, org, propertyID string) events.Event {
	t.Helper()
	ev, err := events.New("reos.property", typ, propertyID, org, map[string]any{"property_id": propertyID, "org_id": org, "city": "Springfield"})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestPropertyEventHandler: the read model's handler, run as the consumer
// runs it (one transaction as crm_app with app.org_id from the event).
func TestPropertyEventHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pool := e.db.Pool(t, "crm_app")
	handle := pgstore.PropertyEventHandler()
	apply := func(ev events.Event) error {
		run := func(tx pgx.Tx) error { return handle(t.Context(), tx, ev) }
		if ev.OrgID == "" {
			return postgres.InTx(t.Context(), pool, run)
		}
		return postgres.InOrgTx(t.Context(), pool, ev.OrgID, run)
	}
	state := func(org, id string) string {
		t.Helper()
		var archived bool
		err := e.admin.QueryRow(t.Context(), `SELECT archived FROM crm.known_properties WHERE org_id = $1 AND property_id = $2`, org, id).Scan(&archived)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return "unknown"
		case err != nil:
			t.Fatal(err)
		case archived:
			return "archived"
		}
		return "known"
	}
	org, p1, p2 := newOrg(), uuid.NewString(), uuid.NewString()
	steps := []struct {
		name  string
		ev    events.Event
		id    string
		state string
	}{
		{"created", propertyEvent(t, app.PropertyCreated, org, p1), p1, "known"},
		{"created again (redelivery)", propertyEvent(t, app.PropertyCreated, org, p1), p1, "known"},
		{"updated", propertyEvent(t, app.PropertyUpdated, org, p1), p1, "known"},
		{"archived", propertyEvent(t, app.PropertyArchived, org, p1), p1, "archived"},
		{"updated after archived stays archived", propertyEvent(t, app.PropertyUpdated, org, p1), p1, "archived"},
		{"created after archived (out of order) stays archived", propertyEvent(t, app.PropertyCreated, org, p1), p1, "archived"},
		{"updated of a property never seen", propertyEvent(t, app.PropertyUpdated, org, p2), p2, "known"},
		{"listing events are ignored", propertyEvent(t, "reos.property.listing.created", org, uuid.NewString()), "", ""},
	}
	for _, s := range steps {
		if err := apply(s.ev); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.id != "" {
			if got := state(org, s.id); got != s.state {
				t.Fatalf("%s: property is %s, want %s", s.name, got, s.state)
			}
		}
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.known_properties`); n != 2 {
		t.Fatalf("%d read model rows, want 2", n)
	}
	// The other org does not see them.
	if got := state(newOrg(), p1); got != "unknown" {
		t.Fatalf("another org's read model has p1: %s", got)
	}

	// Events the read model cannot apply are errors (the consumer retries,
	// then logs and skips them).
	bad := propertyEvent(t, app.PropertyCreated, org, "not-a-uuid")
	noOrg := propertyEvent(t, app.PropertyCreated, "", uuid.NewString())
	mismatch, err := events.New("reos.property", app.PropertyCreated, p1, org, map[string]any{"property_id": p1, "org_id": newOrg()})
	if err != nil {
		t.Fatal(err)
	}
	for name, ev := range map[string]events.Event{"bad id": bad, "no org": noOrg, "org mismatch": mismatch} {
		if err := apply(ev); !errors.Is(err, app.ErrBadPropertyEvent) {
			t.Errorf("%s: %v, want ErrBadPropertyEvent", name, err)
		}
	}
}

// TestPropertyConsumerFeedsReadModel: the consumer the binary runs, against
// the real broker and the real topic reos.property.events (shared, so the
// test's org is new and the group is the test's own), makes a published
// property usable on leads and an archived one refused.
func TestPropertyConsumerFeedsReadModel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	brokers := testkit.Brokers(t)
	consumer, err := server.NewPropertyConsumer(server.ConsumerOptions{
		Pool: e.db.Pool(t, "crm_app"), Brokers: brokers, Logger: logging.Discard(),
		GroupID: testkit.UniqueName(t, "crm-property-read-model"), MaxWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunInBackground(t, "consumer", consumer.Run)

	agent := e.user(newOrg(), permsAgent)
	prop := uuid.NewString()
	waitArchived := func(want bool) {
		t.Helper()
		var err error
		testkit.Eventually(t, 90*time.Second, func() bool {
			var archived bool
			err = e.admin.QueryRow(t.Context(), `SELECT archived FROM crm.known_properties WHERE org_id = $1 AND property_id = $2`,
				agent.OrgID, prop).Scan(&archived)
			if errors.Is(err, pgx.ErrNoRows) {
				err = nil
				return false
			}
			return err != nil || archived == want
		}, func() string {
			return fmt.Sprintf("read model never had property %s with archived=%v (consumer stats %+v)", prop, want, consumer.Stats())
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	publish(t, brokers, prop, propertyEvent(t, app.PropertyCreated, agent.OrgID, prop))
	waitArchived(false)
	lead := e.createLead(agent, map[string]any{"email": "consumer@example.com", "property_ids": []string{prop}})

	publish(t, brokers, prop, propertyEvent(t, app.PropertyArchived, agent.OrgID, prop))
	waitArchived(true)
	expectPropertyRefused(t, e.call(http.MethodPost, "/api/v1/leads", agent, map[string]any{"email": "late@example.com", "property_ids": []string{prop}}),
		prop, "create with a property archived through the topic")
	if got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+lead.ID, agent, nil)); !slices.Equal(got.PropertyIDs, []string{prop}) {
		t.Fatalf("lead's property_ids after archiving = %v", got.PropertyIDs)
	}
}

// publish writes ev to reos.property.events as property's relay would.
func publish(t *testing.T, brokers []string, key string, ev events.Event) {
	t.Helper()
	publishOn(t, brokers, events.Topic("property"), key, ev)
}

// publishOn writes ev to topic as a service's outbox relay would.
func publishOn(t *testing.T, brokers []string, topic, key string, ev events.Event) {
	t.Helper()
	payload, err := ev.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Publish(t, brokers, topic, key, payload,
		"content-type", "application/cloudevents+json", "ce_id", ev.ID, "ce_type", ev.Type)
}
