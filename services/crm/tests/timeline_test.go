package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestLeadTimelineOrderAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	other := e.user(agent.OrgID, permsAgent)
	lead := e.createLead(agent, map[string]any{"email": "t@example.com"})
	base := "/api/v1/leads/" + lead.ID
	// Activities in the past and notes, changes and assignments now, some
	// sharing a timestamp so ties are broken by id.
	for i := range 6 {
		at := e.clock.Now().Add(-time.Duration(i) * time.Hour)
		expect(t, e.call("POST", base+"/activities", agent, map[string]any{"type": "call", "direction": "out", "occurred_at": at}), 201, "activity")
	}
	for i := range 4 {
		expect(t, e.call("POST", base+"/notes", agent, map[string]any{"body": fmt.Sprintf("note %d", i)}), 201, "note")
	}
	expect(t, e.call("POST", base+"/assign", agent, map[string]any{"user_id": other.ID}), 200, "assign")
	expect(t, e.call("PUT", base, agent, map[string]any{"status": "contacted"}), 200, "status")
	e.clock.Advance(time.Minute)
	expect(t, e.call("POST", base+"/notes", agent, map[string]any{"body": "latest"}), 201, "note")

	full := decode[listJSON[timelineJSON]](t, e.call("GET", base+"/timeline?limit=200", agent, nil))
	// 6 activities + 5 notes + created + assigned + status_changed
	if len(full.Items) != 14 {
		t.Fatalf("timeline has %d items", len(full.Items))
	}
	kinds := map[string]int{}
	for i, it := range full.Items {
		kinds[it.Kind]++
		if i > 0 {
			prev := full.Items[i-1]
			if it.OccurredAt.After(prev.OccurredAt) || (it.OccurredAt.Equal(prev.OccurredAt) && it.ID > prev.ID) {
				t.Fatalf("not newest first at %d", i)
			}
		}
	}
	if kinds["activity"] != 6 || kinds["note"] != 5 || kinds["created"] != 1 || kinds["assigned"] != 1 || kinds["status_changed"] != 1 {
		t.Fatalf("kinds = %v", kinds)
	}
	if full.Items[0].Kind != "note" {
		t.Fatalf("newest = %+v", full.Items[0])
	}
	for _, size := range []int{1, 3, 5, 13} {
		var got []string
		cursor := ""
		for {
			path := fmt.Sprintf("%s/timeline?limit=%d", base, size)
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			r := e.call(http.MethodGet, path, agent, nil)
			expect(t, r, 200, "page")
			p := decode[listJSON[timelineJSON]](t, r)
			for _, it := range p.Items {
				got = append(got, it.ID)
			}
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
		if len(got) != len(full.Items) {
			t.Fatalf("limit %d: %d items, want %d", size, len(got), len(full.Items))
		}
		for i := range got {
			if got[i] != full.Items[i].ID {
				t.Fatalf("limit %d: item %d differs (dupe or skip)", size, i)
			}
		}
	}
	expectField(t, e.call("GET", base+"/timeline?cursor=eyJ0IjoxfQ", agent, nil), 400, "cursor", "bad cursor")
}
