package tests

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

type historyJSON struct {
	Seq     int64  `json:"seq"`
	EventID string `json:"event_id"`
	Type    string `json:"type"`
}

type historyListJSON struct {
	Items      []historyJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// TestEventHistory: the domain events the consumers receive are listed
// in order, only the caller's organisation's and only those its
// permissions may read (a caller without deals:read sees no deal event),
// filtered by type and paged by the cursor.
func TestEventHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin...)
	leadsOnly := e.user(admin.OrgID, "leads:read")
	other := e.user(newOrg(), permsAdmin...)
	e.runDelivery(t)
	lead := publish(t, "crm", "reos.crm.lead.created", admin.OrgID, map[string]any{"lead_id": "l-1"})
	deal := publish(t, "crm", "reos.crm.deal.created", admin.OrgID, map[string]any{"deal_id": "d-1"})
	theirs := publish(t, "crm", "reos.crm.lead.created", other.OrgID, map[string]any{"lead_id": "l-2"})

	list := func(u user, query string) historyListJSON {
		r := e.call(http.MethodGet, "/api/v1/events/history"+query, u, nil)
		expect(t, r, http.StatusOK, "history "+query)
		return decode[historyListJSON](t, r)
	}
	ids := func(l historyListJSON) []string {
		var out []string
		for _, h := range l.Items {
			out = append(out, h.EventID)
		}
		return out
	}
	testkit.Eventually(t, 30*time.Second, func() bool { return len(list(admin, "").Items) == 2 }, "both events in the history")
	if got := ids(list(admin, "")); !slices.Equal(got, []string{lead.ID, deal.ID}) {
		t.Errorf("admin's history %v, want the lead's then the deal's", got)
	}
	if got := ids(list(leadsOnly, "")); !slices.Equal(got, []string{lead.ID}) {
		t.Errorf("history of a caller with leads:read only: %v, want just the lead's", got)
	}
	if got := ids(list(admin, "?type=deal.*")); !slices.Equal(got, []string{deal.ID}) {
		t.Errorf("history of deal.*: %v", got)
	}
	testkit.Eventually(t, 30*time.Second, func() bool { return len(list(other, "").Items) == 1 }, "the other org's event")
	if got := ids(list(other, "")); !slices.Equal(got, []string{theirs.ID}) {
		t.Errorf("the other org's history %v", got)
	}
	first := list(admin, "?limit=1")
	if len(first.Items) != 1 || first.NextCursor == nil {
		t.Fatalf("first page %+v", first)
	}
	if got := ids(list(admin, "?limit=1&cursor="+*first.NextCursor)); !slices.Equal(got, []string{deal.ID}) {
		t.Errorf("second page %v, want the deal's", got)
	}
	for _, q := range []string{"?type=Lead", "?since=yesterday", "?cursor=x", "?colour=red"} {
		r := e.call(http.MethodGet, "/api/v1/events/history"+q, admin, nil)
		if r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
			t.Errorf("history %s: %s, want a 4xx naming the field", q, r)
		}
	}
}
