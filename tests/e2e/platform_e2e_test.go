package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"reos.dev/pkg/testkit"
)

// TestPlatformWebhooksTasksAndHistory, through nginx and the gateway: a
// webhook endpoint subscribed to lead.* receives the lead events crm
// publishes, signed so that the spec's scheme, recomputed here, accepts
// them; the tasks list aggregates every service's jobs API (platform's
// deliveries among them) with nothing missing; the event history holds
// the lead events.
func TestPlatformWebhooksTasksAndHistory(t *testing.T) {
	s := startStack(t)
	api := s.API()
	email := strings.ToLower(testkit.UniqueName(t, "platform")) + "@example.test"
	const pw = "platform password 123"
	expectStatus(t, do(t, http.MethodPost, api+"/auth/register", "", map[string]string{
		"email": email, "password": pw, "full_name": "Platform Admin", "organization_name": "Hooked Realty",
	}), http.StatusCreated, "register")
	admin := login(t, s, email, pw)

	var mu sync.Mutex
	var got []http.Header
	var bodies [][]byte
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r.Header.Clone()), append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	r := do(t, http.MethodPost, api+"/webhooks", admin, map[string]any{"url": rcv.URL + "/hook", "event_types": []string{"lead.*"}})
	expectStatus(t, r, http.StatusCreated, "subscribe")
	var ep struct{ ID, Secret string }
	r.json(t, &ep)

	// platform's consumer of reos.crm.events starts at the newest message
	// once it has its partitions: a lead is made until one is delivered.
	testkit.Eventually(t, eventTimeout, func() bool {
		expectStatus(t, do(t, http.MethodPost, api+"/leads", admin, map[string]any{
			"first_name": "Hook", "email": strings.ToLower(testkit.UniqueName(t, "hook")) + "@example.com",
		}), http.StatusCreated, "create lead")
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	}, "a webhook for a lead event")
	mu.Lock()
	h, body := got[0], bodies[0]
	mu.Unlock()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ep.Secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q", ep.Secret)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); !slices.Contains(strings.Fields(h.Get("webhook-signature")), want) {
		t.Errorf("webhook-signature %q does not verify", h.Get("webhook-signature"))
	}
	var payload struct{ Type string }
	if err := json.Unmarshal(body, &payload); err != nil || !strings.HasPrefix(payload.Type, "lead.") {
		t.Errorf("payload %s", body)
	}

	var tasks struct {
		Items []struct {
			ID, Service, Kind string
		}
		Missing []struct{ Service string }
	}
	untilTasks := untilStatus(t, "tasks", http.StatusOK, func() response { return do(t, http.MethodGet, api+"/tasks", admin, nil) })
	untilTasks.json(t, &tasks)
	if len(tasks.Missing) != 0 {
		t.Errorf("tasks missing %+v, want every service answering", tasks.Missing)
	}
	found := false
	for _, task := range tasks.Items {
		if task.Service == "platform" && task.Kind == "webhook_delivery" && strings.HasPrefix(task.ID, "platform:") {
			found = true
		}
	}
	if !found {
		t.Errorf("no platform webhook delivery among the tasks %+v", tasks.Items)
	}
	expectStatus(t, do(t, http.MethodGet, api+"/tasks/"+tasks.Items[0].ID, admin, nil), http.StatusOK, "a task by id")

	r = do(t, http.MethodGet, api+"/events/history?type=lead.*", admin, nil)
	expectStatus(t, r, http.StatusOK, "event history")
	var hist struct{ Items []struct{ Type string } }
	r.json(t, &hist)
	if len(hist.Items) == 0 || !strings.HasPrefix(hist.Items[0].Type, "reos.crm.lead.") {
		t.Errorf("history %+v, want the lead events", hist.Items)
	}
	r = do(t, http.MethodGet, api+"/webhooks/"+ep.ID+"/logs", admin, nil)
	expectStatus(t, r, http.StatusOK, "webhook logs")
}
