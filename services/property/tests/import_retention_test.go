package tests

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/jobs"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/server"
)

// retention sets IMPORT_FILE_RETENTION (after importLimits, which replaces
// the import settings).
func retention(d time.Duration) func(*server.Options) {
	return func(o *server.Options) { o.Imports.FileRetention = d }
}

// importFileJSON is an import's file lifecycle as the API shows it.
type importFileJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	JobID         *int64     `json:"job_id"`
	Failure       *string    `json:"failure"`
	FinishedAt    *time.Time `json:"finished_at"`
	FileExpiresAt *time.Time `json:"file_expires_at"`
	FileDeletedAt *time.Time `json:"file_deleted_at"`
}

func (e *env) importFile(c caller, id string) importFileJSON {
	e.t.Helper()
	r := e.call(http.MethodGet, importPath+"/"+id, c.Token, nil)
	expect(e.t, r, http.StatusOK, "get import")
	return decode[importFileJSON](e.t, r)
}

// awaitImportFile waits until the import's file lifecycle satisfies done.
func (e *env) awaitImportFile(c caller, id, what string, done func(importFileJSON) bool) importFileJSON {
	e.t.Helper()
	return await(e, c, importPath+"/"+id, what, done)
}

// expireJobsPath lists the caller's org's file expiry jobs (jobs API).
var expireJobsPath = jobs.APIPath("property") + "?kind=" + app.ImportFileExpireJobKind

// expireJobs lists the org's file expiry jobs through the jobs API.
func (e *env) expireJobs(c caller) []jobs.Job {
	e.t.Helper()
	r := e.call(http.MethodGet, expireJobsPath, c.Token, nil)
	expect(e.t, r, http.StatusOK, "list expiry jobs")
	return decode[listJSON[jobs.Job]](e.t, r).Items
}

// storedImport reports whether the disk store under dir holds the file of
// import id.
func storedImport(t *testing.T, dir, id string) bool {
	t.Helper()
	for _, p := range storedFiles(t, dir) {
		if filepath.Base(p) == id+".csv" {
			return true
		}
	}
	return false
}

// TestEndedImportFileIsDeletedAfterItsRetention: a completed import
// schedules its file's deletion in the transaction that completes it; the
// job deletes the file, the import shows when, the job is the importing
// organisation's alone, and replaying it records nothing more.
func TestEndedImportFileIsDeletedAfterItsRetention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, diskAt(t, dir), retention(50*time.Millisecond))
	owner, other := e.token(newOrg(), "*"), e.token(newOrg(), "*")
	csv, good, _ := generatedCSV(5, 1000)
	r := e.importCSV(owner, csv, "")
	expect(t, r, http.StatusCreated, "inline import")
	imp := decode[importFileJSON](t, r)
	if imp.Status != "completed" || imp.FinishedAt == nil || imp.FileExpiresAt == nil || imp.FileDeletedAt != nil ||
		!imp.FileExpiresAt.Equal(imp.FinishedAt.Add(50*time.Millisecond)) {
		t.Fatalf("completed import %+v: want the file due 50ms after it finished", imp)
	}
	if !storedImport(t, dir, imp.ID) {
		t.Fatal("the file is not stored")
	}

	done := e.awaitImportFile(owner, imp.ID, "the file is deleted", func(f importFileJSON) bool { return f.FileDeletedAt != nil })
	if done.Status != "completed" || !done.FileExpiresAt.Equal(*imp.FileExpiresAt) || done.FileDeletedAt.Before(*imp.FileExpiresAt) {
		t.Fatalf("after the deletion: %+v", done)
	}
	if storedImport(t, dir, imp.ID) {
		t.Fatal("the import's file is still stored")
	}
	// The import itself and what it loaded stay; lists show the deletion too.
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != good {
		t.Fatalf("%d properties, want %d", n, good)
	}
	list := decode[listJSON[importFileJSON]](t, e.call(http.MethodGet, importPath, owner.Token, nil))
	if len(list.Items) != 1 || list.Items[0].FileDeletedAt == nil || !list.Items[0].FileDeletedAt.Equal(*done.FileDeletedAt) {
		t.Fatalf("listed %+v", list.Items)
	}

	// One job, on the low-priority queue, listed for the importing
	// organisation only.
	job := await(e, owner, expireJobsPath, "the expiry job completes", func(l listJSON[jobs.Job]) bool {
		return len(l.Items) == 1 && l.Items[0].State == "completed"
	}).Items[0]
	if job.Queue != jobs.QueueLow || !job.ScheduledAt.Equal(*imp.FileExpiresAt) || !strings.Contains(string(job.Args), imp.ID) {
		t.Fatalf("expiry job %+v", job)
	}
	if js := e.expireJobs(other); len(js) != 0 {
		t.Fatalf("another organisation lists %+v", js)
	}
	expect(t, e.call(http.MethodGet, jobs.APIPath("property")+"/"+strconv.FormatInt(job.ID, 10), other.Token, nil),
		http.StatusNotFound, "another org's expiry job")
	effects := func() string {
		return scalar[string](e, `SELECT count(*) || ':' || min(job_id) FROM property.job_effects WHERE effect_key = $1`,
			app.ImportFileExpireJobKind+":"+imp.ID)
	}
	if got, want := effects(), fmt.Sprintf("1:%d", job.ID); got != want {
		t.Fatalf("effect claims %s, want %s", got, want)
	}

	// Replaying the job deletes nothing more and records nothing twice.
	r = e.call(http.MethodPost, jobs.APIPath("property")+"/"+strconv.FormatInt(job.ID, 10)+"/replay", owner.Token, nil)
	expect(t, r, http.StatusCreated, "replay the expiry job")
	replay := decode[jobs.Job](t, r)
	e.waitJob(owner, replay.ID, "completed")
	if again := e.importFile(owner, imp.ID); !again.FileDeletedAt.Equal(*done.FileDeletedAt) {
		t.Fatalf("the replay moved file_deleted_at from %s to %s", done.FileDeletedAt, again.FileDeletedAt)
	}
	if got, want := effects(), fmt.Sprintf("1:%d", job.ID); got != want {
		t.Fatalf("effect claims after the replay %s, want %s", got, want)
	}
}

