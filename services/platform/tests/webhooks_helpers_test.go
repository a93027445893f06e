package tests

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/platform/internal/server"
)

// receiver is a webhook receiver on loopback: it records every request and
// answers with the statuses it is given, in turn (the last one repeats).
type receiver struct {
	mu       sync.Mutex
	got      []received
	statuses []int
	srv      *httptest.Server
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t testing.TB, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status = r.statuses[min(len(r.got), len(r.statuses))-1]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// verifyIndependently checks a received message's Standard Webhooks
// signature from the spec's definition (not pkg/standardwebhooks): some
// signature of the list is base64(HMAC-SHA256(key, id.timestamp.body))
// under secret.
func verifyIndependently(t testing.TB, m received, secret string) bool {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q is not whsec_<base64>", secret)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(m.header.Get("webhook-id") + "." + m.header.Get("webhook-timestamp") + "."))
	mac.Write(m.body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return slices.Contains(strings.Fields(m.header.Get("webhook-signature")), want)
}

type endpointJSON struct {
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	EventTypes     []string `json:"event_types"`
	Enabled        bool     `json:"enabled"`
	DisabledReason string   `json:"disabled_reason"`
	Secret         string   `json:"secret"`
}

type logJSON struct {
	ID        int64  `json:"id"`
	MessageID string `json:"message_id"`
	EventType string `json:"event_type"`
	Attempt   int    `json:"attempt"`
	Verdict   string `json:"verdict"`
	Status    *int   `json:"status"`
	Error     string `json:"error"`
}

func (e *env) createEndpoint(u user, url string, types ...string) endpointJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/webhooks", u, map[string]any{"url": url, "event_types": types})
	expect(e.t, r, http.StatusCreated, "create webhook endpoint")
	return decode[endpointJSON](e.t, r)
}

func (e *env) logs(u user, endpoint string) []logJSON {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/v1/webhooks/"+endpoint+"/logs", u, nil)
	expect(e.t, r, http.StatusOK, "webhook logs")
	return decode[struct{ Items []logJSON }](e.t, r).Items
}

// runDelivery runs platform's job queue and its consumers of the domain
// topics (groups of this test's own) until the test ends.
func (e *env) runDelivery(t *testing.T) {
	t.Helper()
	// The queue's Run ends with the context's error; only another one fails.
	testkit.RunInBackground(t, "jobs", func(ctx context.Context) error {
		if err := e.srv.Queue.Run(ctx); !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	consumers, err := e.srv.WebhookConsumers(server.ConsumerOptions{
		Brokers: testkit.Brokers(t), Logger: logging.Discard(), GroupPrefix: testkit.UniqueName(t, "platform-webhooks"),
		MaxWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range consumers {
		testkit.RunInBackground(t, "webhooks-"+server.WebhookContexts[i], c.Run)
	}
	// A new group starts at the newest message once it has its
	// partitions: until a probe of each topic arrives, an event published
	// now could be before the group's start.
	admin := e.db.Pool(t, "")
	for _, c := range server.WebhookContexts {
		testkit.Eventually(t, 30*time.Second, func() bool {
			probe := publish(t, c, "reos."+c+".probe.sent", uuid.NewString(), nil)
			var n int
			return admin.QueryRow(t.Context(), "SELECT count(*) FROM platform.event_history WHERE event_id = $1", probe.ID).Scan(&n) == nil && n == 1
		}, "the %s consumer to receive", c)
	}
}

// publish writes a domain event of org to the context's topic, as its
// service's outbox relay would.
func publish(t *testing.T, ctxName, typ, org string, data any) events.Event {
	t.Helper()
	ev, err := events.New("reos."+ctxName, typ, "lead/1", org, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Publish(t, testkit.Brokers(t), events.Topic(ctxName), ev.ID, b)
	return ev
}
