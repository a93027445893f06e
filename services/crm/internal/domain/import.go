package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"reos.dev/pkg/csvimport"
)

// Import statuses. An import is queued while its job waits, running while
// rows are being written, and ends completed (every row accepted, merged or
// rejected) or failed (the file stopped being readable; the rows before that
// point stay imported and counted).
const (
	ImportQueued    = csvimport.StatusQueued
	ImportRunning   = csvimport.StatusRunning
	ImportCompleted = csvimport.StatusCompleted
	ImportFailed    = csvimport.StatusFailed
)

// ReasonImportNotFound is the problem reason of a missing lead import.
const ReasonImportNotFound = "lead_import_not_found"

// The lead import's fields, in the order a csvimport.Row holds them. A
// file's column maps onto the field of the same name (csvimport's
// normalisation: "First Name" is first_name), through the request's
// mapping, or through csvimport.LeadColumns (synonyms and the columns of
// CRM and portal exports: "E-mail Address", "Lead Source", "Stage").
const (
	ColFirstName = iota
	ColLastName
	ColEmail
	ColPhone
	ColPhoneRegion
	ColSource
	ColStatus
	ColPostalCode
	ColBudgetMin
	ColBudgetMax
	ColTargetPrice
	ColFullName
	ColTags
	ColNotes
	ColAssignedAgent
	ColBudgetMinAmount
	ColBudgetMaxAmount
	ColTargetPriceAmount
	importColumns
)

var importFields = [importColumns]string{
	"first_name", "last_name", "email", "phone", "phone_region", "source", "status",
	"postal_code", "budget_min_cents", "budget_max_cents", "target_price_cents",
	"full_name", "tags", "notes", "assigned_agent", "budget_min", "budget_max", "target_price",
}

// ImportColumns is the recognition table of lead files.
var ImportColumns = csvimport.LeadColumns

// ImportFields are the fields a lead import reads. None is required on its
// own; a file needs an email or a phone column (CheckImportColumns), and
// every row an email or a phone, since that is what people are
// deduplicated by.
func ImportFields() []csvimport.Field {
	out := make([]csvimport.Field, importColumns)
	for i, name := range importFields {
		out[i] = csvimport.Field{Name: name}
	}
	return out
}

// ImportFieldIndex returns the position of field among ImportFields, -1 for
// another name.
func ImportFieldIndex(field string) int { return slices.Index(importFields[:], field) }

// CheckImportColumns refuses a file whose mapped columns can never hold a
// person's email or phone. has reports whether field i has a column.
func CheckImportColumns(has func(i int) bool) error {
	if !has(ColEmail) && !has(ColPhone) {
		var f FieldErrors
		f.Add("file", "needs an email or a phone column (people are deduplicated by them); name a column after it or map one to it")
		return f.Err()
	}
	return nil
}

// ImportRow is one valid row of a lead import: the person, normalised as a
// lead form's would be, and the lead's own fields.
type ImportRow struct {
	Line    int
	Contact NormalizedContact
	// Source is the lead source as the file names it (a key or a name,
	// compared without case); nil when empty. The caller resolves it.
	Source           *string
	Status           string
	PostalCode       *string
	BudgetMinCents   *int64
	BudgetMaxCents   *int64
	TargetPriceCents *int64
	// Tags become the lead's tags (CheckTags): the cell is split at
	// commas, semicolons and pipes.
	Tags []string
	// Note becomes a note on the new lead; nil when the cell is empty.
	Note *string
	// Agent is the assigned agent as the file names it (the caller
	// resolves it); nil when empty.
	Agent *string
}

