package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/storage"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/server"
)

const importPath = "/api/v1/properties/bulk-import"

// importLimits makes files over 1 KiB run as jobs in batches of 100
// records, and files over 256 KiB too large.
func importLimits(o *server.Options) {
	o.Imports = app.ImportConfig{MaxBytes: 256 << 10, InlineMaxBytes: 1 << 10, BatchRows: 100}
}

type importJSON struct {
	ID             string            `json:"id"`
	OrgID          string            `json:"org_id"`
	Status         string            `json:"status"`
	FileName       string            `json:"file_name"`
	FileSize       int64             `json:"file_size"`
	FileSHA256     string            `json:"file_sha256"`
	Mapping        map[string]string `json:"mapping"`
	JobID          *int64            `json:"job_id"`
	CheckpointLine int               `json:"checkpoint_line"`
	Failure        *string           `json:"failure"`
	CreatedBy      *string           `json:"created_by"`
	FinishedAt     *string           `json:"finished_at"`
	Report         struct {
		Rows            int                       `json:"rows"`
		Accepted        int                       `json:"accepted"`
		Rejected        int                       `json:"rejected"`
		Skipped         int                       `json:"skipped"`
		Errors          []csvimport.RowError      `json:"errors"`
		ErrorsTruncated bool                      `json:"errors_truncated"`
		IgnoredColumns  []string                  `json:"ignored_columns"`
		Columns         []csvimport.ColumnMapping `json:"columns"`
	} `json:"report"`
}

// counts summarises the report without its (long) error list.
func (imp importJSON) counts() string {
	r := imp.Report
	return fmt.Sprintf("rows %d, accepted %d, rejected %d, skipped %d, %d errors listed", r.Rows, r.Accepted, r.Rejected, r.Skipped, len(r.Errors))
}

// importCSV uploads content as a CSV file, with a header mapping when
// mapping is not empty.
func (e *env) importCSV(c caller, content []byte, mapping string) response {
	e.t.Helper()
	var fields [][2]string
	if mapping != "" {
		fields = append(fields, [2]string{"mapping", mapping})
	}
	return e.upload(c.Token, importPath, fileForm("listings.csv", "text/csv", content, fields...))
}

// waitImport waits until the import has finished.
func (e *env) waitImport(c caller, id string) importJSON {
	e.t.Helper()
	return await(e, c, importPath+"/"+id, "import "+id+" finishes",
		func(imp importJSON) bool { return imp.Status == "completed" || imp.Status == "failed" })
}

// events counts the outbox's events of type typ about import id (the
// import's own events by key, created properties by data.import_id).
func (e *env) importEvents(typ, id string) int {
	e.t.Helper()
	return scalar[int](e, `SELECT count(*) FROM property.outbox WHERE payload->>'type' = $1
		AND (msg_key = $2 OR payload->'data'->>'import_id' = $2)`, typ, id)
}

const messyHeader = "\ufeffListing Key,list_price_cents,property_type,unparsed_address,City,year_built,latitude,longitude,Notes\n"

// messyCSV has good rows and every kind of bad one; wantMessyErrors is its
// report, exactly.
var messyCSV = []byte(messyHeader +
	"A-1,45000000,Residential,12 Oak Ave,Austin,1999,30.25,-97.75,ok\n" + // 2 good
	"A-2,abc,Residential,13 Oak Ave,Austin,,,,price not a number\n" + // 3
	"A-3,100,Residential,14 Oak Ave,,,,,no city\n" + // 4
	"A-4,100,Castle,15 Oak Ave,Austin,,,,bad enum\n" + // 5
	"A-5,100,Resi\"dential,16 Oak Ave,Austin,,,,bare quote\n" + // 6
	"A-6,100,Residential,17 Oak Ave,M\xfcnchen,,,,latin-1\n" + // 7
	"A-7,100,Residential\n" + // 8 too few columns
	"\"A-8\",\"2500000\",Land,\"18 Oak Ave, Lot 2\",Austin,,,,\"quoted, with comma\"\n" + // 9 good
	"A-1,100,Residential,19 Oak Ave,Austin,,,,same key as line 2\n" + // 10 duplicate
	"A-9,100,Residential,20 Oak Ave,Austin,old,1,,two bad values\n" + // 11
	",100,Residential,21 Oak Ave,Austin,,,,no listing key: one from the address\n" + // 12 good
	"\"A-10,100,Residential,22 Oak Ave,Austin,,,,unterminated\n") // 13

