package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"testing"

	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/server"
)

// part is one form field of a multipart upload (sent in order, before the
// file).
type part struct{ name, value string }

// multipartBody builds a multipart/form-data body: fields, then the file
// part (omitted when fileName is "") with its declared Content-Type.
func multipartBody(t testing.TB, fields []part, fileName, fileType string, file []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := w.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	if fileName != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, fileName))
		h.Set("Content-Type", fileType)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(file); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

// upload posts a multipart body to path as u.
func (e *env) upload(path string, u user, fields []part, fileName, fileType string, file []byte) response {
	e.t.Helper()
	body, ct := multipartBody(e.t, fields, fileName, fileType, file)
	return e.client.Do(http.MethodPost, path, u.Token, body, "Content-Type", ct)
}

// rowErrorJSON, importReportJSON and leadImportJSON are a lead import as
// the API shows it.
type rowErrorJSON struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

type importReportJSON struct {
	Rows            int            `json:"rows"`
	Accepted        int            `json:"accepted"`
	Merged          int            `json:"merged"`
	Rejected        int            `json:"rejected"`
	ContactsCreated int            `json:"contacts_created"`
	ContactsUpdated int            `json:"contacts_updated"`
	Errors          []rowErrorJSON `json:"errors"`
	ErrorsTruncated bool           `json:"errors_truncated"`
	IgnoredColumns  []string       `json:"ignored_columns"`
	SourcesCreated  []string       `json:"sources_created"`
	Warnings        []rowErrorJSON `json:"warnings"`
}

type leadImportJSON struct {
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	FileName    string            `json:"file_name"`
	FileSize    int64             `json:"file_size"`
	Mapping     map[string]string `json:"mapping"`
	PhoneRegion string            `json:"phone_region"`
	JobID       *int64            `json:"job_id"`
	Report      importReportJSON  `json:"report"`
	Error       *string           `json:"error"`
	CompletedAt *string           `json:"completed_at"`
}

// importCSV imports csv inline as u (fields before the file) and returns
// the ended import.
func (e *env) importCSV(u user, csv string, fields []part) leadImportJSON {
	e.t.Helper()
	r := e.upload("/api/v1/leads/import", u, fields, "leads.csv", "text/csv", []byte(csv))
	expect(e.t, r, http.StatusCreated, "import")
	imp := decode[leadImportJSON](e.t, r)
	if loc := r.Header.Get("Location"); loc != "/api/v1/leads/imports/"+imp.ID {
		e.t.Fatalf("Location = %q", loc)
	}
	return imp
}

// count runs a count as the superuser.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	return int(scalar[int64](e, query, args...))
}

// The messy file: a BOM, a mapped column, an ignored one holding a quoted
// newline, duplicates within the file and of existing contacts, and rows
// bad in every way the report must name.
const messyCSV = "\ufeffFirst Name,Last Name,E-mail,Phone,Status,Source,Budget Max Cents,Remarks\n" +
	"Ann,Ames,ANN@example.com,,,,,has a lead already\n" + // 2: merged into Ann's lead, her last name filled
	"Bob,Brown,bob@example.com,(415) 555-0102,contacted,Referral,50000000,\n" + // 3: Bob (by phone) gets a lead and his email
	"Dee,Diaz,dee@example.com,,,open house,,\"met at the\nopen house\"\n" + // 4-5: new person
	",,DEE@example.com,415 555 0104,,,,\n" + // 6: Dee again (merged; her phone filled)
	"Jane,,Jane <j@x.io>,,,,,\n" + // 7: display-name email
	"Hal,,hal@example.com,12,hot,,,\n" + // 8: bad phone and bad status
	"too,few,columns\n" + // 9: unreadable
	"Nobody,,,,,,,\n" + // 10: neither email nor phone
	",,cy@example.com,,,,,\n" + // 11: Cy's old lead is archived: a new one
	"Gil,,gil@example.com,,,Billboard,,\n" + // 12: a source the org lacks: created
	"\n" + // 13: blank, not a row
	"Eve,,,+44 20 7946 0958,qualified,,,\n" // 14: new person by phone only

