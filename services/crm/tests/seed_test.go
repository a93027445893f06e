package tests

import (
	"strings"
	"testing"

	"reos.dev/services/crm/internal/app"
)

// TestSeedIsDeterministicAndIdempotent: the first seed writes the demo
// leads (app.SeedLeads, each its own contact) with the deals its report
// names and activities that each announced themselves; a second seed adds
// nothing. The counts come from the seed's constant, its report and its
// events, not from re-typing its loop.
func TestSeedIsDeterministicAndIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	rep, err := e.srv.Service.SeedDemo(t.Context(), org)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Changed {
		t.Fatal("first seed changed nothing")
	}
	reported := func(kind string) int64 {
		n := int64(0)
		for _, l := range rep.Lines {
			if strings.HasPrefix(l, kind+" ") {
				n++
			}
		}
		return n
	}
	counts := func() [4]int64 {
		return [4]int64{
			scalar[int64](e, `SELECT count(*) FROM crm.leads WHERE org_id = $1`, org),
			scalar[int64](e, `SELECT count(*) FROM crm.contacts WHERE org_id = $1`, org),
			scalar[int64](e, `SELECT count(*) FROM crm.lead_activities WHERE org_id = $1`, org),
			scalar[int64](e, `SELECT count(*) FROM crm.deals WHERE org_id = $1`, org),
		}
	}
	first := counts()
	activities := int64(count(e.outboxTypes(), app.EventActivityLogged))
	if want := [4]int64{app.SeedLeads, app.SeedLeads, activities, reported("deal")}; first != want || reported("lead") != app.SeedLeads ||
		activities == 0 || first[3] == 0 {
		t.Fatalf("seeded (leads, contacts, activities, deals) %v, want %v with some activities and deals; report %v", first, want, rep.Lines)
	}
	rep, err = e.srv.Service.SeedDemo(t.Context(), org)
	if err != nil || rep.Changed {
		t.Fatalf("second seed: %v changed=%v", err, rep.Changed)
	}
	if counts() != first {
		t.Fatal("second seed added rows")
	}
	if _, err := e.srv.Service.SeedDemo(t.Context(), "not-a-uuid"); err == nil {
		t.Fatal("bad org id accepted")
	}
	// The demo lead is visible through the API to that org.
	u := e.user(org, permsViewer)
	l := decode[listJSON[leadJSON]](t, e.call("GET", "/api/v1/leads?limit=200", u, nil))
	if len(l.Items) != app.SeedLeads {
		t.Fatalf("API sees %d demo leads, want %d", len(l.Items), app.SeedLeads)
	}
}