var wantMessyErrors = []csvimport.RowError{
	{Line: 3, Column: "list_price_cents", Reason: "must be a whole number of cents, e.g. 45000000"},
	{Line: 4, Column: "City", Reason: "is required"},
	{Line: 5, Column: "property_type", Reason: `"Castle" is no RESO PropertyType value nor a known spelling of one: write one of Residential, ResidentialIncome, ResidentialLease, Land, Farm, CommercialSale, CommercialLease, BusinessOpportunity, ManufacturedInPark`},
	{Line: 6, Reason: "has a \" inside an unquoted value (quote the value and double the quote)"},
	{Line: 7, Column: "City", Reason: "is not valid UTF-8: save the file as UTF-8"},
	{Line: 8, Reason: "has 3 columns; the header has 9"},
	{Line: 10, Column: "Listing Key", Reason: `duplicate: listing_key "A-1" repeats line 2; the row was skipped`},
	{Line: 11, Column: "year_built", Reason: "must be a whole number"},
	{Line: 11, Column: "longitude", Reason: "latitude and longitude must be given together"},
	{Line: 13, Reason: "has broken quoting (a quoted value must end with \" and quotes inside it must be doubled)"},
}

func expectErrors(t *testing.T, got, want []csvimport.RowError) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d row errors, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row error %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestImportLoadsGoodRowsAndReportsEachBadOne: a small file is imported
// inside the request; the good rows become properties as a create makes
// them (listed, searchable, history, created events), every bad row is
// reported with its line, column and reason, and importing the same file
// again adds nothing.
func TestImportLoadsGoodRowsAndReportsEachBadOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "properties:read", "properties:write")

	r := e.importCSV(admin, messyCSV, "")
	expect(t, r, http.StatusCreated, "import")
	imp := decode[importJSON](t, r)
	if loc := r.Header.Get("Location"); loc != importPath+"/"+imp.ID {
		t.Errorf("Location = %q", loc)
	}
	rep := imp.Report
	if imp.Status != "completed" || imp.JobID != nil || imp.OrgID != admin.OrgID || *imp.CreatedBy != admin.UserID ||
		imp.FileSHA256 != sha(messyCSV) || imp.FileSize != int64(len(messyCSV)) || imp.FinishedAt == nil {
		t.Fatalf("import %+v", imp)
	}
	if rep.Rows != 12 || rep.Accepted != 3 || rep.Rejected != 8 || rep.Skipped != 1 || rep.ErrorsTruncated ||
		len(rep.IgnoredColumns) != 1 || rep.IgnoredColumns[0] != "Notes" {
		t.Fatalf("report %+v", rep)
	}
	expectErrors(t, rep.Errors, wantMessyErrors)

	// The loaded rows are properties like any other.
	list := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties?sort=list_price", admin.Token, nil))
	if len(list.Items) != 3 || !strings.HasPrefix(*list.Items[0].ListingKey, "addr-") || list.Items[0].UnparsedAddress != "21 Oak Ave" ||
		*list.Items[1].ListingKey != "A-8" || list.Items[1].UnparsedAddress != "18 Oak Ave, Lot 2" ||
		list.Items[1].PropertyType != "Land" || *list.Items[2].ListingKey != "A-1" || list.Items[2].ListPriceCents != 45000000 ||
		*list.Items[2].YearBuilt != 1999 || *list.Items[2].Latitude != 30.25 || list.Items[2].StandardStatus != "Active" {
		t.Fatalf("listed %+v", list.Items)
	}
	found := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties/search?q=oak+lot", admin.Token, nil))
	if len(found.Items) == 0 || found.Items[0].ID != list.Items[1].ID {
		t.Fatalf("search for an imported address: %+v", found.Items)
	}
	hist := decode[listJSON[map[string]any]](t, e.call(http.MethodGet, "/api/v1/properties/"+list.Items[2].ID+"/history", admin.Token, nil))
	if len(hist.Items) != 1 || hist.Items[0]["field"] != "import" || hist.Items[0]["actor_id"] != admin.UserID {
		t.Fatalf("history %+v", hist.Items)
	}
	if nv, _ := hist.Items[0]["new_value"].(map[string]any); nv["import_id"] != imp.ID || nv["line"] != float64(2) {
		t.Fatalf("history entry %+v", hist.Items[0])
	}
	if n := e.importEvents(app.EventPropertyCreated, imp.ID); n != 3 {
		t.Errorf("%d property.created events, want 3", n)
	}
	if n := e.importEvents(app.EventImportCompleted, imp.ID); n != 1 {
		t.Errorf("%d import.completed events, want 1", n)
	}
	if n := e.importEvents(app.EventImportProgress, imp.ID); n != 1 {
		t.Errorf("%d import.progress events, want 1", n)
	}

	// Again: every valid row is now a duplicate.
	r = e.importCSV(admin, messyCSV, "")
	expect(t, r, http.StatusCreated, "import again")
	again := decode[importJSON](t, r)
	if again.ID == imp.ID || again.Report.Accepted != 0 || again.Report.Skipped != 4 || again.Report.Rejected != 8 {
		t.Fatalf("second import: %s", again.counts())
	}
	var dups []int
	for _, re := range again.Report.Errors {
		if strings.HasPrefix(re.Reason, "duplicate") {
			dups = append(dups, re.Line)
			if re.Column != "Listing Key" {
				t.Errorf("duplicate on column %q", re.Column)
			}
		}
	}
	if fmt.Sprint(dups) != "[2 9 10 12]" {
		t.Fatalf("duplicates reported on lines %v, want [2 9 10 12]", dups)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != 3 {
		t.Fatalf("%d properties after importing twice, want 3", n)
	}
	if n := e.importEvents(app.EventPropertyCreated, again.ID); n != 0 {
		t.Fatalf("the second import announced %d properties", n)
	}

	// Both imports are listed, newest first, without their row errors.
	l := decode[listJSON[importJSON]](t, e.call(http.MethodGet, importPath, admin.Token, nil))
	if len(l.Items) != 2 || l.Items[0].ID != again.ID || l.Items[1].ID != imp.ID || l.Items[1].Report.Errors != nil || l.Items[1].Report.Accepted != 3 {
		t.Fatalf("imports listed %+v", l.Items)
	}
	page := decode[listJSON[importJSON]](t, e.call(http.MethodGet, importPath+"?limit=1", admin.Token, nil))
	next := decode[listJSON[importJSON]](t, e.call(http.MethodGet, importPath+"?limit=1&cursor="+*page.NextCursor, admin.Token, nil))
	if len(page.Items) != 1 || page.Items[0].ID != again.ID || len(next.Items) != 1 || next.Items[0].ID != imp.ID {
		t.Fatalf("pages %+v then %+v", page.Items, next.Items)
	}
}