// ParseImportRow validates one record's values (indexed like ImportFields)
// with the rules of a lead created through the API: the contact fields go
// through ContactInput.Normalize, so the normalisers are the same; region
// applies to phones written without +country code unless the row has its
// own phone_region. Every bad value is recorded in f under its field name.
func ParseImportRow(line int, v []string, region string, f *FieldErrors) ImportRow {
	cell := func(i int) *string {
		if i >= len(v) {
			return nil
		}
		s := strings.TrimSpace(v[i])
		return &s
	}
	in := ContactInput{FirstName: cell(ColFirstName), LastName: cell(ColLastName), Email: cell(ColEmail), Phone: cell(ColPhone)}
	if full := cell(ColFullName); full != nil && *full != "" && isEmpty(in.FirstName) && isEmpty(in.LastName) {
		first, last := SplitFullName(*full)
		in.FirstName, in.LastName = &first, &last
	}
	if r := cell(ColPhoneRegion); r != nil {
		in.PhoneRegion = strings.ToUpper(*r)
	}
	before := len(*f)
	row := ImportRow{Line: line, Contact: in.Normalize(region, f), Status: StatusNew}
	if row.Contact.Email == nil && row.Contact.Phone == nil && !hasField(*f, before, "email", "phone") {
		f.Add("email", "a row needs an email or a phone: people are deduplicated by them")
	}
	if s := cell(ColStatus); s != nil && *s != "" {
		row.Status = strings.ToLower(*s)
		if !ValidStatus(row.Status) {
			f.Add("status", "must be one of "+strings.Join(statuses, ", "))
		}
	}
	if s := cell(ColSource); s != nil && *s != "" {
		checkText("source", *s, f)
		row.Source = s
	}
	row.PostalCode = CheckPostalCode("postal_code", cell(ColPostalCode), f)
	row.BudgetMinCents = amount("budget_min_cents", cell(ColBudgetMin), "budget_min", cell(ColBudgetMinAmount), f)
	row.BudgetMaxCents = amount("budget_max_cents", cell(ColBudgetMax), "budget_max", cell(ColBudgetMaxAmount), f)
	row.TargetPriceCents = amount("target_price_cents", cell(ColTargetPrice), "target_price", cell(ColTargetPriceAmount), f)
	if t := cell(ColTags); t != nil && *t != "" {
		row.Tags = CheckTags("tags", strings.FieldsFunc(*t, func(r rune) bool { return r == ',' || r == ';' || r == '|' }), f)
	}
	if n := cell(ColNotes); n != nil && *n != "" {
		var nf FieldErrors
		body := ValidateNoteBody(*n, &nf)
		for _, e := range nf {
			f.Add("notes", e.Message)
		}
		row.Note = &body
	}
	if a := cell(ColAssignedAgent); a != nil && *a != "" {
		row.Agent = a
	}
	if !hasField(*f, before, "budget_min_cents", "budget_max_cents") {
		Lead{BudgetMinCents: row.BudgetMinCents, BudgetMaxCents: row.BudgetMaxCents}.ValidateBudget(f)
	}
	return row
}

func isEmpty(s *string) bool { return s == nil || *s == "" }

// SplitFullName splits a full-name cell: "Last, First" at its comma, else
// the last word is the last name ("Mary Ann Smith": Mary Ann, Smith); one
// word is a first name.
func SplitFullName(s string) (first, last string) {
	if l, f, ok := strings.Cut(s, ","); ok {
		return strings.TrimSpace(f), strings.TrimSpace(l)
	}
	words := strings.Fields(s)
	if len(words) == 1 {
		return words[0], ""
	}
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1]
}

// amount reads an amount given in cents (centsField) or in currency units
// as people write them (unitsField, csvimport.ParseMoney), not both.
func amount(centsField string, cents *string, unitsField string, units *string, f *FieldErrors) *int64 {
	if isEmpty(units) {
		return parseCents(centsField, cents, f)
	}
	if !isEmpty(cents) {
		f.Add(unitsField, "give "+unitsField+" or "+centsField+", not both")
		return nil
	}
	n, err := csvimport.ParseMoney(*units)
	if err != nil {
		f.Add(unitsField, err.Error())
		return nil
	}
	if n > MaxImportCents {
		f.Add(unitsField, "must be at most "+strconv.FormatInt(MaxImportCents/100, 10))
		return nil
	}
	return &n
}

// MaxImportCents bounds an imported amount (a hundred billion in any
// currency): a cell with more digits is a mistake, not a budget.
const MaxImportCents = 10_000_000_000_000

// parseCents reads an amount in whole cents: digits only, so "1,200" or
// "12.50" (a currency amount, not cents) is refused rather than guessed.
func parseCents(field string, s *string, f *FieldErrors) *int64 {
	if s == nil || *s == "" {
		return nil
	}
	for _, r := range *s {
		if r < '0' || r > '9' {
			f.Add(field, "must be whole cents written with digits only, such as 45000000 for 450,000.00")
			return nil
		}
	}
	n, err := strconv.ParseInt(*s, 10, 64)
	if err != nil || n > MaxImportCents {
		f.Add(field, "must be at most "+strconv.FormatInt(MaxImportCents, 10)+" cents")
		return nil
	}
	return &n
}

