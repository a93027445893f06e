package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

type columnJSON struct{ Column, Field, Why string }

type previewJSON struct {
	Columns  []columnJSON      `json:"columns"`
	Mapping  map[string]string `json:"mapping"`
	Unmapped []string          `json:"unmapped_columns"`
	Rows     []struct {
		Line    int            `json:"line"`
		Outcome string         `json:"outcome"`
		Errors  []rowErrorJSON `json:"errors"`
		Notes   []string       `json:"notes"`
	} `json:"rows"`
	More bool `json:"more"`
}

// The lead file of issue 17 (headers as a spreadsheet has them, a source
// the org lacks, tags, notes) and the columns of a CRM export (full name,
// an assigned agent, a budget in dollars) import with no mapping; nothing
// is lost for a fixable reason.
func TestLeadImportTakesTheFilesPeopleHave(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	agent := e.user(org, permsAgent)
	file := "First Name,Last Name,Email,Phone,Source,Tags,Notes\n" +
		"Ann,Ames,ann@example.com,,Zillow,\"buyer, Downtown\",wants a yard\n" +
		"Bob,Brown,bob@example.com,(415) 555-0102,zillow,,\n" + // the source created by line 2
		"Cy,Cole,cy@example.com,,Referral,,\n"
	imp := e.importCSV(admin, file, nil)
	if imp.Report.Accepted != 3 || imp.Report.Rejected != 0 || strings.Join(imp.Report.SourcesCreated, ",") != "Zillow" {
		t.Fatalf("report %+v", imp.Report)
	}
	ann := scalar[string](e, `SELECT concat_ws('|', s.key, s.name, array_to_string(l.tags, ';'), n.body)
FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id JOIN crm.lead_sources s ON s.id = l.source_id
JOIN crm.lead_notes n ON n.lead_id = l.id WHERE c.email = 'ann@example.com'`)
	if ann != "zillow|Zillow|buyer;downtown|wants a yard" {
		t.Errorf("ann's lead = %s", ann)
	}
	if n := e.count(`SELECT count(*) FROM crm.lead_sources WHERE key = 'zillow'`); n != 1 {
		t.Errorf("%d zillow sources", n)
	}
	if n := e.count(`SELECT count(*) FROM crm.lead_notes`); n != 1 {
		t.Errorf("%d notes, want Ann's", n)
	}
	// Tags are a lead's like any other: the list filters by them.
	tagged := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads?tag=downtown", admin, nil)).Items
	if len(tagged) != 1 {
		t.Errorf("leads tagged downtown: %d", len(tagged))
	}

	crm := "Full Name,E-mail Address,Mobile Phone,Lead Source,Stage,Assigned To,Max Budget\n" +
		"\"Diaz, Dee\",dee@example.com,,Referral,contacted," + agent.ID + ",\"$450,000\"\n" +
		"Eve Mary Ng,eve@example.com,,,,Pat Jones,\n" + // an agent crm cannot know: kept unassigned, said so
		"Fay,fay@example.com,,,,,12.345\n" // a budget with three decimals: rejected, naming the column
	imp = e.importCSV(admin, crm, nil)
	if imp.Report.Accepted != 2 || imp.Report.Rejected != 1 || len(imp.Report.Errors) != 1 || imp.Report.Errors[0].Column != "Max Budget" {
		t.Fatalf("CRM export report %+v", imp.Report)
	}
	if w := imp.Report.Warnings; len(w) != 1 || w[0].Line != 3 || w[0].Column != "Assigned To" || !strings.Contains(w[0].Reason, "kept unassigned") {
		t.Fatalf("warnings %+v", w)
	}
	dee := scalar[string](e, `SELECT concat_ws('|', c.first_name, c.last_name, l.status, l.assignee_id, l.budget_max_cents)
FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id WHERE c.email = 'dee@example.com'`)
	if dee != "Dee|Diaz|contacted|"+agent.ID+"|45000000" {
		t.Errorf("dee = %s", dee)
	}
	eve := scalar[string](e, `SELECT concat_ws('|', c.first_name, c.last_name, coalesce(l.assignee_id::text, 'unassigned'))
FROM crm.leads l JOIN crm.contacts c ON c.id = l.contact_id WHERE c.email = 'eve@example.com'`)
	if eve != "Eve Mary|Ng|unassigned" {
		t.Errorf("eve = %s", eve)
	}
}

func TestLeadImportDryRunWritesNothingAndTheEditedMappingIsHonoured(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user(newOrg(), permsAdmin)
	file := "Given,Surname,Contact,Origin,Comments\n" +
		"Ann,Ames,ann@example.com,Billboard,call after 6\n" +
		"Bob,Brown,not-an-email,,\n"
	counts := func() string {
		return strings.Join([]string{
			scalar[string](e, `SELECT count(*)::text FROM crm.contacts`), scalar[string](e, `SELECT count(*)::text FROM crm.leads`),
			scalar[string](e, `SELECT count(*)::text FROM crm.lead_notes`), scalar[string](e, `SELECT count(*)::text FROM crm.lead_sources`),
			scalar[string](e, `SELECT count(*)::text FROM crm.lead_imports`),
		}, ",")
	}
	before := counts()
	// Without a mapping no column holds an email or a phone: the dry run
	// answers as the import would.
	r := e.upload("/api/v1/leads/import?dry_run=true", admin, nil, "leads.csv", "text/csv", []byte(file))
	expect(t, r, http.StatusUnprocessableEntity, "dry run, no mapping")

	edited := `{"Given": "first_name", "Surname": "last_name", "Contact": "email", "Origin": "source", "Comments": "notes"}`
	r = e.upload("/api/v1/leads/import?dry_run=true", admin, []part{{"mapping", edited}}, "leads.csv", "text/csv", []byte(file))
	expect(t, r, http.StatusOK, "dry run")
	p := decode[previewJSON](t, r)
	if len(p.Columns) != 5 || p.Columns[2] != (columnJSON{"Contact", "email", "mapping"}) || len(p.Unmapped) != 0 || p.Mapping["Origin"] != "source" {
		t.Fatalf("preview mapping %+v", p)
	}
	if len(p.Rows) != 2 || p.Rows[0].Outcome != "import" || strings.Join(p.Rows[0].Notes, ";") != `lead source "Billboard" would be created;a note would be added to the lead` ||
		p.Rows[1].Outcome != "reject" || p.Rows[1].Errors[0].Column != "Contact" {
		t.Fatalf("preview rows %+v", p.Rows)
	}
	if after := counts(); after != before {
		t.Fatalf("the dry run wrote: (contacts, leads, notes, sources, imports) %s → %s", before, after)
	}
	expect(t, e.upload("/api/v1/leads/import?dry_run=yes", admin, nil, "leads.csv", "text/csv", []byte(file)), http.StatusUnprocessableEntity, "dry_run=yes")

	mapping, err := json.Marshal(p.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	imp := e.importCSV(admin, file, []part{{"mapping", string(mapping)}})
	if imp.Report.Accepted != 1 || imp.Report.Rejected != 1 || imp.Mapping["Comments"] != "notes" {
		t.Fatalf("import with the previewed mapping %+v", imp)
	}
	if n := e.count(`SELECT count(*) FROM crm.lead_notes WHERE body = 'call after 6'`); n != 1 {
		t.Errorf("%d notes", n)
	}
}