// TestImportHeaderMapping: a mapping names the file's own columns for the
// fields; errors name the file's columns; a price may come in currency
// units.
func TestImportHeaderMapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	csv := []byte("MLS #,Price,Kind,Street,Town,Zip\n" +
		"M-1,450000.5,Residential,1 Elm St,Dallas,75201\n" +
		"M-2,12.345,Residential,2 Elm St,Dallas,75201\n")
	mapping := `{"MLS #": "listing_key", "Price": "list_price", "Kind": "property_type", "Street": "unparsed_address", "Town": "city", "Zip": "postal_code"}`
	r := e.importCSV(admin, csv, mapping)
	expect(t, r, http.StatusCreated, "mapped import")
	imp := decode[importJSON](t, r)
	if imp.Report.Accepted != 1 || imp.Mapping["MLS #"] != "listing_key" {
		t.Fatalf("import %+v", imp)
	}
	expectErrors(t, imp.Report.Errors, []csvimport.RowError{{Line: 3, Column: "Price", Reason: csvimport.ErrMoney.Error()}})
	p := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties", admin.Token, nil)).Items
	if len(p) != 1 || p[0].ListPriceCents != 45000050 || *p[0].PostalCode != "75201" || p[0].City != "Dallas" {
		t.Fatalf("imported %+v", p)
	}
}