// TestImportFilesAreKeptForeverWithoutRetention: a retention of 0 schedules
// nothing, whether the import ends inside its request or in its job.
func TestImportFilesAreKeptForeverWithoutRetention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, diskAt(t, dir), importLimits, retention(0))
	admin := e.token(newOrg(), "*")
	small, _, _ := generatedCSV(5, 1000)
	r := e.importCSV(admin, small, "")
	expect(t, r, http.StatusCreated, "inline import")
	inline := decode[importFileJSON](t, r)
	large, _, _ := generatedCSV(300, 1000)
	r = e.importCSV(admin, large, "")
	expect(t, r, http.StatusAccepted, "job import")
	queued := decode[importFileJSON](t, r)
	if imp := e.waitImport(admin, queued.ID); imp.Status != "completed" {
		t.Fatalf("job import %s", imp.Status)
	}
	for _, id := range []string{inline.ID, queued.ID} {
		if imp := e.importFile(admin, id); imp.FileExpiresAt != nil || imp.FileDeletedAt != nil {
			t.Fatalf("import %+v: nothing should be scheduled", imp)
		}
		if !storedImport(t, dir, id) {
			t.Fatalf("the file of %s is gone", id)
		}
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.river_job WHERE kind = $1`, app.ImportFileExpireJobKind); n != 0 {
		t.Fatalf("%d expiry jobs scheduled", n)
	}
}

// TestRunningOrRetryableImportKeepsItsFile: an import whose job failed an
// attempt and waits for the next is still running and keeps its file; an
// expiry job that reaches it anyway (or names it from another
// organisation) leaves it alone, while another organisation's ended import
// loses its file.
func TestRunningOrRetryableImportKeepsItsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, diskAt(t, dir), importLimits, retention(50*time.Millisecond), func(o *server.Options) {
		o.Jobs.RetryBase = time.Hour // a failed attempt waits, retryable, for the rest of the test
	})
	owner, other := e.token(newOrg(), "*"), e.token(newOrg(), "*")
	for _, q := range []string{
		`CREATE FUNCTION property.refuse_org() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.org_id = '` + owner.OrgID + `'::uuid THEN RAISE EXCEPTION 'simulated outage'; END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER refuse_org BEFORE INSERT ON property.properties FOR EACH ROW EXECUTE FUNCTION property.refuse_org()`,
	} {
		if _, err := e.admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	large, _, _ := generatedCSV(300, 1000)
	r := e.importCSV(owner, large, "")
	expect(t, r, http.StatusAccepted, "job import")
	retrying := decode[importFileJSON](t, r)
	e.waitJob(owner, *retrying.JobID, "retryable")

	// Another organisation's import ends and loses its file meanwhile.
	small, _, _ := generatedCSV(5, 1000)
	r = e.importCSV(other, small, "")
	expect(t, r, http.StatusCreated, "the other org's inline import")
	ended := decode[importFileJSON](t, r)
	e.awaitImportFile(other, ended.ID, "the ended import's file is deleted", func(f importFileJSON) bool { return f.FileDeletedAt != nil })

	// Stray expiry jobs: one of the import's own organisation (the import
	// has not ended), one of another organisation naming it (RLS hides it).
	stray := func(org string) int64 {
		var id int64
		err := pgx.BeginFunc(t.Context(), e.admin, func(tx pgx.Tx) error {
			row, err := e.srv.Queue.Insert(t.Context(), tx, app.ImportFileExpireJob{
				OrgID: uuid.MustParse(org), ImportID: retrying.ID, ExpiresAt: time.Now().UTC().Truncate(time.Microsecond),
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
	e.waitJob(owner, own, "completed")
	e.waitJob(other, foreign, "cancelled")

	imp := e.importFile(owner, retrying.ID)
	if imp.Status != "running" || imp.FileExpiresAt != nil || imp.FileDeletedAt != nil {
		t.Fatalf("retryable import %+v", imp)
	}
	if !storedImport(t, dir, retrying.ID) {
		t.Fatal("the retryable import's file was deleted")
	}
	if storedImport(t, dir, ended.ID) {
		t.Fatal("the ended import's file is still stored")
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.job_effects WHERE effect_key = $1`,
		app.ImportFileExpireJobKind+":"+retrying.ID); n != 0 {
		t.Fatalf("%d deletions recorded for the retryable import", n)
	}
	if js := e.expireJobs(owner); len(js) != 1 || js[0].ID != own {
		t.Fatalf("the importing org's expiry jobs: %+v, want only the stray one", js)
	}
}

