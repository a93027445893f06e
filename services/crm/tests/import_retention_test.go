package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/jobs"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/server"
)

// importFileJSON is a lead import's file lifecycle as the API shows it.
type importFileJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	JobID         *int64     `json:"job_id"`
	Error         *string    `json:"error"`
	CompletedAt   *time.Time `json:"completed_at"`
	FileExpiresAt *time.Time `json:"file_expires_at"`
	FileDeletedAt *time.Time `json:"file_deleted_at"`
}

// retentionEnv is a crm with its file store at hand, keeping ended
// imports' files for retention, importing files over 64 bytes as a job in
// batches of 10 rows; with adjusts the options further.
func retentionEnv(t *testing.T, retention time.Duration, with ...func(*server.Options)) (*env, testStorage) {
	t.Helper()
	files := testFiles(t)
	e := newEnv(t, append([]func(*server.Options){func(o *server.Options) {
		o.Files, o.Signer = files.disk, files.signer
		o.Uploads = app.UploadConfig{ImportInlineBytes: 64, ImportBatchRows: 10, ImportFileRetention: retention}
	}}, with...)...)
	e.runQueue()
	return e, files
}

// startImport uploads csv as u and returns the import as created.
func (e *env) startImport(u user, csv string, status int) importFileJSON {
	e.t.Helper()
	r := e.upload("/api/v1/leads/import", u, nil, "leads.csv", "text/csv", []byte(csv))
	expect(e.t, r, status, "import")
	return decode[importFileJSON](e.t, r)
}

func (e *env) leadImport(u user, id string) importFileJSON {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/v1/leads/imports/"+id, u, nil)
	expect(e.t, r, http.StatusOK, "get import")
	return decode[importFileJSON](e.t, r)
}

// expireJobs lists u's organisation's file expiry jobs through the jobs API.
func (e *env) expireJobs(u user) []jobs.Job {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/v1/jobs/crm?kind="+app.ImportFileExpireJobKind, u, nil)
	expect(e.t, r, http.StatusOK, "list expiry jobs")
	return decode[listJSON[jobs.Job]](e.t, r).Items
}

func (e *env) jobState(u user, id int64) string {
	e.t.Helper()
	r := e.call(http.MethodGet, fmt.Sprintf("/api/v1/jobs/crm/%d", id), u, nil)
	expect(e.t, r, http.StatusOK, "get job")
	return decode[jobs.Job](e.t, r).State
}

// stored reports whether the import's file is in the store.
func (s testStorage) stored(t testing.TB, u user, importID string) bool {
	t.Helper()
	for _, k := range s.objects(t) {
		if k == u.OrgID+"/lead-imports/"+importID+".csv" {
			return true
		}
	}
	return false
}

// smallCSV is imported within the request (64 bytes at most).
const smallCSV = "email\nann@example.com\nbob@example.com\n"