// TestImportRefusesFilesItCannotRead: what cannot be imported at all is a
// 4xx naming the problem, and leaves neither an import nor a stored file.
func TestImportRefusesFilesItCannotRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, importLimits, diskAt(t, dir))
	admin := e.token(newOrg(), "*")
	good := "listing_key,list_price_cents,property_type,unparsed_address,city\nK,1,Land,1 A St,X\n"
	tests := []struct {
		name    string
		form    form
		status  int
		field   string
		content string // the query
	}{
		{"no property_type column", fileForm("a.csv", "text/csv", []byte("listing_key,list_price_cents,unparsed_address,city\nK,1,1 A,X\n")), http.StatusUnprocessableEntity, "property_type", ""},
		{"dry_run not a boolean", fileForm("a.csv", "text/csv", []byte(good)), http.StatusUnprocessableEntity, "dry_run", "?dry_run=maybe"},
		{"no price column", fileForm("a.csv", "text/csv", []byte("listing_key,property_type,unparsed_address,city\nK,Land,1 A,X\n")), http.StatusUnprocessableEntity, "list_price_cents", ""},
		{"no address column", fileForm("a.csv", "text/csv", []byte("listing_key,list_price_cents,property_type,city\nK,1,Land,X\n")), http.StatusUnprocessableEntity, "unparsed_address", ""},
		{"mapping an absent column", fileForm("a.csv", "text/csv", []byte(good), [2]string{"mapping", `{"Zip": "postal_code"}`}), http.StatusUnprocessableEntity, "mapping", ""},
		{"mapping to no field", fileForm("a.csv", "text/csv", []byte(good), [2]string{"mapping", `{"city": "town"}`}), http.StatusUnprocessableEntity, "mapping", ""},
		{"mapping not JSON", fileForm("a.csv", "text/csv", []byte(good), [2]string{"mapping", `Zip=postal_code`}), http.StatusUnprocessableEntity, "mapping", ""},
		{"UTF-16", fileForm("a.csv", "text/csv", []byte("\xff\xfel\x00i\x00s\x00t\x00")), http.StatusUnprocessableEntity, "file", ""},
		{"empty", fileForm("a.csv", "text/csv", nil), http.StatusUnprocessableEntity, "file", ""},
		{"binary", fileForm("a.csv", "text/csv", append([]byte("\x00\x01\x02PK"), make([]byte, 100)...)), http.StatusUnsupportedMediaType, "file", ""},
		{"too large", fileForm("big.csv", "text/csv", []byte(good+strings.Repeat("K,1,Land,1 A St,X\n", (256<<10)/18))), http.StatusRequestEntityTooLarge, "file", ""},
		{"no file", form{fields: [][2]string{{"mapping", "{}"}}}, http.StatusUnprocessableEntity, "file", ""},
	}
	for _, tc := range tests {
		expectField(t, e.upload(admin.Token, importPath+tc.content, tc.form), tc.status, tc.field, tc.name)
	}
	expectField(t, e.client.Do(http.MethodPost, importPath, admin.Token, good, "Content-Type", "text/csv"),
		http.StatusUnsupportedMediaType, "Content-Type", "a raw CSV body")
	if n := scalar[int](e, `SELECT count(*) FROM property.property_imports`); n != 0 {
		t.Fatalf("%d imports recorded for refused files", n)
	}
	if left := storedFiles(t, dir); len(left) != 0 {
		t.Fatalf("refused files left in the store: %v", left)
	}
}

// diskAt makes the service keep its files under dir (storedFiles lists them).
func diskAt(t *testing.T, dir string) func(*server.Options) {
	return func(o *server.Options) {
		d, err := storage.NewDisk(dir)
		if err != nil {
			t.Fatal(err)
		}
		o.Media.Files = d
	}
}