// messyWorld creates the people the messy file meets: Ann with an active
// lead, Bob as a bare contact, Cy whose only lead is archived.
func messyWorld(e *env, u user) {
	e.t.Helper()
	e.createLead(u, map[string]any{"first_name": "Ann", "email": "ann@example.com"})
	expect(e.t, e.call(http.MethodPost, "/api/v1/contacts", u, map[string]any{"phone": "+14155550102"}), http.StatusCreated, "bob")
	cy := e.createLead(u, map[string]any{"email": "cy@example.com"})
	expect(e.t, e.call(http.MethodDelete, "/api/v1/leads/"+cy.ID, u, nil), http.StatusNoContent, "archive cy")
}

func TestImportMessyFileReportsEveryRowAndReimportAddsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	messyWorld(e, agent)
	contactsBefore, leadsBefore := e.count(`SELECT count(*) FROM crm.contacts`), e.count(`SELECT count(*) FROM crm.leads`)

	imp := e.importCSV(agent, messyCSV, []part{{"mapping", `{"E-mail": "email"}`}})
	want := importReportJSON{
		Rows: 11, Accepted: 5, Merged: 2, Rejected: 4, ContactsCreated: 3, ContactsUpdated: 2,
		Errors: []rowErrorJSON{
			{Line: 7, Column: "E-mail", Reason: "must be a plain email address such as name@example.com"},
			{Line: 8, Column: "Phone", Reason: "must be a valid phone number (E.164, or national format for phone_region)"},
			{Line: 8, Column: "Status", Reason: "must be one of new, contacted, qualified, nurturing, unqualified, converted"},
			{Line: 9, Reason: "has 3 columns; the header has 8"},
			{Line: 10, Column: "E-mail", Reason: "a row needs an email or a phone: people are deduplicated by them"},
		},
		IgnoredColumns: []string{"Remarks"}, SourcesCreated: []string{"Billboard"}, Warnings: []rowErrorJSON{},
	}
	if imp.Status != "completed" || imp.JobID != nil || imp.CompletedAt == nil || imp.Error != nil || imp.FileName != "leads.csv" ||
		imp.FileSize != int64(len(messyCSV)) || imp.Mapping["E-mail"] != "email" || imp.PhoneRegion != "US" {
		t.Fatalf("import = %+v", imp)
	}
	if !reflect.DeepEqual(imp.Report, want) {
		t.Fatalf("report =\n%+v\nwant\n%+v", imp.Report, want)
	}
	if got := decode[leadImportJSON](t, e.call(http.MethodGet, "/api/v1/leads/imports/"+imp.ID, agent, nil)); !reflect.DeepEqual(got.Report, want) {
		t.Fatalf("stored report = %+v", got.Report)
	}

	// The people as the rules say.
	if n := e.count(`SELECT count(*) FROM crm.contacts`); n != contactsBefore+3 {
		t.Fatalf("%d contacts, want %d", n, contactsBefore+3)
	}
	if n := e.count(`SELECT count(*) FROM crm.leads`); n != leadsBefore+5 {
		t.Fatalf("%d leads, want %d", n, leadsBefore+5)
	}
	person := func(email string) string {
		return scalar[string](e, `SELECT concat_ws('|', first_name, last_name, email, phone) FROM crm.contacts WHERE email = $1`, email)
	}
	for email, want := range map[string]string{
		"ann@example.com": "Ann|Ames|ann@example.com",               // last name filled, nothing overwritten
		"bob@example.com": "Bob|Brown|bob@example.com|+14155550102", // matched by phone, email and names filled
		"dee@example.com": "Dee|Diaz|dee@example.com|+14155550104",  // created, phone filled by her second row
	} {
		if got := person(email); got != want {
			t.Errorf("%s = %s, want %s", email, got, want)
		}
	}
	bob := scalar[string](e, `SELECT concat_ws('|', l.status, s.key, l.budget_max_cents, l.score IS NOT NULL)
FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id JOIN crm.lead_sources s ON s.id = l.source_id WHERE c.email = 'bob@example.com'`)
	if bob != "contacted|referral|50000000|t" {
		t.Errorf("bob's lead = %s", bob)
	}
	if src := scalar[string](e, `SELECT s.key FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id
JOIN crm.lead_sources s ON s.id = l.source_id WHERE c.email = 'dee@example.com'`); src != "open_house" {
		t.Errorf("dee's source (by name) = %s", src)
	}
	if n := e.count(`SELECT count(*) FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id WHERE c.email = 'cy@example.com' AND l.archived_at IS NULL`); n != 1 {
		t.Errorf("cy has %d active leads", n)
	}
	if n := e.count(`SELECT count(*) FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id WHERE c.phone = '+442079460958' AND l.status = 'qualified'`); n != 1 {
		t.Errorf("eve has %d qualified leads", n)
	}
	// Each new lead has its timeline entry and event; the import its
	// summary.
	if n := e.count(`SELECT count(*) FROM crm.lead_changes WHERE kind = 'created'`); n != leadsBefore+5 {
		t.Errorf("%d created entries", n)
	}
	// The score is on the lead; an import records no history row (the
	// history starts with the first rescoring).
	if n := e.count(`SELECT count(*) FROM crm.lead_scores`); n != leadsBefore {
		t.Errorf("%d score rows, want the API-created leads' %d", n, leadsBefore)
	}
	types := e.outboxTypes()
	if n := countOf(types, "reos.crm.lead.created"); n != leadsBefore+5 {
		t.Errorf("%d lead.created events, want %d", n, leadsBefore+5)
	}
	if n := countOf(types, "reos.crm.lead_import.completed"); n != 1 {
		t.Errorf("%d lead_import.completed events", n)
	}

	// The same file again: everyone is there with an active lead.
	again := e.importCSV(agent, messyCSV, []part{{"mapping", `{"E-mail": "email"}`}})
	want.Accepted, want.Merged, want.ContactsCreated, want.ContactsUpdated, want.SourcesCreated = 0, 7, 0, 0, []string{}
	if !reflect.DeepEqual(again.Report, want) {
		t.Fatalf("re-import report =\n%+v\nwant\n%+v", again.Report, want)
	}
	if e.count(`SELECT count(*) FROM crm.contacts`) != contactsBefore+3 || e.count(`SELECT count(*) FROM crm.leads`) != leadsBefore+5 {
		t.Fatal("the re-import added people or leads")
	}
	if n := countOf(e.outboxTypes(), "reos.crm.lead.created"); n != leadsBefore+5 {
		t.Errorf("the re-import emitted lead.created: %d", n)
	}
	// An imported lead's score is the model's: scoring it again gives it.
	bobLead := scalar[string](e, `SELECT l.id::text FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id WHERE c.email = 'bob@example.com'`)
	before := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+bobLead, agent, nil))
	rescored := decode[scoreJSON](t, e.call(http.MethodPost, "/api/v1/leads/"+bobLead+"/score", agent, nil))
	if before.Score == nil || *before.Score != rescored.Score || rescored.Score == 0 {
		t.Errorf("imported score %v, scored again %d", before.Score, rescored.Score)
	}
	list := decode[listJSON[leadImportJSON]](t, e.call(http.MethodGet, "/api/v1/leads/imports?limit=1", agent, nil))
	if len(list.Items) != 1 || list.Items[0].ID != again.ID || list.NextCursor == nil {
		t.Fatalf("first page = %+v", list)
	}
	next := decode[listJSON[leadImportJSON]](t, e.call(http.MethodGet, "/api/v1/leads/imports?limit=1&cursor="+*list.NextCursor, agent, nil))
	if len(next.Items) != 1 || next.Items[0].ID != imp.ID || next.NextCursor != nil {
		t.Fatalf("second page = %+v", next)
	}
}

