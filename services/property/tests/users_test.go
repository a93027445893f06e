package tests

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"

	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	pgstore "reos.dev/services/property/internal/adapters/postgres"
	"reos.dev/services/property/internal/server"
)

// knownUser puts user id of org into property's users read model behind
// the API's back (as the superuser), as the consumer of
// reos.identity.events would; active false is a user identity deleted.
func (e *env) knownUser(org, id string, active bool) {
	e.t.Helper()
	if _, err := e.admin.Exec(e.t.Context(), `INSERT INTO property.known_users (org_id, user_id, active, updated_at) VALUES ($1, $2, $3, now())
ON CONFLICT (org_id, user_id) DO UPDATE SET active = EXCLUDED.active`, org, id, active); err != nil {
		e.t.Fatalf("seed known user: %v", err)
	}
}

// userState reads a user of the read model: "unknown", "active" or
// "inactive".
func (e *env) userState(org, id string) string {
	e.t.Helper()
	var active bool
	err := e.admin.QueryRow(e.t.Context(), `SELECT active FROM property.known_users WHERE org_id = $1 AND user_id = $2`, org, id).Scan(&active)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "unknown"
	case err != nil:
		e.t.Fatal(err)
	case active:
		return "active"
	}
	return "inactive"
}

// identityEvent builds an event as identity publishes it (keyed by the user).
func identityEvent(t *testing.T, typ, org, user string, extra map[string]any) events.Event {
	t.Helper()
	data := map[string]any{"user_id": user, "org_id": org, "email": user + "@example.com"}
	for k, v := range extra {
		data[k] = v
	}
	if org == "" {
		delete(data, "org_id")
	}
	ev, err := events.New("reos.identity", typ, user, org, data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestListingAgentMustBeAUserOfTheOrg: agent_user_id on POST and PUT
// /listings names an active user of the caller's organisation as the users
// read model knows it, else 422 naming agent_user_id (issue 9, defect 7):
// another organisation's user, an id identity never issued and a deleted
// user are refused alike, and nothing is written. The caller may always
// name itself; a PUT that leaves the agent as it is checks nothing (the
// listing keeps an agent deleted since). property_id is a body id too:
// another organisation's property, or none, is a 422 naming it.
func TestListingAgentMustBeAUserOfTheOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("5 Agent Street", "Raleigh", 300_000_00, nil))
	colleague, gone, later := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	e.knownUser(admin.OrgID, colleague, true)
	e.knownUser(admin.OrgID, gone, false)
	e.knownUser(admin.OrgID, later, true)
	other := e.token(newOrg(), "*")
	stranger := uuid.Must(uuid.NewV7()).String()
	e.knownUser(other.OrgID, stranger, true)
	otherProperty := e.create(other, house("6 Agent Street", "Raleigh", 1, nil))

	create := func(agent any) response {
		return e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1, "agent_user_id": agent})
	}
	r := create(colleague)
	expect(t, r, http.StatusCreated, "a colleague as agent")
	l := decode[listingJSON](t, r)
	if l.AgentUserID == nil || *l.AgentUserID != colleague {
		t.Fatalf("agent %v, want %s", l.AgentUserID, colleague)
	}
	before := scalar[int](e, `SELECT count(*) FROM property.listing_snapshots`)
	for name, agent := range map[string]string{
		"another org's user": stranger,
		"a random id":        uuid.NewString(),
		"a deleted user":     gone,
		"in upper case, still another org's user": strings.ToUpper(stranger),
	} {
		expectField(t, create(agent), http.StatusUnprocessableEntity, "agent_user_id", "POST with "+name)
		expectField(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"agent_user_id": agent}),
			http.StatusUnprocessableEntity, "agent_user_id", "PUT with "+name)
	}
	for name, body := range map[string]map[string]any{
		"another org's property": {"property_id": otherProperty.ID, "list_price_cents": 1},
		"no such property":       {"property_id": uuid.NewString(), "list_price_cents": 1},
	} {
		expectField(t, e.call(http.MethodPost, "/api/v1/listings", admin.Token, body), http.StatusUnprocessableEntity, "property_id", name)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.listing_snapshots`); n != before {
		t.Fatalf("refused requests wrote %d snapshots", n-before)
	}
	if got := decode[listingJSON](t, e.call(http.MethodGet, "/api/v1/listings/"+l.ID, admin.Token, nil)); *got.AgentUserID != colleague {
		t.Fatalf("agent became %s", *got.AgentUserID)
	}

	// The caller itself, not (yet) in the read model, and the default.
	expect(t, create(admin.UserID), http.StatusCreated, "the caller as agent")
	expect(t, e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1}),
		http.StatusCreated, "the caller by default")
	expect(t, create(nil), http.StatusCreated, "no agent")
	// Another known user, then the agent deleted in identity: the listing
	// keeps it, other changes and a PUT repeating it go through, a change
	// back to it does not.
	expect(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"agent_user_id": later}), http.StatusOK, "a new agent")
	e.knownUser(admin.OrgID, later, false)
	expect(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"list_price_cents": 2, "agent_user_id": later}),
		http.StatusOK, "the deleted agent unchanged")
	expect(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"agent_user_id": colleague}), http.StatusOK, "back to the colleague")
	expectField(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"agent_user_id": later}),
		http.StatusUnprocessableEntity, "agent_user_id", "back to the deleted agent")
}

// TestIdentityUserEvents: the users read model's handler, run as the
// consumer runs it (one transaction as property_app with app.org_id from
// the event). Registered, updated and roles_changed make a user known,
// deleted makes it inactive for good (a redelivered registration or a
// later snapshot does not revive it); snapshots make unknown users known
// and deleted snapshots delete; another organisation sees none of it;
// other identity events are ignored and malformed ones refused.
func TestIdentityUserEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pool := e.db.Pool(t, "property_app")
	handle, err := pgstore.UserEventHandler()
	if err != nil {
		t.Fatal(err)
	}
	apply := func(ev events.Event) error {
		run := func(tx pgx.Tx) error { return handle(t.Context(), tx, ev) }
		if ev.OrgID == "" {
			return postgres.InTx(t.Context(), pool, run)
		}
		return postgres.InOrgTx(t.Context(), pool, ev.OrgID, run)
	}
	org, u1, u2, u3, u4 := newOrg(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	steps := []struct {
		name, user, want string
		ev               events.Event
	}{
		{"registered", u1, "active", identityEvent(t, events.IdentityUserRegistered, org, u1, map[string]any{"roles": []string{"agent"}})},
		{"registered again (redelivery)", u1, "active", identityEvent(t, events.IdentityUserRegistered, org, u1, nil)},
		{"roles changed", u1, "active", identityEvent(t, events.IdentityUserRolesChanged, org, u1, map[string]any{"roles": []string{"sales"}})},
		{"updated of a user never seen", u2, "active", identityEvent(t, events.IdentityUserUpdated, org, u2, nil)},
		{"deleted", u2, "inactive", identityEvent(t, events.IdentityUserDeleted, org, u2, nil)},
		{"registered after deleted stays inactive", u2, "inactive", identityEvent(t, events.IdentityUserRegistered, org, u2, nil)},
		{"an active snapshot does not revive it", u2, "inactive", identityEvent(t, events.IdentityUserSnapshot, org, u2, map[string]any{"deleted": false})},
		{"snapshot of an unknown user", u3, "active", identityEvent(t, events.IdentityUserSnapshot, org, u3, map[string]any{"roles": []string{"agent"}})},
		{"snapshot of a deleted user never seen", u4, "inactive", identityEvent(t, events.IdentityUserSnapshot, org, u4, map[string]any{"deleted": true})},
		{"logins are ignored", uuid.NewString(), "unknown", identityEvent(t, "reos.identity.login.succeeded", org, uuid.NewString(), nil)},
		{"team events are ignored", uuid.NewString(), "unknown", identityEvent(t, "reos.identity.team.member_added", org, uuid.NewString(), nil)},
	}
	for _, s := range steps {
		if err := apply(s.ev); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := e.userState(org, s.user); got != s.want {
			t.Fatalf("%s: user is %s, want %s", s.name, got, s.want)
		}
	}
	if n := scalar[int64](e, `SELECT count(*) FROM property.known_users`); n != 4 {
		t.Fatalf("%d users in the read model, want 4", n)
	}
	if got := e.userState(newOrg(), u1); got != "unknown" {
		t.Fatalf("another org's read model has u1: %s", got)
	}
	for name, ev := range map[string]events.Event{
		"bad user id":  identityEvent(t, events.IdentityUserRegistered, org, "not-a-uuid", nil),
		"no org":       identityEvent(t, events.IdentityUserDeleted, "", u1, nil),
		"org mismatch": identityEvent(t, events.IdentityUserDeleted, org, u1, map[string]any{"org_id": newOrg()}),
	} {
		if err := apply(ev); !errors.Is(err, events.ErrBadUserEvent) {
			t.Errorf("%s: %v, want ErrBadUserEvent", name, err)
		}
	}
	if got := e.userState(org, u1); got != "active" {
		t.Fatalf("a refused event changed u1: %s", got)
	}
}

// TestIdentityConsumerFeedsAgents: the consumer the binary runs, against
// the real broker and topic reos.identity.events (shared, so the test's
// org is new and the group its own): a user registered in identity becomes
// a listing agent once its event arrives, and stops being one when
// identity deletes it.
func TestIdentityConsumerFeedsAgents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	brokers := testkit.Brokers(t)
	consumer, err := server.NewIdentityConsumer(server.ConsumerOptions{
		Pool: e.db.Pool(t, "property_app"), Brokers: brokers, Logger: logging.Discard(),
		GroupID: testkit.UniqueName(t, "property-identity-read-model"), MaxWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunInBackground(t, "consumer", consumer.Run)

	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("8 Broker Lane", "Raleigh", 1, nil))
	agent := uuid.Must(uuid.NewV7()).String()
	listing := func() response {
		return e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1, "agent_user_id": agent})
	}
	expectField(t, listing(), http.StatusUnprocessableEntity, "agent_user_id", "before identity's event")
	topic := events.Topic("identity")
	publishOn(t, brokers, topic, agent, identityEvent(t, events.IdentityUserRegistered, admin.OrgID, agent, map[string]any{"roles": []string{"agent"}}))
	testkit.Eventually(t, awaitTimeout, func() bool { return e.userState(admin.OrgID, agent) == "active" }, "the registration reaches the read model")
	expect(t, listing(), http.StatusCreated, "after identity's event")

	publishOn(t, brokers, topic, agent, identityEvent(t, events.IdentityUserDeleted, admin.OrgID, agent, nil))
	testkit.Eventually(t, awaitTimeout, func() bool { return e.userState(admin.OrgID, agent) == "inactive" }, "the deletion reaches the read model")
	expectField(t, listing(), http.StatusUnprocessableEntity, "agent_user_id", "after the deletion")
}

// publishOn writes ev to topic as identity's relay would (key, CloudEvents
// headers).
func publishOn(t *testing.T, brokers []string, topic, key string, ev events.Event) {
	t.Helper()
	payload, err := ev.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true, BatchTimeout: time.Millisecond,
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	msg := kafka.Message{Key: []byte(key), Value: payload, Headers: []kafka.Header{
		{Key: "content-type", Value: []byte("application/cloudevents+json")},
		{Key: "ce_id", Value: []byte(ev.ID)}, {Key: "ce_type", Value: []byte(ev.Type)},
	}}
	// The topic's first write can race its auto-creation: that error is
	// "not yet", any other ends the wait.
	testkit.Eventually(t, 10*time.Second, func() bool {
		err = w.WriteMessages(ctx, msg)
		return err == nil || (!strings.Contains(err.Error(), "Unknown Topic") && !strings.Contains(err.Error(), "Leader Not Available"))
	}, "publish %s: the topic is created", ev.Type)
	if err != nil {
		t.Fatalf("publish %s: %v", ev.Type, err)
	}
}
