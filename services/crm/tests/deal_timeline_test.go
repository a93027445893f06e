package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/server"
)

// dealTimelineItem is a deal timeline entry with its actor.
type dealTimelineItem struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	OccurredAt time.Time       `json:"occurred_at"`
	ActorID    *string         `json:"actor_id"`
	Data       json.RawMessage `json:"data"`
}

// dealTimeline reads the whole timeline of a deal in one page.
func (e *env) dealTimeline(u user, dealID string) []dealTimelineItem {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/v1/deals/"+dealID+"/timeline?limit=200", u, nil)
	expect(e.t, r, http.StatusOK, "deal timeline")
	p := decode[listJSON[dealTimelineItem]](e.t, r)
	if p.NextCursor != nil {
		e.t.Fatalf("a timeline of %d items has a next page", len(p.Items))
	}
	return p.Items
}

// dealTimelinePages reads a deal's timeline limit items a page, following
// the cursors, and returns the ids in the order served.
func (e *env) dealTimelinePages(u user, dealID string, limit int) []string {
	e.t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			e.t.Fatalf("limit %d: the cursors do not end", limit)
		}
		path := fmt.Sprintf("/api/v1/deals/%s/timeline?limit=%d", dealID, limit)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := e.call(http.MethodGet, path, u, nil)
		expect(e.t, r, http.StatusOK, "timeline page")
		p := decode[listJSON[dealTimelineItem]](e.t, r)
		if len(p.Items) > limit || (p.NextCursor != nil && len(p.Items) != limit) {
			e.t.Fatalf("limit %d: a page of %d items (next %v)", limit, len(p.Items), p.NextCursor)
		}
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		if p.NextCursor == nil {
			return ids
		}
		cursor = *p.NextCursor
	}
}

// fields decodes an entry's data.
func (it dealTimelineItem) fields(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(it.Data, &m); err != nil {
		t.Fatalf("timeline data %s: %v", it.Data, err)
	}
	return m
}