func countOf(items []string, v string) int {
	n := 0
	for _, it := range items {
		if it == v {
			n++
		}
	}
	return n
}

// bigCSV has n data rows for n-dup people: row i is person i mod
// (n-dup), so the last dup rows repeat the first people in later batches.
// The row of person fail carries postal code 99999.
func bigCSV(n, dup, fail int) string {
	var b strings.Builder
	b.WriteString("email,first_name,postal_code\n")
	for i := range n {
		p := i % (n - dup)
		code := "10001"
		if i == fail {
			code = "99999"
		}
		fmt.Fprintf(&b, "p%03d@example.com,Person %d,%s\n", p, p, code)
	}
	return b.String()
}

// failLeads makes every insert of a lead with postal code 99999 fail while
// crm_test_fail holds a row: a database failure in the middle of a file.
func (e *env) failLeads() (stop func()) {
	e.t.Helper()
	for _, q := range []string{
		`CREATE TABLE public.crm_test_fail (on_ boolean)`,
		`INSERT INTO public.crm_test_fail VALUES (true)`,
		`CREATE FUNCTION public.crm_test_fail() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  IF NEW.postal_code = '99999' AND EXISTS (SELECT 1 FROM public.crm_test_fail) THEN
    RAISE EXCEPTION 'injected failure';
  END IF;
  RETURN NEW;
END $$`,
		`CREATE TRIGGER crm_test_fail BEFORE INSERT ON crm.leads FOR EACH ROW EXECUTE FUNCTION public.crm_test_fail()`,
	} {
		if _, err := e.admin.Exec(e.t.Context(), q); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
	}
	return func() {
		if _, err := e.admin.Exec(e.t.Context(), `DELETE FROM public.crm_test_fail`); err != nil {
			e.t.Fatal(err)
		}
	}
}

