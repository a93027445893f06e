package tests

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// expectMissing checks that exactly the dead and the slow peer are named
// missing, as unavailable.
func expectMissing(t *testing.T, got []missingJSON) {
	t.Helper()
	var names []string
	for _, m := range got {
		names = append(names, m.Service)
		if m.Reason != "dependency_unavailable" || !strings.Contains(m.Detail, m.Service) {
			t.Errorf("missing %+v: want reason dependency_unavailable and a detail naming the service", m)
		}
	}
	slices.Sort(names)
	if want := []string{peerDead, peerSlow}; !slices.Equal(names, want) {
		t.Errorf("missing services = %v, want %v", names, want)
	}
}

// TestDeadLetterAppearsAndReplaysOnce: a job failing every attempt in its
// own service appears in /admin/dlq while a dead and a slow service are
// reported missing and the rest is answered; its replay runs once, and a
// second replay does not repeat the effect the first one had.
func TestDeadLetterAppearsAndReplaysOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	crm := e.peers[peerCRM]
	id := crm.insert(t, admin.OrgID, "welcome-email")
	dead := e.waitTask(admin, id, "discarded")
	if dead.Attempt != 3 {
		t.Errorf("discarded after %d attempts, want 3", dead.Attempt)
	}

	r := e.call(http.MethodGet, "/api/v1/admin/dlq", admin, nil)
	expect(t, r, http.StatusOK, "dead-letter queue")
	dlq := decode[taskListJSON](t, r)
	if len(dlq.Items) != 1 || dlq.Items[0].ID != id || dlq.Items[0].Service != peerCRM {
		t.Fatalf("dlq = %+v, want just %s", dlq.Items, id)
	}
	expectMissing(t, dlq.Missing)

	crm.worker.failing.Store(false)
	r = e.call(http.MethodPost, "/api/v1/admin/dlq/"+id+"/replay", admin, nil)
	expect(t, r, http.StatusCreated, "replay")
	replay := decode[taskJSON](t, r)
	_, orig, _ := strings.Cut(id, ":")
	if !strings.HasPrefix(replay.ID, peerCRM+":") || replay.ID == id || replay.ReplayOf == nil || strconv.FormatInt(*replay.ReplayOf, 10) != orig {
		t.Fatalf("replay = %+v, want a new crm task replaying %s", replay, id)
	}
	e.waitTask(admin, replay.ID, "completed")
	if n := crm.effects(t, "welcome-email"); n != 1 {
		t.Fatalf("effect applied %d times after the replay, want 1", n)
	}
	again := decode[taskJSON](t, expectStatus(t, e.call(http.MethodPost, "/api/v1/admin/dlq/"+id+"/replay", admin, nil), http.StatusCreated))
	e.waitTask(admin, again.ID, "completed")
	if n := crm.effects(t, "welcome-email"); n != 1 {
		t.Errorf("effect applied %d times after a second replay, want still 1", n)
	}
	// The dead letter is no longer alone in being finished, but it is
	// still the only discarded one.
	dlq = decode[taskListJSON](t, expectStatus(t, e.call(http.MethodGet, "/api/v1/admin/dlq?service=crm", admin, nil), http.StatusOK))
	if len(dlq.Items) != 1 || dlq.Items[0].ID != id || len(dlq.Missing) != 0 {
		t.Errorf("dlq of crm = %+v missing %+v, want just %s and nothing missing", dlq.Items, dlq.Missing, id)
	}
}

func expectStatus(t *testing.T, r response, status int) response {
	t.Helper()
	expect(t, r, status, "request")
	return r
}

// TestTasksMergeEveryServiceAcrossPages: the tasks of both live services,
// and only the caller's org's, come back over the pages of the merged
// cursor, each page newest first, with the unavailable services named.
func TestTasksMergeEveryServiceAcrossPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent...)
	other := e.user(newOrg(), permsAdmin...)
	var want []string
	for i := range 3 {
		want = append(want, e.peers[peerCRM].insert(t, agent.OrgID, "c"+strconv.Itoa(i)))
	}
	for i := range 2 {
		want = append(want, e.peers[peerProperty].insert(t, agent.OrgID, "p"+strconv.Itoa(i)))
	}
	e.peers[peerCRM].insert(t, other.OrgID, "theirs")

	var got []string
	query := url.Values{"limit": {"2"}}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("more than 5 pages for 5 tasks")
		}
		r := e.call(http.MethodGet, "/api/v1/tasks?"+query.Encode(), agent, nil)
		expect(t, r, http.StatusOK, "tasks page")
		page := decode[taskListJSON](t, r)
		if pages == 0 {
			expectMissing(t, page.Missing)
		}
		for _, task := range page.Items {
			got = append(got, task.ID)
		}
		if page.NextCursor == nil {
			break
		}
		query.Set("cursor", *page.NextCursor)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("tasks over every page = %v, want %v", got, want)
	}
}