// hasField reports whether f[from:] names one of fields.
func hasField(f FieldErrors, from int, fields ...string) bool {
	for _, e := range f[from:] {
		if slices.Contains(fields, e.Field) {
			return true
		}
	}
	return false
}

// ImportMatch is an existing contact a batch of rows may merge into, and
// whether the contact already has an active (not archived) lead.
type ImportMatch struct {
	Contact    Contact
	ActiveLead bool
}

// ImportedLead is a lead a batch creates, with the file line it comes
// from, its note and the agent its row names (resolved by the caller).
type ImportedLead struct {
	Line  int
	Lead  Lead
	Note  *string
	Agent *string
}

// ImportPlan is what one batch of rows does.
type ImportPlan struct {
	// NewContacts are people no contact matched.
	NewContacts []Contact
	// UpdatedContacts are existing contacts with empty fields filled.
	UpdatedContacts []Contact
	// Leads are the new leads (accepted rows), in line order.
	Leads []ImportedLead
	// Merged are the lines of rows whose person already had an active lead
	// (existing, or created by an earlier row of the same file).
	Merged []int
}

// PlanImport applies the import's merge rules to a batch of valid rows, in
// line order, given the existing contacts that share an email or a phone
// with any of the rows (known). The rules:
//
//   - A row is the same person as a contact with its email, else as one
//     with its phone: an existing contact, or one created by an earlier
//     row of the batch. Otherwise it creates a contact.
//   - Merging fills the contact's empty fields and never overwrites a
//     non-empty one (Contact.Merge, as for a lead created through the API);
//     an email or phone another contact holds is not copied over, so two
//     people stay two.
//   - The row creates a lead for the person unless the person already has
//     an active (not archived) lead; then the row counts as merged and no
//     lead is created or changed. Importing the same file twice therefore
//     adds nothing.
//
// newID names the new contacts and leads; now stamps them.
func PlanImport(rows []ImportRow, known []ImportMatch, sources map[string]string, newID func() string, now time.Time) ImportPlan {
	type person struct {
		c          Contact
		isNew      bool
		dirty      bool
		activeLead bool
	}
	byEmail, byPhone := map[string]*person{}, map[string]*person{}
	index := func(p *person) {
		if p.c.Email != nil {
			byEmail[*p.c.Email] = p
		}
		if p.c.Phone != nil {
			byPhone[*p.c.Phone] = p
		}
	}
	var order []*person
	for _, k := range known {
		p := &person{c: k.Contact, activeLead: k.ActiveLead}
		index(p)
		order = append(order, p)
	}
	var plan ImportPlan
	for _, r := range rows {
		nc := r.Contact
		var p *person
		if nc.Email != nil {
			p = byEmail[*nc.Email]
		}
		if p == nil && nc.Phone != nil {
			p = byPhone[*nc.Phone]
		}
		if p == nil {
			p = &person{c: Contact{ID: newID(), Email: nc.Email, Phone: nc.Phone, CreatedAt: now, UpdatedAt: now}, isNew: true}
			if nc.FirstName != nil {
				p.c.FirstName = *nc.FirstName
			}
			if nc.LastName != nil {
				p.c.LastName = *nc.LastName
			}
			order = append(order, p)
		} else {
			fill := nc
			if fill.Email != nil && byEmail[*fill.Email] != nil && byEmail[*fill.Email] != p {
				fill.Email = nil
			}
			if fill.Phone != nil && byPhone[*fill.Phone] != nil && byPhone[*fill.Phone] != p {
				fill.Phone = nil
			}
			if p.c.Merge(fill) {
				p.c.UpdatedAt = now
				p.dirty = !p.isNew
			}
		}
		index(p)
		if p.activeLead {
			plan.Merged = append(plan.Merged, r.Line)
			continue
		}
		p.activeLead = true
		l := Lead{
			ID: newID(), ContactID: p.c.ID, Status: r.Status, PostalCode: r.PostalCode,
			BudgetMinCents: r.BudgetMinCents, BudgetMaxCents: r.BudgetMaxCents, TargetPriceCents: r.TargetPriceCents,
			PropertyIDs: []string{}, Tags: r.Tags, CreatedAt: now, UpdatedAt: now,
		}
		if l.Tags == nil {
			l.Tags = []string{}
		}
		if r.Source != nil {
			if id, ok := sources[SourceLookupKey(*r.Source)]; ok {
				l.SourceID = &id
			}
		}
		plan.Leads = append(plan.Leads, ImportedLead{Line: r.Line, Lead: l, Note: r.Note, Agent: r.Agent})
	}
	for _, p := range order {
		switch {
		case p.isNew:
			plan.NewContacts = append(plan.NewContacts, p.c)
		case p.dirty:
			plan.UpdatedContacts = append(plan.UpdatedContacts, p.c)
		}
	}
	return plan
}