// jobJSON is a job as the jobs API shows it.
type jobJSON struct {
	ID       int64           `json:"id"`
	Kind     string          `json:"kind"`
	State    string          `json:"state"`
	Attempt  int             `json:"attempt"`
	Progress json.RawMessage `json:"progress"`
}

// progressJSON is an import job's progress.
type progressJSON struct{ Rows, Accepted, Merged, Rejected int }

func (j jobJSON) progress(t testing.TB) progressJSON {
	t.Helper()
	var p progressJSON
	if err := json.Unmarshal(j.Progress, &p); err != nil {
		t.Fatalf("progress %s: %v", j.Progress, err)
	}
	return p
}

func TestLargeImportRunsAsAJobAndAFailedRunResumesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *server.Options) { o.Uploads = app.UploadConfig{ImportInlineBytes: 64, ImportBatchRows: 10} })
	org := newOrg()
	agent, admin := e.user(org, permsAgent), e.user(org, permsAdmin)
	stop := e.failLeads()
	// 45 rows, 40 people; the row on line 26 (third batch) fails to insert.
	csv := bigCSV(45, 5, 24)

	r := e.upload("/api/v1/leads/import", agent, nil, "people.csv", "text/csv", []byte(csv))
	expect(t, r, http.StatusAccepted, "queued import")
	imp := decode[leadImportJSON](t, r)
	if imp.Status != "queued" || imp.JobID == nil || r.Header.Get("Location") != "/api/v1/leads/imports/"+imp.ID || imp.Report.Rows != 0 {
		t.Fatalf("queued import = %s %+v", r.Header.Get("Location"), imp)
	}
	jobPath := fmt.Sprintf("/api/v1/jobs/crm/%d", *imp.JobID)
	e.runQueue()

	// Every attempt commits the first two batches' worth only once, then
	// fails on the third; after the last attempt the import says so.
	e.eventually("the job is discarded", func() bool {
		return decode[jobJSON](t, e.call(http.MethodGet, jobPath, admin, nil)).State == "discarded"
	})
	got := decode[leadImportJSON](t, e.call(http.MethodGet, "/api/v1/leads/imports/"+imp.ID, agent, nil))
	if got.Status != "failed" || got.Error == nil || !strings.Contains(*got.Error, "retrying its job resumes it") ||
		got.Report.Rows != 20 || got.Report.Accepted != 20 || got.Report.Merged != 0 {
		t.Fatalf("after the failures: %+v", got)
	}
	if n := e.count(`SELECT count(*) FROM crm.leads`); n != 20 {
		t.Fatalf("%d leads after the failed attempts, want the first two batches' 20", n)
	}
	if n := e.count(`SELECT checkpoint_line FROM crm.lead_imports WHERE id = $1`, imp.ID); n != 21 {
		t.Fatalf("checkpoint line %d, want 21", n)
	}
	job := decode[jobJSON](t, e.call(http.MethodGet, jobPath, admin, nil))
	if job.Kind != "crm.lead_import" || job.Attempt != 3 || job.progress(t) != (progressJSON{Rows: 20, Accepted: 20}) {
		t.Fatalf("job = %+v progress %s", job, job.Progress)
	}

	// The cause goes away; retrying the dead job resumes after line 21.
	stop()
	expect(t, e.call(http.MethodPost, jobPath+"/retry", admin, nil), http.StatusOK, "retry")
	e.eventually("the import completes", func() bool {
		return decode[leadImportJSON](t, e.call(http.MethodGet, "/api/v1/leads/imports/"+imp.ID, agent, nil)).Status == "completed"
	})
	got = decode[leadImportJSON](t, e.call(http.MethodGet, "/api/v1/leads/imports/"+imp.ID, agent, nil))
	want := importReportJSON{Rows: 45, Accepted: 40, Merged: 5, ContactsCreated: 40, Errors: []rowErrorJSON{}, IgnoredColumns: []string{},
		SourcesCreated: []string{}, Warnings: []rowErrorJSON{}}
	if !reflect.DeepEqual(got.Report, want) || got.Error != nil || got.CompletedAt == nil {
		t.Fatalf("completed import = %+v", got)
	}
	if n := e.count(`SELECT count(*) FROM crm.leads`); n != 40 {
		t.Fatalf("%d leads, want 40", n)
	}
	if n := e.count(`SELECT count(*) FROM (SELECT email FROM crm.contacts GROUP BY email HAVING count(*) > 1) d`); n != 0 {
		t.Fatal("duplicate contacts")
	}
	if n := countOf(e.outboxTypes(), "reos.crm.lead.created"); n != 40 {
		t.Fatalf("%d lead.created events, want 40", n)
	}
	e.eventually("the job completes", func() bool {
		return decode[jobJSON](t, e.call(http.MethodGet, jobPath, admin, nil)).State == "completed"
	})
	job = decode[jobJSON](t, e.call(http.MethodGet, jobPath, admin, nil))
	if job.progress(t) != (progressJSON{Rows: 45, Accepted: 40, Merged: 5}) {
		t.Fatalf("final progress %s", job.Progress)
	}

	// Replaying the finished job changes nothing.
	expect(t, e.call(http.MethodPost, jobPath+"/replay", admin, nil), http.StatusCreated, "replay")
	e.eventually("the replay completes", func() bool {
		return e.count(`SELECT count(*) FROM crm.river_job WHERE kind = 'crm.lead_import' AND state = 'completed'`) == 2
	})
	if n := e.count(`SELECT count(*) FROM crm.leads`); n != 40 || countOf(e.outboxTypes(), "reos.crm.lead_import.completed") != 1 {
		t.Fatalf("the replay imported again: %d leads", n)
	}
}