// TestEndedLeadImportFileIsDeletedAfterItsRetention: a completed import
// schedules its file's deletion in the transaction that completes it; the
// job deletes the file, the import shows when, the job is the importing
// organisation's alone, and replaying it records nothing more.
func TestEndedLeadImportFileIsDeletedAfterItsRetention(t *testing.T) {
	t.Parallel()
	e, files := retentionEnv(t, 50*time.Millisecond)
	org := newOrg()
	agent, admin, other := e.user(org, permsAgent), e.user(org, permsAdmin), e.user(newOrg(), permsAdmin)
	imp := e.startImport(agent, smallCSV, http.StatusCreated)
	if imp.Status != "completed" || imp.CompletedAt == nil || imp.FileExpiresAt == nil || imp.FileDeletedAt != nil ||
		!imp.FileExpiresAt.Equal(imp.CompletedAt.Add(50*time.Millisecond)) {
		t.Fatalf("completed import %+v: want the file due 50ms after it completed", imp)
	}
	if !files.stored(t, agent, imp.ID) {
		t.Fatal("the file is not stored")
	}

	e.clock.Advance(time.Second)
	e.eventually("the file is deleted", func() bool { return e.leadImport(agent, imp.ID).FileDeletedAt != nil })
	done := e.leadImport(agent, imp.ID)
	if done.Status != "completed" || !done.FileExpiresAt.Equal(*imp.FileExpiresAt) || done.FileDeletedAt.Before(*imp.FileExpiresAt) {
		t.Fatalf("after the deletion: %+v", done)
	}
	if files.stored(t, agent, imp.ID) {
		t.Fatal("the import's file is still stored")
	}
	// The import and its leads stay; lists show the deletion too.
	if n := e.count(`SELECT count(*) FROM crm.leads`); n != 2 {
		t.Fatalf("%d leads, want 2", n)
	}
	list := decode[listJSON[importFileJSON]](t, e.call(http.MethodGet, "/api/v1/leads/imports", agent, nil))
	if len(list.Items) != 1 || list.Items[0].FileDeletedAt == nil || !list.Items[0].FileDeletedAt.Equal(*done.FileDeletedAt) {
		t.Fatalf("listed %+v", list.Items)
	}

	// One job, on the low-priority queue, listed for the importing
	// organisation only.
	var job jobs.Job
	e.eventually("the expiry job completes", func() bool {
		js := e.expireJobs(admin)
		if len(js) == 1 {
			job = js[0]
		}
		return job.State == "completed"
	})
	if job.Queue != jobs.QueueLow || !job.ScheduledAt.Equal(*imp.FileExpiresAt) || !strings.Contains(string(job.Args), imp.ID) {
		t.Fatalf("expiry job %+v", job)
	}
	if js := e.expireJobs(other); len(js) != 0 {
		t.Fatalf("another organisation lists %+v", js)
	}
	expect(t, e.call(http.MethodGet, fmt.Sprintf("/api/v1/jobs/crm/%d", job.ID), other, nil), http.StatusNotFound, "another org's expiry job")
	effects := func() string {
		return scalar[string](e, `SELECT count(*) || ':' || min(job_id) FROM crm.job_effects WHERE effect_key = $1`,
			app.ImportFileExpireJobKind+":"+imp.ID)
	}
	if got, want := effects(), fmt.Sprintf("1:%d", job.ID); got != want {
		t.Fatalf("effect claims %s, want %s", got, want)
	}

	// Replaying the job deletes nothing more and records nothing twice.
	r := e.call(http.MethodPost, fmt.Sprintf("/api/v1/jobs/crm/%d/replay", job.ID), admin, nil)
	expect(t, r, http.StatusCreated, "replay the expiry job")
	replay := decode[jobs.Job](t, r)
	e.clock.Advance(time.Second)
	e.eventually("the replay completes", func() bool { return e.jobState(admin, replay.ID) == "completed" })
	if again := e.leadImport(agent, imp.ID); !again.FileDeletedAt.Equal(*done.FileDeletedAt) {
		t.Fatalf("the replay moved file_deleted_at from %s to %s", done.FileDeletedAt, again.FileDeletedAt)
	}
	if got, want := effects(), fmt.Sprintf("1:%d", job.ID); got != want {
		t.Fatalf("effect claims after the replay %s, want %s", got, want)
	}
}

// TestLeadImportFilesAreKeptForeverWithoutRetention: a retention of 0
// schedules nothing, whether the import ends inside its request or in its
// job.
func TestLeadImportFilesAreKeptForeverWithoutRetention(t *testing.T) {
	t.Parallel()
	e, files := retentionEnv(t, 0)
	agent := e.user(newOrg(), permsAgent)
	inline := e.startImport(agent, smallCSV, http.StatusCreated)
	queued := e.startImport(agent, bigCSV(45, 5, -1), http.StatusAccepted)
	e.eventually("the job import completes", func() bool { return e.leadImport(agent, queued.ID).Status == "completed" })
	for _, id := range []string{inline.ID, queued.ID} {
		if imp := e.leadImport(agent, id); imp.FileExpiresAt != nil || imp.FileDeletedAt != nil {
			t.Fatalf("import %+v: nothing should be scheduled", imp)
		}
		if !files.stored(t, agent, id) {
			t.Fatalf("the file of %s is gone", id)
		}
	}
	if n := e.count(`SELECT count(*) FROM crm.river_job WHERE kind = $1`, app.ImportFileExpireJobKind); n != 0 {
		t.Fatalf("%d expiry jobs scheduled", n)
	}
}