// TestTaskOfUnavailableOrUnknownService: a task of a dead service is a 503
// naming it; an id of no service, or not an id, is a 404.
func TestTaskOfUnavailableOrUnknownService(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	r := e.call(http.MethodGet, "/api/v1/tasks/"+peerDead+":1", admin, nil)
	expect(t, r, http.StatusServiceUnavailable, "task of a dead service")
	if p := decode[testkit.Problem](t, r); !strings.Contains(p.Detail, peerDead) {
		t.Errorf("problem %+v does not name %s", p, peerDead)
	}
	for _, id := range []string{"nosuch:1", "crm:abc", "crm:0", "crm:01", "crm", "42"} {
		expect(t, e.call(http.MethodGet, "/api/v1/tasks/"+url.PathEscape(id), admin, nil), http.StatusNotFound, id)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/tasks/crm:999999", admin, nil), http.StatusNotFound, "no such job")
}

// TestRetryReportsEachTask: each id of a retry gets its own outcome — the
// dead letter available again, a dead service's task unavailable, a
// missing job not found; a malformed request names the field.
func TestRetryReportsEachTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	crm := e.peers[peerCRM]
	id := crm.insert(t, admin.OrgID, "retry-me")
	e.waitTask(admin, id, "discarded")
	crm.worker.failing.Store(false)

	r := e.call(http.MethodPost, "/api/v1/tasks/retry", admin, map[string]any{"ids": []string{id, peerDead + ":5", "crm:999999"}})
	expect(t, r, http.StatusOK, "retry")
	type result struct {
		ID    string    `json:"id"`
		Task  *taskJSON `json:"task"`
		Error *struct {
			Reason string `json:"reason"`
		} `json:"error"`
	}
	res := decode[struct{ Results []result }](t, r).Results
	if len(res) != 3 {
		t.Fatalf("results = %+v, want 3", res)
	}
	if res[0].ID != id || res[0].Task == nil || res[0].Task.State == "discarded" {
		t.Errorf("result 0 = %+v, want %s retried", res[0], id)
	}
	if res[1].Error == nil || res[1].Error.Reason != "dependency_unavailable" {
		t.Errorf("result 1 = %+v, want dependency_unavailable", res[1])
	}
	if res[2].Error == nil || res[2].Error.Reason != "job_not_found" {
		t.Errorf("result 2 = %+v, want job_not_found", res[2])
	}
	e.waitTask(admin, id, "completed")
	if n := crm.effects(t, "retry-me"); n != 1 {
		t.Errorf("effect applied %d times, want 1", n)
	}

	for _, tc := range []struct {
		name, field string
		body        any
	}{
		{"no ids", "ids", map[string]any{"ids": []string{}}},
		{"not a task id", "ids[1]", map[string]any{"ids": []string{id, "crm-1"}}},
		{"too many", "ids", map[string]any{"ids": slices.Repeat([]string{id}, 101)}},
	} {
		testkit.ExpectField(t, e.call(http.MethodPost, "/api/v1/tasks/retry", admin, tc.body), http.StatusUnprocessableEntity, tc.field, tc.name)
	}
	testkit.ExpectField(t, e.call(http.MethodPost, "/api/v1/tasks/retry", admin, map[string]any{"ids": "crm:1"}), http.StatusUnprocessableEntity, "ids", "ids not a list")
}

// TestListFiltersAreChecked: an unknown filter, service or cursor is a 400
// naming it; a filter every service refuses is refused once.
func TestListFiltersAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/tasks?colour=red", "colour"},
		{"/api/v1/tasks?service=crm,nosuch", "service"},
		{"/api/v1/tasks?cursor=bm9wZQ", "cursor"},
		{"/api/v1/tasks?limit=0", "limit"},
		{"/api/v1/tasks?state=bogus&service=crm,property", "state"},
		{"/api/v1/admin/dlq?state=completed", "state"},
	} {
		testkit.ExpectField(t, e.call(http.MethodGet, tc.path, admin, nil), http.StatusBadRequest, tc.field, tc.path)
	}
}

// TestDeadLetterQueueIsForAdmins: an agent may list tasks but not the
// dead-letter queue, nor replay.
func TestDeadLetterQueueIsForAdmins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent...)
	id := e.peers[peerCRM].insert(t, agent.OrgID, "x")
	expect(t, e.call(http.MethodGet, "/api/v1/tasks?service=crm", agent, nil), http.StatusOK, "agent lists tasks")
	expect(t, e.call(http.MethodGet, "/api/v1/admin/dlq", agent, nil), http.StatusForbidden, "agent lists the dlq")
	expect(t, e.call(http.MethodPost, "/api/v1/admin/dlq/"+id+"/replay", agent, nil), http.StatusForbidden, "agent replays")
}