func TestImportRefusesFilesItCannotImport(t *testing.T) {
	t.Parallel()
	files := testFiles(t)
	e := newEnv(t, func(o *server.Options) {
		o.Files, o.Signer = files.disk, files.signer
		o.Uploads = app.UploadConfig{ImportMaxBytes: 2048}
	})
	org := newOrg()
	agent, viewer := e.user(org, permsAgent), e.user(org, permsViewer)
	const path = "/api/v1/leads/import"
	csv := []byte("email\na@example.com\n")
	for _, tc := range []struct {
		name   string
		fields []part
		file   []byte
		status int
		field  string
	}{
		{"no email or phone column", nil, []byte("first_name,last_name\nAnn,Ames\n"), 422, "file"},
		{"mapping to an unknown field", []part{{"mapping", `{"email": "e_mail"}`}}, csv, 422, "mapping"},
		{"mapping an absent column", []part{{"mapping", `{"Mail": "email"}`}}, csv, 422, "mapping"},
		{"mapping that is not an object", []part{{"mapping", `["email"]`}}, csv, 422, "mapping"},
		{"unknown phone region", []part{{"phone_region", "XX"}}, csv, 422, "phone_region"},
		{"empty file", nil, []byte("\n"), 422, "file"},
		{"UTF-16", nil, []byte("\xff\xfee\x00m\x00a\x00i\x00l\x00\n\x00"), 422, "file"},
		{"a PNG named leads.csv", nil, pngFile(t), 415, "file"},
		{"over the size limit", nil, []byte("email\n" + strings.Repeat("a@example.com\n", 200)), 413, "file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectField(t, e.upload(path, agent, tc.fields, "leads.csv", "text/csv", tc.file), tc.status, tc.field, tc.name)
		})
	}
	expectField(t, e.upload(path, agent, nil, "", "", nil), 422, "file", "no file part")
	expectField(t, e.call(http.MethodPost, path, agent, map[string]any{"email": "a@example.com"}), 415, "Content-Type", "JSON body")
	expect(t, e.upload(path, viewer, nil, "leads.csv", "text/csv", csv), http.StatusForbidden, "viewer")
	// Nothing refused was kept: no import, no file.
	if n := e.count(`SELECT count(*) FROM crm.lead_imports`); n != 0 {
		t.Fatalf("%d imports recorded", n)
	}
	if stored := files.objects(t); len(stored) != 0 {
		t.Fatalf("refused uploads left files: %v", stored)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/leads/imports/"+newOrg(), agent, nil), http.StatusNotFound, "unknown import")
	expect(t, e.call(http.MethodGet, "/api/v1/leads/imports/nope", agent, nil), http.StatusNotFound, "malformed id")
}