// TestRetryingAnImportWhoseFileIsGoneFailsItForGood: a dead-lettered import
// keeps its file for the retention only; retrying or replaying its job
// after that fails the import for good, saying why, instead of erroring.
func TestRetryingAnImportWhoseFileIsGoneFailsItForGood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, diskAt(t, dir), importLimits, retention(50*time.Millisecond))
	admin := e.token(newOrg(), "*")
	for _, q := range []string{
		`CREATE FUNCTION property.refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'simulated outage'; END $$`,
		`CREATE TRIGGER refuse_all BEFORE INSERT ON property.properties FOR EACH ROW EXECUTE FUNCTION property.refuse_all()`,
	} {
		if _, err := e.admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	large, _, _ := generatedCSV(300, 1000)
	r := e.importCSV(admin, large, "")
	expect(t, r, http.StatusAccepted, "job import")
	id := decode[importFileJSON](t, r).ID
	failed := e.waitImport(admin, id)
	if failed.Status != "failed" || failed.Failure == nil || !strings.Contains(*failed.Failure, "replay job") {
		t.Fatalf("dead-lettered import %s: %v", failed.Status, failed.Failure)
	}
	jobPath := jobs.APIPath("property") + "/" + strconv.FormatInt(*failed.JobID, 10)
	e.waitJob(admin, *failed.JobID, "discarded")
	if imp := e.importFile(admin, id); imp.FileExpiresAt == nil || !imp.FileExpiresAt.Equal(imp.FinishedAt.Add(50*time.Millisecond)) {
		t.Fatalf("dead-lettered import %+v: want its file due 50ms after it failed", imp)
	}
	e.awaitImportFile(admin, id, "the file is deleted", func(f importFileJSON) bool { return f.FileDeletedAt != nil })
	if storedImport(t, dir, id) {
		t.Fatal("the file is still stored")
	}
	if _, err := e.admin.Exec(t.Context(), `DROP TRIGGER refuse_all ON property.properties`); err != nil {
		t.Fatal(err)
	}

	gone := func(imp importFileJSON) bool {
		return imp.Status == "failed" && imp.Failure != nil && strings.Contains(*imp.Failure, "file was deleted")
	}
	expect(t, e.call(http.MethodPost, jobPath+"/retry", admin.Token, nil), http.StatusOK, "retry the import job")
	e.awaitImportFile(admin, id, "the retried import fails for good", gone)
	e.waitJob(admin, *failed.JobID, "completed")
	r = e.call(http.MethodPost, jobPath+"/replay", admin.Token, nil)
	expect(t, r, http.StatusCreated, "replay the import job")
	replay := decode[jobs.Job](t, r)
	e.waitJob(admin, replay.ID, "completed")

	imp := e.importFile(admin, id)
	if !gone(imp) || imp.FileDeletedAt == nil || *imp.JobID != replay.ID {
		t.Fatalf("after the retry and the replay: %+v", imp)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != 0 {
		t.Fatalf("%d properties loaded without a file", n)
	}
	// The dead-letter, the retry and the replay each announced the failure.
	if n := e.importEvents(app.EventImportFailed, id); n != 3 {
		t.Fatalf("%d import.failed events, want 3", n)
	}
	// The expiry the failures did not reschedule: the file was gone.
	if n := scalar[int](e, `SELECT count(*) FROM property.river_job WHERE kind = $1`, app.ImportFileExpireJobKind); n != 1 {
		t.Fatalf("%d expiry jobs, want the dead-letter's one", n)
	}
}
