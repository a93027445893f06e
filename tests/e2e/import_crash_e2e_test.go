package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// crashImportRows is the size of the import killed mid-way: the finding's
// 60 000 rows, twelve batches of IMPORT_BATCH_ROWS=5000 (the default).
const crashImportRows = 60_000

// TestImportSurvivesAKilledProcess is issue 16's finding tried as an
// operator would: a 60 000-row property import is running through the
// gateway when the property process is killed with SIGKILL. Restarted,
// with the default job settings, the service rescues the step the dead
// process was working (pkg/jobs: JOBS_RESCUE_AFTER after the attempt
// began) and resumes it at its last committed checkpoint; the import
// completes within a minute of the restart, every row loaded exactly once.
func TestImportSurvivesAKilledProcess(t *testing.T) {
	began := time.Now()
	s := startStackWith(t, stackOptions{
		services: []string{"identity", "property"},
		// Its 60 000 property.created events go to the stack's own broker,
		// like every stack's.
		serviceEnv: map[string][]string{"property": {"IMPORT_BATCH_ROWS=5000"}},
	})
	stackUp := time.Since(began)
	api := s.API()
	const pw = "crash scenario password 1"
	email := strings.ToLower(testkit.UniqueName(t, "crash")) + "@example.test"
	r := do(t, http.MethodPost, api+"/auth/register", "", map[string]string{
		"email": email, "password": pw, "full_name": "Crash Importer", "organization_name": "Crash Realty",
	})
	expectStatus(t, r, http.StatusCreated, "register")
	token := login(t, s, email, pw)

	var csv strings.Builder
	csv.WriteString("listing_key,list_price_cents,property_type,unparsed_address,city,postal_code\n")
	for i := 1; i <= crashImportRows; i++ {
		fmt.Fprintf(&csv, "CRASH-%05d,%d,Residential,%d Crash Court,Gloucester,%05d\n", i, 30000000+i, i, i%100000)
	}
	imports := api + "/properties/bulk-import"
	r = postFile(t, imports, token, "crash.csv", "text/csv", []byte(csv.String()))
	expectStatus(t, r, http.StatusAccepted, "queue the import")
	var imp crashImport
	r.json(t, &imp)
	started := time.Now()

	// Wait (polling) until the first batch has committed, then kill.
	get := func() (crashImport, int) {
		r := do(t, http.MethodGet, imports+"/"+imp.ID, token, nil)
		var cur crashImport
		if r.Status == http.StatusOK {
			r.json(t, &cur)
		}
		return cur, r.Status
	}
	testkit.Eventually(t, 60*time.Second, func() bool {
		cur, _ := get()
		if cur.Status == "failed" || cur.Status == "completed" {
			t.Fatalf("import %s before the kill: %+v", cur.Status, cur)
		}
		return cur.CheckpointLine > 1
	}, "the import's first batch commits")
	property := s.Services["property"]
	property.kill(t)
	killed := time.Now()

	// What the dead process left: the import running at a checkpoint past
	// the first batch, short of the end, and its step's job running.
	ctx := context.Background()
	var status string
	var checkpoint int
	if err := s.DB.Pool(t, "").QueryRow(ctx, `SELECT status, checkpoint_line FROM property.property_imports WHERE id = $1`, imp.ID).
		Scan(&status, &checkpoint); err != nil {
		t.Fatal(err)
	}
	if status != "running" || checkpoint < 5001 || checkpoint > crashImportRows {
		t.Fatalf("at the kill the import is %s at line %d; want running past the first batch (5001) and short of the end", status, checkpoint)
	}
	// Almost always the dead process was in the middle of a step, whose job
	// it left running; killed in the instant between a step's handover and
	// its successor's start, it left the successor available instead.
	var running, waiting int
	if err := s.DB.Pool(t, "").QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = 'available')
		FROM property.river_job WHERE kind = 'property.import' AND args->>'import_id' = $1`, imp.ID).Scan(&running, &waiting); err != nil {
		t.Fatal(err)
	}
	if running+waiting != 1 {
		t.Fatalf("after the kill %d of the import's jobs are running and %d available, want its one current step", running, waiting)
	}

	property.start(t)
	waitReady(t, property, s.URLs["property"]+"/readyz")
	restarted := time.Now()
	var done crashImport
	testkit.Eventually(t, time.Minute, func() bool {
		cur, status := get() // 502/503 while the gateway's breaker closes again: not yet
		if cur.Status == "failed" {
			t.Fatalf("import failed after the restart: %+v", cur)
		}
		done = cur
		return status == http.StatusOK && cur.Status == "completed"
	}, "the import completes within a minute of the restart")
	finished := time.Now()

	if rep := done.Report; rep.Rows != crashImportRows || rep.Accepted != crashImportRows || rep.Rejected != 0 || rep.Skipped != 0 ||
		done.CheckpointLine != crashImportRows+1 {
		t.Fatalf("completed import: %+v, want all %d rows accepted once", done, crashImportRows)
	}
	// Every row exactly once: the org's properties, their listing keys, and
	// the history entries naming this import and a line of its file.
	var props, keys, entries, lines int
	if err := s.DB.Pool(t, "").QueryRow(ctx, `SELECT count(*), count(DISTINCT p.listing_key), count(h.id), count(DISTINCT h.new_value->>'line')
		FROM property.properties p
		LEFT JOIN property.property_history h ON h.property_id = p.id AND h.field = 'import' AND h.new_value->>'import_id' = $2
		WHERE p.org_id = $1`, done.OrgID, imp.ID).Scan(&props, &keys, &entries, &lines); err != nil {
		t.Fatal(err)
	}
	if props != crashImportRows || keys != crashImportRows || entries != crashImportRows || lines != crashImportRows {
		t.Fatalf("%d properties, %d listing keys, %d import history entries on %d lines; want %d of each",
			props, keys, entries, lines, crashImportRows)
	}

	// The steps: one chain from the queued job to the import's, the step the
	// dead process was working rescued by the restarted one and retried.
	r = do(t, http.MethodGet, api+"/jobs/property?kind=property.import&limit=200", token, nil)
	expectStatus(t, r, http.StatusOK, "the import's jobs")
	var list struct {
		Items []crashStep `json:"items"`
	}
	r.json(t, &list)
	byID := map[int64]crashStep{}
	for _, j := range list.Items {
		byID[j.ID] = j
	}
	rescued := 0
	n := 0
	for id := *imp.JobID; id != 0; n++ {
		j, ok := byID[id]
		if !ok || j.State != "completed" {
			t.Fatalf("step %d of the chain from job %d: %+v (found %v), want completed", n+1, *imp.JobID, j, ok)
		}
		for _, e := range j.Errors {
			if strings.Contains(e.Error, "rescued by pkg/jobs") {
				rescued++
			}
		}
		if j.ContinuedBy == nil {
			if j.ID != *done.JobID {
				t.Fatalf("the chain ends at job %d, the import names job %d", j.ID, *done.JobID)
			}
			id = 0
		} else {
			id = *j.ContinuedBy
		}
	}
	if n != len(list.Items) || rescued != running {
		t.Fatalf("chain of %d steps of %d jobs, %d rescued; want one chain of them all and the killed step (%d) rescued once", n, len(list.Items), rescued, running)
	}
	t.Logf("import killed at line %d %s after queueing (%d step running); restarted (ready) %s after the kill; "+
		"completed %s after the restart, in %d steps; the scenario took %s, the stack's start (%s) included",
		checkpoint, killed.Sub(started).Round(time.Millisecond), running, restarted.Sub(killed).Round(time.Millisecond),
		finished.Sub(restarted).Round(time.Millisecond), n, time.Since(began).Round(time.Millisecond), stackUp.Round(time.Millisecond))
}

// crashImport is what the scenario reads of the import.
type crashImport struct {
	ID             string `json:"id"`
	OrgID          string `json:"org_id"`
	Status         string `json:"status"`
	JobID          *int64 `json:"job_id"`
	CheckpointLine int    `json:"checkpoint_line"`
	Report         struct {
		Rows     int `json:"rows"`
		Accepted int `json:"accepted"`
		Rejected int `json:"rejected"`
		Skipped  int `json:"skipped"`
	} `json:"report"`
}

// crashStep is one of the import's jobs in the jobs API.
type crashStep struct {
	ID          int64  `json:"id"`
	State       string `json:"state"`
	ContinuedBy *int64 `json:"continued_by"`
	Errors      []struct {
		Error string `json:"error"`
	} `json:"errors"`
	Args json.RawMessage `json:"args"`
}