func TestImportAssignsNewLeadsLikeCreateLead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	closer := e.user(org, permsAgent)
	rule := e.createRule(admin, map[string]any{
		"name": "SF", "match": map[string]any{"postal_code_prefixes": []string{"941"}}, "target": map[string]any{"user_id": closer.ID},
	})
	// An agent who sees only its own leads imports: the rule's leads go to
	// the closer, the rest to the agent (who would not see them otherwise).
	expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": true}), http.StatusOK, "settings")
	agent := e.agent(org)
	imp := e.importCSV(agent, "email,postal_code\nsf1@example.com,94103\nny@example.com,10001\nsf2@example.com,94110-1234\n", nil)
	if imp.Report.Accepted != 3 {
		t.Fatalf("report = %+v", imp.Report)
	}
	assignee := func(email string) string {
		return scalar[string](e, `SELECT coalesce(l.assignee_id::text, '') FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id WHERE c.email = $1`, email)
	}
	if assignee("sf1@example.com") != closer.ID || assignee("sf2@example.com") != closer.ID || assignee("ny@example.com") != agent.ID {
		t.Fatalf("assignees: sf1 %s sf2 %s ny %s (closer %s, agent %s)", assignee("sf1@example.com"), assignee("sf2@example.com"),
			assignee("ny@example.com"), closer.ID, agent.ID)
	}
	if n := e.count(`SELECT count(*) FROM crm.lead_changes WHERE kind = 'assigned' AND rule_id = $1 AND to_value = $2`, rule.ID, closer.ID); n != 2 {
		t.Fatalf("%d assigned entries naming the rule", n)
	}
	if n := e.count(`SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'type' = 'reos.crm.lead.assigned'
AND payload::jsonb->'data'->>'rule_id' = $1`, rule.ID); n != 2 {
		t.Fatalf("%d lead.assigned events naming the rule", n)
	}
	// The agent sees the lead it was given, not the closer's.
	leads := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads", agent, nil))
	if len(leads.Items) != 1 || *leads.Items[0].Contact.Email != "ny@example.com" {
		t.Fatalf("the agent sees %+v", leads.Items)
	}
}

// Two imports of overlapping files at once: every person ends up once, with
// one active lead, however the batches interleave (they lock the people
// they touch; a batch that loses a race is planned again).
func TestConcurrentImportsNeverDuplicatePeople(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *server.Options) { o.Uploads = app.UploadConfig{ImportBatchRows: 25} })
	agent := e.user(newOrg(), permsAgent)
	file := func(order []int) string {
		var b strings.Builder
		b.WriteString("email,phone\n")
		for _, p := range order {
			fmt.Fprintf(&b, "c%03d@example.com,+1415555%04d\n", p, p)
		}
		return b.String()
	}
	var up, down []int
	for p := range 200 {
		up = append(up, p)
		down = append(down, 199-p)
	}
	results := make(chan importReportJSON, 2)
	for _, f := range []string{file(up), file(down)} {
		go func() {
			body, ct := multipartBody(t, nil, "c.csv", "text/csv", []byte(f))
			r := e.client.Do(http.MethodPost, "/api/v1/leads/import", agent.Token, body, "Content-Type", ct)
			if r.Status != http.StatusCreated {
				t.Errorf("import: %s", r)
				results <- importReportJSON{}
				return
			}
			results <- decode[leadImportJSON](t, r).Report
		}()
	}
	a, b := <-results, <-results
	if t.Failed() {
		t.FailNow()
	}
	if a.Rows != 200 || b.Rows != 200 || a.Accepted+b.Accepted != 200 || a.Accepted+a.Merged != 200 || b.Accepted+b.Merged != 200 ||
		a.ContactsCreated+b.ContactsCreated != 200 {
		t.Fatalf("reports %+v and %+v", a, b)
	}
	if n := e.count(`SELECT count(*) FROM crm.contacts`); n != 200 {
		t.Fatalf("%d contacts", n)
	}
	if n := e.count(`SELECT count(*) FROM (SELECT contact_id FROM crm.leads GROUP BY contact_id HAVING count(*) = 1) x`); n != 200 {
		t.Fatalf("%d people with exactly one lead", n)
	}
}