// TestDealTimelineMergesStagesDocumentsAndUpdates: the deal timeline is
// the deal's whole story — creation and stage moves, documents added and
// each field an update changed (old → new, by whom) — newest first, with
// ties on a timestamp broken by id, and its cursor pages serve every entry
// exactly once whatever the page size.
func TestDealTimelineMergesStagesDocumentsAndUpdates(t *testing.T) {
	t.Parallel()
	files := testFiles(t)
	e := newEnv(t, func(o *server.Options) { o.Files, o.Signer = files.disk, files.signer })
	org := newOrg()
	agent, colleague, viewer := e.user(org, permsAgent), e.user(org, permsAgent), e.user(org, permsViewer)
	lead := e.createLead(agent, map[string]any{"email": "story@example.com"})
	deal := e.createDeal(agent, lead.ID, 100)
	base := "/api/v1/deals/" + deal.ID
	put := func(u user, body map[string]any) {
		t.Helper()
		expect(t, e.call(http.MethodPut, base, u, body), http.StatusOK, "update deal")
	}

	// t0: created, a stage move, a document and a two-field update all at
	// one instant (the clock stands still), so only ids order them.
	t0 := e.clock.Now()
	expect(t, e.call(http.MethodPatch, base+"/stage", agent, map[string]any{"stage": "qualified"}), http.StatusOK, "move")
	pdf := pdfFile(10)
	r := e.upload(base+"/documents", agent, []part{{"title", "Offer"}}, "offer.pdf", "application/pdf", pdf)
	expect(t, r, http.StatusCreated, "upload")
	offer := decode[documentJSON](t, r)
	put(agent, map[string]any{"title": "Condo purchase", "value_cents": 250_000_00})

	// t1: a date set, two updates that change nothing, a photo, a move.
	e.clock.Advance(time.Minute)
	t1 := e.clock.Now()
	put(agent, map[string]any{"expected_close_date": "2026-06-30"})
	changesBefore, eventsBefore := e.count(`SELECT count(*) FROM crm.deal_changes`), countOf(e.outboxTypes(), "reos.crm.deal.updated")
	put(agent, map[string]any{"title": "  Condo purchase ", "value_cents": 250_000_00, "currency": "USD", "expected_close_date": "2026-06-30"})
	put(agent, map[string]any{})
	if n := e.count(`SELECT count(*) FROM crm.deal_changes`); n != changesBefore {
		t.Fatalf("updates changing nothing recorded %d changes", n-changesBefore)
	}
	if n := countOf(e.outboxTypes(), "reos.crm.deal.updated"); n != eventsBefore {
		t.Fatalf("updates changing nothing emitted %d deal.updated", n-eventsBefore)
	}
	r = e.upload(base+"/documents", agent, nil, "site.png", "image/png", pngFile(t))
	expect(t, r, http.StatusCreated, "second upload")
	photo := decode[documentJSON](t, r)
	expect(t, e.call(http.MethodPatch, base+"/stage", agent, map[string]any{"stage": "showing"}), http.StatusOK, "move")

	// t2: a colleague clears the date and takes the deal.
	e.clock.Advance(time.Minute)
	t2 := e.clock.Now()
	put(colleague, map[string]any{"expected_close_date": nil, "assignee_id": colleague.ID})

	items := e.dealTimeline(viewer, deal.ID)
	kinds := map[string]int{}
	for i, it := range items {
		kinds[it.Kind]++
		if i > 0 {
			prev := items[i-1]
			if !it.OccurredAt.Before(prev.OccurredAt) && !(it.OccurredAt.Equal(prev.OccurredAt) && it.ID < prev.ID) {
				t.Fatalf("item %d (%s %s %s) is not older than item %d (%s %s %s)", i, it.Kind, it.OccurredAt, it.ID,
					i-1, prev.Kind, prev.OccurredAt, prev.ID)
			}
		}
		if strings.Contains(string(it.Data), "/api/v1/files/") || strings.Contains(string(it.Data), "url") {
			t.Fatalf("a timeline entry carries a link: %s", it.Data)
		}
	}
	want := map[string]int{"created": 1, "stage_changed": 2, "document_added": 2, "updated": 5}
	if !maps.Equal(kinds, want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}

	// Updates: one entry per changed field, old → new as JSON values, by
	// whom, at the update's time.
	type change struct {
		at       time.Time
		actor    string
		field    string
		from, to any
	}
	var updates []change
	for _, it := range items {
		if it.Kind != "updated" {
			continue
		}
		d := it.fields(t)
		if len(d) != 3 || it.ActorID == nil {
			t.Fatalf("updated entry = %+v %s", it, it.Data)
		}
		updates = append(updates, change{at: it.OccurredAt, actor: *it.ActorID, field: d["field"].(string), from: d["from"], to: d["to"]})
	}
	slices.SortStableFunc(updates, func(a, b change) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.field, b.field)
	})
	wantUpdates := []change{
		{at: t0, actor: agent.ID, field: "title", from: "Purchase", to: "Condo purchase"},
		{at: t0, actor: agent.ID, field: "value_cents", from: float64(100), to: float64(250_000_00)},
		{at: t1, actor: agent.ID, field: "expected_close_date", from: nil, to: "2026-06-30"},
		{at: t2, actor: colleague.ID, field: "assignee_id", from: nil, to: colleague.ID},
		{at: t2, actor: colleague.ID, field: "expected_close_date", from: "2026-06-30", to: nil},
	}
	if len(updates) != len(wantUpdates) {
		t.Fatalf("updates = %+v", updates)
	}
	for i, w := range wantUpdates {
		if g := updates[i]; !g.at.Equal(w.at) || g.actor != w.actor || g.field != w.field || g.from != w.from || g.to != w.to {
			t.Errorf("update %d = %+v, want %+v", i, g, w)
		}
	}

	// Documents: what was added, by whom — the file's facts, never a link.
	docs := map[string]documentJSON{offer.ID: offer, photo.ID: photo}
	for _, it := range items {
		if it.Kind != "document_added" {
			continue
		}
		doc, ok := docs[it.ID]
		d := it.fields(t)
		wantData := map[string]any{"document_id": doc.ID, "title": doc.Title, "file_name": doc.FileName,
			"content_type": doc.ContentType, "size_bytes": float64(doc.SizeBytes)}
		if !ok || !maps.Equal(d, wantData) || it.ActorID == nil || *it.ActorID != agent.ID {
			t.Errorf("document entry = %s by %v, want %v", it.Data, it.ActorID, wantData)
		}
	}
	if offer.Title != "Offer" || offer.SizeBytes != int64(len(pdf)) || photo.ContentType != "image/png" {
		t.Fatalf("documents = %+v, %+v", offer, photo)
	}

	// Stage moves and the creation entry keep their shape; the newest
	// entries are the colleague's, the oldest the creation's instant.
	var moves []string
	for _, it := range items {
		if it.Kind == "stage_changed" {
			d := it.fields(t)
			moves = append(moves, fmt.Sprint(d["from_stage"], "→", d["to_stage"]))
		}
	}
	if !slices.Equal(moves, []string{"qualified→showing", "new→qualified"}) {
		t.Fatalf("moves = %v", moves)
	}
	if !items[0].OccurredAt.Equal(t2) || !items[1].OccurredAt.Equal(t2) || !items[len(items)-1].OccurredAt.Equal(t0) {
		t.Fatalf("ends = %+v … %+v", items[0], items[len(items)-1])
	}
	atT0 := 0
	for _, it := range items {
		if it.OccurredAt.Equal(t0) {
			atT0++
		}
	}
	if atT0 != 5 {
		t.Fatalf("%d entries share t0, want 5 (created, move, document, two fields)", atT0)
	}

	// Every page size serves the same sequence: nothing skipped, nothing
	// repeated, ties included.
	all := make([]string, len(items))
	for i, it := range items {
		all[i] = it.ID
	}
	for _, size := range []int{1, 2, 3, 4, 9, 10, 11} {
		if got := e.dealTimelinePages(viewer, deal.ID, size); !slices.Equal(got, all) {
			t.Errorf("limit %d: pages serve %v, want %v", size, got, all)
		}
	}

	// The rows behind it: five field changes; three deal.updated events.
	if n := e.count(`SELECT count(*) FROM crm.deal_changes WHERE deal_id = $1`, deal.ID); n != 5 {
		t.Fatalf("%d deal_changes rows, want 5", n)
	}
	if n := countOf(e.outboxTypes(), "reos.crm.deal.updated"); n != 3 {
		t.Fatalf("%d deal.updated events, want 3", n)
	}
	expectField(t, e.call(http.MethodGet, base+"/timeline?cursor=eyJ0IjoxfQ", viewer, nil), http.StatusBadRequest, "cursor", "bad cursor")
}