// storedFiles lists the objects of the disk store rooted at dir.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var keys []string
	err := filepath.WalkDir(filepath.Join(dir, "objects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			keys = append(keys, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestLargeImportRunsAsAJob: a file over the inline limit is queued (202
// with its job) and loaded batch by batch; its progress is visible on the
// job and as one import.progress event per batch; the final report and
// the table agree.
func TestLargeImportRunsAsAJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, importLimits)
	admin := e.token(newOrg(), "*")
	csv, good, bad := generatedCSV(1000, 7)
	r := e.importCSV(admin, csv, "")
	expect(t, r, http.StatusAccepted, "large import")
	queued := decode[importJSON](t, r)
	if queued.Status != "queued" || queued.JobID == nil || queued.Report.Rows != 0 {
		t.Fatalf("queued import %+v", queued)
	}
	imp := e.waitImport(admin, queued.ID)
	if imp.Status != "completed" || imp.Report.Rows != 1000 || imp.Report.Accepted != good || imp.Report.Rejected != bad ||
		imp.Report.Skipped != 0 || len(imp.Report.Errors) != bad || imp.CheckpointLine != 1001 {
		t.Fatalf("import %s at line %d: %s (want %d good, %d bad)", imp.Status, imp.CheckpointLine, imp.counts(), good, bad)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != good {
		t.Fatalf("%d properties, want %d", n, good)
	}

	// The job that finished the import (the last of its steps, should the
	// import have taken more than one) shows the whole import's progress.
	job := decode[jobs.Job](t, e.call(http.MethodGet, jobs.APIPath("property")+"/"+strconv.FormatInt(*imp.JobID, 10), admin.Token, nil))
	var progress app.ImportProgress
	if err := json.Unmarshal(job.Progress, &progress); err != nil {
		t.Fatalf("job progress %s: %v", job.Progress, err)
	}
	if job.State != "completed" || job.Kind != app.ImportJobKind || job.Queue != jobs.QueueLow || progress.Rows != 1000 ||
		progress.Accepted != good || progress.Rejected != bad || progress.BytesRead != int64(len(csv)) || progress.FileSize != int64(len(csv)) {
		t.Fatalf("job %+v progress %+v", job, progress)
	}
	// One progress event per batch of 100 records, checkpoints increasing.
	lines := progressLines(t, e, imp.ID)
	if len(lines) != 10 || lines[0] != 101 || lines[9] != 1001 {
		t.Fatalf("progress events at lines %v", lines)
	}
	if n := e.importEvents(app.EventPropertyCreated, imp.ID); n != good {
		t.Fatalf("%d created events, want %d", n, good)
	}
}

// TestImportJobRunsInStepsEachResumingAtItsCheckpoint: a job import does a
// bounded share per job and hands over to a successor in the transaction of
// its last batch (pkg/jobs Continue). 1000 records in batches of 100, at
// most 3 batches a step, are four steps (3, 3, 3 and 1 batches), linked by
// continues/continued_by and each completed in one attempt; every step
// after the first resumed at the byte its predecessor committed (the
// checkpoint's offset ends at the file's end), no batch ran twice (ten
// progress events, increasing), and the report and events are those of one
// run. The import's job is the step that finished it.
func TestImportJobRunsInStepsEachResumingAtItsCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, importLimits, func(o *server.Options) { o.Imports.StepBatches = 3 })
	admin := e.token(newOrg(), "*")
	csv, good, bad := generatedCSV(1000, 7)
	r := e.importCSV(admin, csv, "")
	expect(t, r, http.StatusAccepted, "large import")
	queued := decode[importJSON](t, r)
	imp := e.waitImport(admin, queued.ID)
	if imp.Status != "completed" || imp.Report.Rows != 1000 || imp.Report.Accepted != good || imp.Report.Rejected != bad ||
		imp.Report.Skipped != 0 || len(imp.Report.Errors) != bad || imp.CheckpointLine != 1001 {
		t.Fatalf("import %s at line %d: %s (want %d good, %d bad)", imp.Status, imp.CheckpointLine, imp.counts(), good, bad)
	}
	steps := importSteps(t, e, admin, imp.ID)
	if len(steps) != 4 || steps[0].ID != *queued.JobID || steps[3].ID != *imp.JobID {
		t.Fatalf("steps %+v of import %s: want 4, from the queued job %d to the import's job %d", stepIDs(steps), imp.ID, *queued.JobID, *imp.JobID)
	}
	for i, s := range steps {
		var prev, next int64
		if i > 0 {
			prev = steps[i-1].ID
		}
		if i < len(steps)-1 {
			next = steps[i+1].ID
		}
		if s.State != "completed" || s.Attempt != 1 || deref(s.Continues) != prev || deref(s.ContinuedBy) != next {
			t.Fatalf("step %d = %s after %d attempts, continues %d, continued by %d; want completed in 1, %d and %d",
				i+1, s.State, s.Attempt, deref(s.Continues), deref(s.ContinuedBy), prev, next)
		}
	}
	if off := scalar[int64](e, `SELECT checkpoint_offset FROM property.property_imports WHERE id = $1`, imp.ID); off != int64(len(csv)) {
		t.Fatalf("checkpoint offset %d, want the file's end %d", off, len(csv))
	}
	lines := progressLines(t, e, imp.ID)
	if len(lines) != 10 || lines[0] != 101 || lines[9] != 1001 {
		t.Fatalf("progress events at lines %v, want one per batch", lines)
	}
	for i := 1; i < len(lines); i++ {
		if lines[i] <= lines[i-1] {
			t.Fatalf("progress events at lines %v: a batch ran twice", lines)
		}
	}
	if n := e.importEvents(app.EventPropertyCreated, imp.ID); n != good {
		t.Fatalf("%d created events, want %d", n, good)
	}
	if n := e.importEvents(app.EventImportCompleted, imp.ID); n != 1 {
		t.Fatalf("%d completed events", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != good {
		t.Fatalf("%d properties, want %d", n, good)
	}
}

// importSteps lists the jobs of import id, oldest first, through the jobs API.
func importSteps(t *testing.T, e *env, c caller, id string) []jobs.Job {
	t.Helper()
	var out []jobs.Job
	for _, j := range decode[listJSON[jobs.Job]](t, e.call(http.MethodGet, jobs.APIPath("property")+"?kind="+app.ImportJobKind+"&limit=200", c.Token, nil)).Items {
		var args app.ImportJob
		if err := json.Unmarshal(j.Args, &args); err != nil {
			t.Fatalf("job %d args %s: %v", j.ID, j.Args, err)
		}
		if args.ImportID == id {
			out = append([]jobs.Job{j}, out...)
		}
	}
	return out
}

func stepIDs(steps []jobs.Job) []int64 {
	out := make([]int64, len(steps))
	for i, s := range steps {
		out[i] = s.ID
	}
	return out
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// progressLines lists the checkpoints of an import's progress events in
// the order they were written.
func progressLines(t *testing.T, e *env, importID string) []int {
	t.Helper()
	rows, err := e.admin.Query(t.Context(), `SELECT (payload->'data'->>'line')::int FROM property.outbox
		WHERE payload->>'type' = $1 AND msg_key = $2 ORDER BY id`, app.EventImportProgress, importID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var l int
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// generatedCSV is n records of which every badEvery-th has a bad price;
// it returns the file and the good and bad counts.
func generatedCSV(n, badEvery int) (csv []byte, good, bad int) {
	var b bytes.Buffer
	b.WriteString("listing_key,list_price_cents,property_type,unparsed_address,city,postal_code\n")
	for i := 1; i <= n; i++ {
		price := strconv.Itoa(100000 + i)
		if i%badEvery == 0 {
			price = "n/a"
			bad++
		} else {
			good++
		}
		fmt.Fprintf(&b, "K-%04d,%s,Residential,%d Generated Way,Springfield,%05d\n", i, price, i, i)
	}
	return b.Bytes(), good, bad
}

// TestImportJobRetriedMidFileLoadsEachRowOnce: a transient database error
// in the middle of the file fails the job's first attempt after some
// batches have committed; River retries it, the retry resumes after the
// last committed batch, and every row, history entry and event exists
// once, with the counts of one clean run.
func TestImportJobRetriedMidFileLoadsEachRowOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, importLimits)
	admin := e.token(newOrg(), "*")
	// The sequence survives the rollback of the failing batch, so the
	// trigger fails the first insert of K-0550 only.
	for _, q := range []string{
		`CREATE SEQUENCE property.fail_once`,
		`GRANT USAGE ON SEQUENCE property.fail_once TO property_app`,
		`CREATE FUNCTION property.fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.listing_key = 'K-0550' AND nextval('property.fail_once') = 1 THEN
				RAISE EXCEPTION 'simulated transient failure';
			END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER fail_once BEFORE INSERT ON property.properties FOR EACH ROW EXECUTE FUNCTION property.fail_once()`,
	} {
		if _, err := e.admin.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	csv, good, bad := generatedCSV(1000, 9)
	r := e.importCSV(admin, csv, "")
	expect(t, r, http.StatusAccepted, "import")
	imp := e.waitImport(admin, decode[importJSON](t, r).ID)
	if imp.Status != "completed" || imp.Report.Rows != 1000 || imp.Report.Accepted != good || imp.Report.Rejected != bad || imp.Report.Skipped != 0 {
		t.Fatalf("import %s: %s, want %d accepted and %d rejected", imp.Status, imp.counts(), good, bad)
	}
	// Whichever step met the failure was retried once; the others (if the
	// import took more than one step) ran once.
	failed := 0
	for _, job := range importSteps(t, e, admin, imp.ID) {
		switch {
		case len(job.Errors) == 0 && job.Attempt == 1:
		case job.Attempt == 2 && len(job.Errors) == 1 && strings.Contains(job.Errors[0].Error, "simulated transient failure"):
			failed++
		default:
			t.Fatalf("job %d: attempt %d, errors %+v; want one attempt, or a second after the simulated failure", job.ID, job.Attempt, job.Errors)
		}
	}
	if failed != 1 {
		t.Fatalf("%d steps met the simulated failure, want 1", failed)
	}
	for what, q := range map[string]string{
		"properties":      `SELECT count(*) FROM property.properties`,
		"distinct keys":   `SELECT count(DISTINCT listing_key) FROM property.properties`,
		"history entries": `SELECT count(*) FROM property.property_history WHERE field = 'import'`,
		"search rows":     `SELECT count(*) FROM property.property_search`,
	} {
		if n := scalar[int](e, q); n != good {
			t.Errorf("%s: %d, want %d", what, n, good)
		}
	}
	if n := e.importEvents(app.EventPropertyCreated, imp.ID); n != good {
		t.Errorf("%d created events, want %d", n, good)
	}
	// The batches before the failure were not run again: each checkpoint
	// was announced once.
	lines := progressLines(t, e, imp.ID)
	if len(lines) != 10 {
		t.Fatalf("progress events at lines %v, want one per batch", lines)
	}
	for i := 1; i < len(lines); i++ {
		if lines[i] <= lines[i-1] {
			t.Fatalf("progress events at lines %v: a batch ran twice", lines)
		}
	}
	if n := e.importEvents(app.EventImportCompleted, imp.ID); n != 1 {
		t.Fatalf("%d completed events", n)
	}
}

// TestUnreadableFileFailsTheImportForGood: a line past csvimport's limit
// mid-file cannot be read past; the job fails the import with the reason
// and completes (no retry could help), keeping what was committed before
// it, consistently counted.
func TestUnreadableFileFailsTheImportForGood(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *server.Options) {
		o.Imports = app.ImportConfig{MaxBytes: 4 << 20, InlineMaxBytes: 1 << 10, BatchRows: 100}
	})
	admin := e.token(newOrg(), "*")
	csv, _, _ := generatedCSV(300, 1000)
	csv = append(csv, "K-9999,1,Land,\""+strings.Repeat("x", csvimport.MaxLineBytes+1)+"\",Springfield,00001\nK-10000,1,Land,1 A St,X,00002\n"...)
	r := e.importCSV(admin, csv, "")
	expect(t, r, http.StatusAccepted, "import")
	imp := e.waitImport(admin, decode[importJSON](t, r).ID)
	if imp.Status != "failed" || imp.Failure == nil || !strings.Contains(*imp.Failure, "longer than") {
		t.Fatalf("import %s (%v): %s", imp.Status, imp.Failure, imp.counts())
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != imp.Report.Accepted || n != imp.Report.Rows || n > 300 {
		t.Fatalf("%d properties, report %s", n, imp.counts())
	}
	job := decode[jobs.Job](t, e.call(http.MethodGet, jobs.APIPath("property")+"/"+strconv.FormatInt(*imp.JobID, 10), admin.Token, nil))
	if job.State != "completed" || job.Attempt != 1 {
		t.Fatalf("job %s after %d attempts, want completed after 1", job.State, job.Attempt)
	}
	if n := e.importEvents(app.EventImportFailed, imp.ID); n != 1 {
		t.Fatalf("%d import.failed events", n)
	}
}

// TestConcurrentImportsOfOneFileLoadEachRowOnce: two imports of the same
// rows at the same moment load each listing key once between them.
func TestConcurrentImportsOfOneFileLoadEachRowOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	csv, good, _ := generatedCSV(300, 1000)
	var wg sync.WaitGroup
	results := make([]importJSON, 2)
	for i := range results {
		wg.Go(func() {
			r := e.importCSV(admin, csv, "")
			if r.Status != http.StatusCreated {
				t.Errorf("import %d: %s", i, r)
				return
			}
			results[i] = decode[importJSON](t, r)
		})
	}
	wg.Wait()
	a, b := results[0].Report, results[1].Report
	if a.Accepted+b.Accepted != good || a.Skipped+b.Skipped != good {
		t.Fatalf("reports %s and %s; want %d accepted between them", results[0].counts(), results[1].counts(), good)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != good {
		t.Fatalf("%d properties, want %d", n, good)
	}
}

// TestImportsAreTheOrganisations: another organisation sees neither the
// import nor its job, and a reader cannot import.
func TestImportsAreTheOrganisations(t *testing.T) {
	t.Parallel()
	e := newEnv(t, importLimits)
	owner := e.token(newOrg(), "*")
	csv, _, _ := generatedCSV(200, 1000)
	r := e.importCSV(owner, csv, "")
	expect(t, r, http.StatusAccepted, "import")
	imp := e.waitImport(owner, decode[importJSON](t, r).ID)

	for _, other := range []caller{e.token(newOrg(), "*"), e.token(newOrg(), "properties:read")} {
		expect(t, e.call(http.MethodGet, importPath+"/"+imp.ID, other.Token, nil), http.StatusNotFound, "another org's import")
		if l := decode[listJSON[importJSON]](t, e.call(http.MethodGet, importPath, other.Token, nil)); len(l.Items) != 0 {
			t.Fatalf("another org lists %+v", l.Items)
		}
	}
	expect(t, e.call(http.MethodGet, jobs.APIPath("property")+"/"+strconv.FormatInt(*imp.JobID, 10), e.token(newOrg(), "*").Token, nil),
		http.StatusNotFound, "another org's import job")
	viewer := e.token(owner.OrgID, "properties:read")
	expect(t, e.importCSV(viewer, csv, ""), http.StatusForbidden, "a reader imports")
	expect(t, e.call(http.MethodGet, importPath+"/"+imp.ID, viewer.Token, nil), http.StatusOK, "a reader reads the import")
	expect(t, e.call(http.MethodGet, importPath+"/not-a-uuid", owner.Token, nil), http.StatusBadRequest, "malformed id")
	expect(t, e.call(http.MethodGet, importPath+"/"+newOrg(), owner.Token, nil), http.StatusNotFound, "no such import")
}

// FuzzImportNeverFails5xx: whatever a file holds, an import answers 201
// with a consistent report or a 4xx problem, never a 500.
func FuzzImportNeverFails5xx(f *testing.F) {
	f.Add(messyCSV)
	f.Add([]byte("listing_key,list_price,property_type,street_name,city\nK,1.5,Land,Elm,X\nK,2,Land,Elm,X\n"))
	f.Add([]byte("listing_key,list_price_cents,property_type,unparsed_address,city\n\"K\n"))
	f.Add([]byte("listing_key,list_price_cents,property_type,unparsed_address,city,latitude,longitude\nK,1,Land,A,B,1e400,-0\n"))
	e := newEnv(f)
	admin := e.token(newOrg(), "*")
	f.Fuzz(func(t *testing.T, content []byte) {
		// Not e.upload: the env's helpers report to the F, which a fuzz
		// target must not touch.
		body, ct := fileForm("fuzz.csv", "text/csv", content).encode(t)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.client.URL()+importPath, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+admin.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		switch {
		case res.StatusCode == http.StatusCreated:
			var imp importJSON
			if err := json.NewDecoder(res.Body).Decode(&imp); err != nil {
				t.Fatal(err)
			}
			if rep := imp.Report; rep.Accepted+rep.Rejected+rep.Skipped != rep.Rows {
				t.Fatalf("report %+v does not add up", rep)
			}
		case res.StatusCode >= 500 || res.StatusCode < 400:
			t.Fatalf("import answered %d", res.StatusCode)
		}
	})
}
