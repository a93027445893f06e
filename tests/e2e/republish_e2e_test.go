package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// republishScenarios: a crm that lost (or never had) a user or a property
// of its read models refuses leads that name it; the producing service's
// built binary, run as an operator would (`republish --org <org>` with the
// service's environment, beside the serving instance), writes snapshots
// that the serving relay publishes and crm's consumers apply, after which
// the same request through nginx and the gateway succeeds.
func republishScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	r := do(t, http.MethodGet, api+"/auth/me", a.admin, nil)
	expectStatus(t, r, http.StatusOK, "me")
	var me struct {
		Organization struct {
			ID string `json:"id"`
		} `json:"organization"`
	}
	r.json(t, &me)
	org := me.Organization.ID
	if org == "" {
		t.Fatalf("me has no organization: %s", r.Body)
	}
	db := s.DB.Pool(t, "")

	// forget waits until crm's read model has the row (the live event was
	// applied), then deletes it: crm now behaves as one deployed late.
	forget := func(t *testing.T, table, column, id string) {
		t.Helper()
		var n int
		var err error
		testkit.Eventually(t, eventTimeout, func() bool {
			err = db.QueryRow(t.Context(), `SELECT count(*) FROM crm.`+table+` WHERE org_id = $1 AND `+column+` = $2`, org, id).Scan(&n)
			return err == nil && n == 1
		}, func() string {
			return fmt.Sprintf("%s %s never reached crm.%s: %d rows, %v", column, id, table, n, err)
		})
		if _, err := db.Exec(t.Context(), `DELETE FROM crm.`+table+` WHERE org_id = $1 AND `+column+` = $2`, org, id); err != nil {
			t.Fatal(err)
		}
	}
	republish := func(t *testing.T, service, kind string) {
		t.Helper()
		p := s.Services[service]
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, p.bin, "republish", "--org", org, "--batch-size", "2")
		cmd.Env = p.env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s republish: %v\n%s\n%s", service, err, stdout.String(), stderr.String())
		}
		out := stdout.String()
		if !strings.Contains(out, "org "+org+" "+kind+": ") || !strings.Contains(out, "republished 1 organisations: ") {
			t.Fatalf("%s republish printed no batches of %s for %s:\n%s", service, kind, org, out)
		}
	}
	t.Run("identity republish makes a lost user assignable again", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/admin/users", a.admin, map[string]any{
			"email":    strings.ToLower(testkit.UniqueName(t, "backfill")) + "@example.test",
			"password": "agent password 123", "full_name": "Backfilled Agent", "roles": []string{"agent"},
		})
		expectStatus(t, r, http.StatusCreated, "create an agent")
		var u struct{ ID string }
		r.json(t, &u)
		forget(t, "known_users", "user_id", u.ID)

		r = do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "Backfill probe"})
		expectStatus(t, r, http.StatusCreated, "probe lead")
		var lead struct{ ID string }
		r.json(t, &lead)
		assign := func() response {
			return do(t, http.MethodPost, api+"/leads/"+lead.ID+"/assign", a.admin, map[string]any{"user_id": u.ID})
		}
		expectFieldError(t, assign(), "user_id", "assign to a user crm does not know")

		republish(t, "identity", "users")
		untilStatus(t, "assign after identity republished", http.StatusOK, assign)
	})

	t.Run("property republish makes a lost property usable on leads again", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/properties", a.admin, map[string]any{
			"unparsed_address": "77 Backfill Road", "city": "Springfield", "list_price_cents": 31000000,
			"property_type": "Residential",
		})
		expectStatus(t, r, http.StatusCreated, "create a property")
		var p struct{ ID string }
		r.json(t, &p)
		forget(t, "known_properties", "property_id", p.ID)

		n := 0
		create := func() response {
			n++
			return do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{
				"first_name": fmt.Sprintf("Backfill buyer %d", n), "property_ids": []string{p.ID},
			})
		}
		expectFieldError(t, create(), "property_ids", "a lead on a property crm does not know")

		republish(t, "property", "properties")
		untilStatus(t, "lead on the property after property republished", http.StatusCreated, create)
	})
}