// TestDealTimelineOfAnotherOrgIs404: another organisation's deal has no
// timeline, with or without a cursor, and its updates are refused before
// anything is recorded.
func TestDealTimelineOfAnotherOrgIs404(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.user(newOrg(), permsAgent)
	intruder := e.user(newOrg(), permsAdmin)
	deal := e.createDeal(owner, e.createLead(owner, map[string]any{"email": "mine@example.com"}).ID, 1)
	base := "/api/v1/deals/" + deal.ID
	expect(t, e.call(http.MethodPut, base, owner, map[string]any{"title": "Renamed"}), http.StatusOK, "owner update")
	page := decode[listJSON[dealTimelineItem]](t, e.call(http.MethodGet, base+"/timeline?limit=1", owner, nil))
	if page.NextCursor == nil {
		t.Fatalf("owner's first page = %+v", page)
	}
	expect(t, e.call(http.MethodGet, base+"/timeline", intruder, nil), http.StatusNotFound, "intruder timeline")
	expect(t, e.call(http.MethodGet, base+"/timeline?cursor="+*page.NextCursor, intruder, nil), http.StatusNotFound, "intruder timeline page 2")
	expect(t, e.call(http.MethodPut, base, intruder, map[string]any{"title": "Hijacked"}), http.StatusNotFound, "intruder update")
	if n := e.count(`SELECT count(*) FROM crm.deal_changes`); n != 1 {
		t.Fatalf("%d deal_changes rows, want the owner's 1", n)
	}
	// Row-level security, not only the service's lookups, keeps the rows
	// apart: as the service role in the intruder's organisation the
	// owner's change does not exist; in the owner's it does.
	pool := e.db.Pool(t, "crm_app")
	for org, want := range map[string]int{intruder.OrgID: 0, owner.OrgID: 1} {
		var n int
		if err := postgres.InOrgTx(t.Context(), pool, org, func(tx pgx.Tx) error {
			return tx.QueryRow(t.Context(), `SELECT count(*) FROM crm.deal_changes`).Scan(&n)
		}); err != nil || n != want {
			t.Fatalf("org %s reads %d deal_changes rows (%v), want %d", org, n, err, want)
		}
	}
}
