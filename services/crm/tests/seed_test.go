package tests

import (
	"testing"
)

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
	counts := func() [4]int64 {
		return [4]int64{
			scalar[int64](e, `SELECT count(*) FROM crm.leads WHERE org_id = $1`, org),
			scalar[int64](e, `SELECT count(*) FROM crm.contacts WHERE org_id = $1`, org),
			scalar[int64](e, `SELECT count(*) FROM crm.lead_activities WHERE org_id = $1`, org),
			scalar[int64](e, `SELECT count(*) FROM crm.deals WHERE org_id = $1`, org),
		}
	}
	first := counts()
	if first != [4]int64{20, 20, 14, 5} {
		t.Fatalf("seeded %v", first)
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
	if len(l.Items) != 20 {
		t.Fatalf("API sees %d demo leads", len(l.Items))
	}
}