// SourceLookupKey is how an import's source cell is compared with the
// organisation's lead sources: a source is found by its key or its name,
// without case or surrounding spaces ("Open house", "open_house").
func SourceLookupKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SourceLookup indexes sources by key and by name for an import; a name
// that is another source's key does not shadow that key.
func SourceLookup(sources []LeadSource) map[string]string {
	m := make(map[string]string, 2*len(sources))
	for _, s := range sources {
		m[SourceLookupKey(s.Name)] = s.ID
	}
	for _, s := range sources {
		m[SourceLookupKey(s.Key)] = s.ID
	}
	return m
}

// ImportTally is what a lead import counts beyond csvimport's report
// (where Accepted counts the new leads and Skipped is unused): the rows
// merged into a person's active lead and the contacts created and filled.
// Rows is Accepted + Merged + Rejected once the import has ended.
type ImportTally struct {
	Merged          int `json:"merged"`
	ContactsCreated int `json:"contacts_created"`
	ContactsUpdated int `json:"contacts_updated"`
	// SourcesCreated are the lead sources the file named that the
	// organisation did not have: the import created them (NewImportedSource).
	SourcesCreated []string `json:"sources_created"`
	// Warnings are accepted rows the import could not take whole (an
	// assigned agent it does not know: the lead is kept unassigned), the
	// first csvimport.MaxReportedErrors of them, in line order per batch.
	Warnings []csvimport.RowError `json:"warnings"`
}

// Warn records a warning within the bound.
func (t *ImportTally) Warn(e csvimport.RowError) {
	if len(t.Warnings) < csvimport.MaxReportedErrors {
		t.Warnings = append(t.Warnings, e)
	}
}

// ImportedSourceWeight is the scoring weight of a lead source an import
// creates: that of "Other" (LeadSourceDefaults), until someone rates it.
const ImportedSourceWeight = 30

// NewImportedSource is the lead source an import creates for a source cell
// the organisation has no source for: the cell as its name, and a key made
// of it (lower case, other characters as "_", "s_" before a leading digit,
// at most 50 characters). ok is false when the cell makes no valid source
// (the row is then rejected naming it).
func NewImportedSource(cell string) (LeadSource, bool) {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(cell)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		} else {
			under = true
		}
	}
	key := b.String()
	if key == "" {
		key = "source"
	}
	if key[0] >= '0' && key[0] <= '9' {
		key = "s_" + key
	}
	if len(key) > 50 {
		key = strings.TrimRight(key[:50], "_")
	}
	s := LeadSource{Key: key, Name: strings.TrimSpace(cell), Weight: ImportedSourceWeight}
	var f FieldErrors
	s.Validate(&f)
	return s, len(f) == 0
}

// ImportReport is a lead import's whole report, as it is stored and shown.
type ImportReport struct {
	csvimport.Report
	ImportTally
}

// LeadImport is one CSV import of leads and its progress. Its lifecycle
// (status, report, checkpoint, job, error, the file's retention) is
// csvimport.State, which pkg/csvimport's runner moves on; the rest is
// crm's.
type LeadImport struct {
	csvimport.State
	// FileName is the client's name of the file (FileKey: where it is).
	FileName string
	// PhoneRegion applies to the file's national phone numbers.
	PhoneRegion string
	// FallbackAssignee gets the leads no assignment rule assigns: the
	// importing caller when it sees only its own leads, else nobody.
	FallbackAssignee *string
	// Tally adds crm's counts to State.Report.
	Tally     ImportTally
	CreatedBy *string
	CreatedAt time.Time
}

// FullReport is the import's report with crm's counts.
func (i LeadImport) FullReport() ImportReport {
	return ImportReport{Report: i.Report, ImportTally: i.Tally}
}
