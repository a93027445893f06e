package tests

import (
	"net/http"
	"testing"

	"reos.dev/pkg/testkit"
)

// FuzzCreateLead: whatever the body, creating a lead never answers 5xx.
// `go test` runs the seeds; `go test -fuzz=FuzzCreateLead ./tests` explores.
func FuzzCreateLead(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@b.io"}`, `{"email":"A@B.IO ","phone":"(415) 555-0123"}`, `{"phone":"+442079460958","phone_region":"gb"}`,
		`{"email":"a@b.io","budget_min_cents":9223372036854775807}`, `{"email":"a@b.io","budget_min_cents":9223372036854775808}`,
		`{"first_name":"\u0000"}`, `{"email":"a\u0000@b.io"}`, `{"email":"a@b.io","property_ids":["00000000-0000-0000-0000-000000000000"]}`,
		`{"email":"a@b.io","status":null}`, `{"contact_id":"x"}`, `{"email":"a@b.io","source":"\u0000"}`, `[]`, `null`, `{`, ``,
		`{"email":"a@b.io","assignee_id":"00000000-0000-0000-0000-00000000000g"}`, `{"phone":"+1","phone_region":"\u0000"}`,
		`{"first_name":"` + string(make([]byte, 200)) + `"}`, `{"email":"a@b.io","target_price_cents":-0}`, `{"email":"\"x\"@b.io"}`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	agent := e.user(newOrg(), permsAgent)
	f.Fuzz(func(t *testing.T, body string) {
		// The fuzz target must report through its own t, so it gets its own client.
		r := testkit.NewClient(t, e.srv.Handler).Do(http.MethodPost, "/api/v1/leads", agent.Token, body)
		if r.Status >= 500 {
			t.Fatalf("POST /leads %q: %s", body, r)
		}
	})
}