// TestRunningOrRetryableLeadImportKeepsItsFile: an import whose job failed
// an attempt and waits for the next is still running and keeps its file;
// an expiry job that reaches it anyway (or names it from another
// organisation) leaves it alone, while another organisation's ended import
// loses its file.
func TestRunningOrRetryableLeadImportKeepsItsFile(t *testing.T) {
	t.Parallel()
	e, files := retentionEnv(t, 50*time.Millisecond, func(o *server.Options) {
		o.Jobs.RetryBase = time.Hour // a failed attempt waits, retryable, for the rest of the test
	})
	owner, other := e.user(newOrg(), permsAdmin), e.user(newOrg(), permsAdmin)
	e.failLeads()
	retrying := e.startImport(owner, bigCSV(45, 5, 24), http.StatusAccepted)
	e.eventually("the import job waits to retry", func() bool { return e.jobState(owner, *retrying.JobID) == "retryable" })

	// Another organisation's import ends and loses its file meanwhile.
	ended := e.startImport(other, smallCSV, http.StatusCreated)
	e.clock.Advance(time.Second)
	e.eventually("the ended import's file is deleted", func() bool { return e.leadImport(other, ended.ID).FileDeletedAt != nil })

	// Stray expiry jobs: one of the import's own organisation (the import
	// has not ended), one of another organisation naming it (RLS hides it).
	stray := func(org string) int64 {
		var id int64
		err := pgx.BeginFunc(t.Context(), e.admin, func(tx pgx.Tx) error {
			row, err := e.srv.Queue.Insert(t.Context(), tx, pgstore.ImportFileExpireArgs{
				OrgID: uuid.MustParse(org), ImportID: uuid.MustParse(retrying.ID), ExpiresAt: e.clock.Now(),
			}, nil)
			if err == nil {
				id = row.ID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	own, foreign := stray(owner.OrgID), stray(other.OrgID)
	e.eventually("the stray jobs finish", func() bool {
		return e.jobState(owner, own) == "completed" && e.jobState(other, foreign) == "cancelled"
	})

	imp := e.leadImport(owner, retrying.ID)
	if imp.Status != "running" || imp.FileExpiresAt != nil || imp.FileDeletedAt != nil {
		t.Fatalf("retryable import %+v", imp)
	}
	if !files.stored(t, owner, retrying.ID) {
		t.Fatal("the retryable import's file was deleted")
	}
	if files.stored(t, other, ended.ID) {
		t.Fatal("the ended import's file is still stored")
	}
	if n := e.count(`SELECT count(*) FROM crm.job_effects WHERE effect_key = $1`, app.ImportFileExpireJobKind+":"+retrying.ID); n != 0 {
		t.Fatalf("%d deletions recorded for the retryable import", n)
	}
	if js := e.expireJobs(owner); len(js) != 1 || js[0].ID != own {
		t.Fatalf("the importing org's expiry jobs: %+v, want only the stray one", js)
	}
}

// TestRetryingALeadImportWhoseFileIsGoneFailsItForGood: a dead-lettered
// import keeps its file for the retention only; retrying or replaying its
// job after that fails the import for good, saying why, instead of
// erroring.
func TestRetryingALeadImportWhoseFileIsGoneFailsItForGood(t *testing.T) {
	t.Parallel()
	e, files := retentionEnv(t, 50*time.Millisecond)
	admin := e.user(newOrg(), permsAdmin)
	stop := e.failLeads()
	imp := e.startImport(admin, bigCSV(45, 5, 24), http.StatusAccepted)
	jobPath := fmt.Sprintf("/api/v1/jobs/crm/%d", *imp.JobID)
	failedAt := e.clock.Now()
	e.eventually("the job is dead-lettered", func() bool { return e.jobState(admin, *imp.JobID) == "discarded" })
	failed := e.leadImport(admin, imp.ID)
	if failed.Status != "failed" || failed.Error == nil || !strings.Contains(*failed.Error, "retrying its job resumes it") ||
		failed.FileExpiresAt == nil || !failed.FileExpiresAt.Equal(failedAt.Add(50*time.Millisecond)) {
		t.Fatalf("dead-lettered import %+v: want it failed, its file due 50ms later", failed)
	}
	e.clock.Advance(time.Second)
	e.eventually("the file is deleted", func() bool { return e.leadImport(admin, imp.ID).FileDeletedAt != nil })
	if files.stored(t, admin, imp.ID) {
		t.Fatal("the file is still stored")
	}
	stop()

	gone := func() bool {
		got := e.leadImport(admin, imp.ID)
		return got.Status == "failed" && got.Error != nil && strings.Contains(*got.Error, "file was deleted")
	}
	expect(t, e.call(http.MethodPost, jobPath+"/retry", admin, nil), http.StatusOK, "retry the import job")
	e.eventually("the retried import fails for good", gone)
	e.eventually("the retried job completes", func() bool { return e.jobState(admin, *imp.JobID) == "completed" })
	r := e.call(http.MethodPost, jobPath+"/replay", admin, nil)
	expect(t, r, http.StatusCreated, "replay the import job")
	replay := decode[jobs.Job](t, r)
	e.eventually("the replay completes", func() bool { return e.jobState(admin, replay.ID) == "completed" })

	if !gone() {
		t.Fatalf("after the retry and the replay: %+v", e.leadImport(admin, imp.ID))
	}
	// The first two batches committed before the failures; nothing since.
	if n := e.count(`SELECT count(*) FROM crm.leads`); n != 20 {
		t.Fatalf("%d leads, want the first two batches' 20", n)
	}
	// The retry and the replay each announced the failed end.
	if n := e.count(`SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'type' = $1
AND payload::jsonb->'data'->>'status' = 'failed'`, app.EventImportCompleted); n != 2 {
		t.Fatalf("%d failed lead_import.completed events, want 2", n)
	}
	// The failures did not schedule another deletion: the file was gone.
	if n := e.count(`SELECT count(*) FROM crm.river_job WHERE kind = $1`, app.ImportFileExpireJobKind); n != 1 {
		t.Fatalf("%d expiry jobs, want the dead-letter's one", n)
	}
}
