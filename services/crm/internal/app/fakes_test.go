package app_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// In-memory fakes of the app's ports. A transaction works on a copy of
// its organisation's data, kept only when fn succeeds, so a refused change
// leaves nothing behind, as a rolled-back PostgreSQL transaction does.
// Visibility follows the rule of adapters/postgres/visibility.go; lists
// are one page (no cursors), and timelines are empty: paging and the
// timeline queries are the adapter's, covered by the component tests.

// errNotFaked is what a port method the app tests do not need answers.
var errNotFaked = errors.New("fake: not faked")

// orgData is one organisation's rows.
type orgData struct {
	leads    map[string]domain.Lead
	contacts map[string]domain.Contact
	// createdBy is who created each contact (the visibility rule reads it).
	createdBy  map[string]*string
	deals      map[string]domain.Deal
	sources    []domain.LeadSource
	stages     []domain.Stage
	settings   domain.Settings
	rules      []domain.AssignmentRule
	imports    map[string]domain.LeadImport
	users      map[string]bool // user id → active
	teams      map[string][]string
	properties map[string]bool // property id → archived
	// What the app recorded.
	changes      []app.Change
	activities   []domain.Activity
	notes        []domain.Note
	scores       map[string][]domain.Score
	stageChanges []app.StageChange
	dealChanges  []app.DealFieldChange
	documents    []domain.DealDocument
	events       []app.Event
	jobs         []string
}

func newOrgData() *orgData {
	return &orgData{
		leads: map[string]domain.Lead{}, contacts: map[string]domain.Contact{}, createdBy: map[string]*string{},
		deals: map[string]domain.Deal{}, imports: map[string]domain.LeadImport{}, users: map[string]bool{},
		teams: map[string][]string{}, properties: map[string]bool{}, scores: map[string][]domain.Score{},
	}
}

// clone copies the data a transaction may change (rows are values; the
// app never changes a slice it read in place).
func (d *orgData) clone() *orgData {
	c := *d
	c.leads, c.contacts, c.createdBy, c.deals = maps.Clone(d.leads), maps.Clone(d.contacts), maps.Clone(d.createdBy), maps.Clone(d.deals)
	c.imports, c.users, c.teams, c.properties = maps.Clone(d.imports), maps.Clone(d.users), maps.Clone(d.teams), maps.Clone(d.properties)
	c.scores = maps.Clone(d.scores)
	c.sources, c.stages, c.rules = slices.Clone(d.sources), slices.Clone(d.stages), slices.Clone(d.rules)
	c.changes, c.activities, c.notes = slices.Clone(d.changes), slices.Clone(d.activities), slices.Clone(d.notes)
	c.stageChanges, c.dealChanges, c.documents = slices.Clone(d.stageChanges), slices.Clone(d.dealChanges), slices.Clone(d.documents)
	c.events, c.jobs = slices.Clone(d.events), slices.Clone(d.jobs)
	return &c
}

// fakeStore is app.Store over orgData.
type fakeStore struct {
	mu   sync.Mutex
	orgs map[string]*orgData
	// transactions counts InOrg calls: a use case that refuses its caller
	// must refuse before it opens one.
	transactions int
}

func newFakeStore() *fakeStore { return &fakeStore{orgs: map[string]*orgData{}} }

// org returns orgID's committed data (for arranging and asserting).
func (s *fakeStore) org(orgID string) *orgData {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orgLocked(orgID)
}

func (s *fakeStore) orgLocked(orgID string) *orgData {
	d, ok := s.orgs[orgID]
	if !ok {
		d = newOrgData()
		s.orgs[orgID] = d
	}
	return d
}

func (s *fakeStore) InOrg(_ context.Context, orgID string, fn func(app.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transactions++
	tx := &fakeTx{d: s.orgLocked(orgID).clone()}
	if err := fn(tx); err != nil {
		return err
	}
	s.orgs[orgID] = tx.d
	return nil
}

// fakeTx is app.Tx: every repository works on the transaction's copy.
type fakeTx struct{ d *orgData }

func (t *fakeTx) Leads() app.LeadRepository          { return fakeLeads{t.d} }
func (t *fakeTx) Activities() app.ActivityRepository { return fakeActivities{t.d} }
func (t *fakeTx) Scores() app.ScoreRepository        { return fakeScores{t.d} }
func (t *fakeTx) Contacts() app.ContactRepository    { return fakeContacts{t.d} }
func (t *fakeTx) Deals() app.DealRepository          { return fakeDeals{t.d} }
func (t *fakeTx) Documents() app.DocumentRepository  { return fakeDocuments{t.d} }
func (t *fakeTx) Catalog() app.CatalogRepository     { return fakeCatalog{t.d} }
func (t *fakeTx) Rules() app.RuleRepository          { return fakeRules{t.d} }
func (t *fakeTx) Imports() app.ImportRepository      { return fakeImports{t.d} }
func (t *fakeTx) Events() app.Publisher              { return fakeEvents{t.d} }
func (t *fakeTx) Jobs() app.JobQueue                 { return fakeJobs{t.d} }
func (t *fakeTx) Users() app.UserDirectory           { return fakeUsers{t.d} }
func (t *fakeTx) Properties() app.PropertyDirectory  { return fakeProperties{t.d} }

// The visibility rule (adapters/postgres/visibility.go) over the fake rows.
func (d *orgData) leadVisible(l domain.Lead, s app.Scope) bool {
	return s == app.Unscoped || (l.AssigneeID != nil && *l.AssigneeID == string(s))
}

func (d *orgData) contactVisible(id string, s app.Scope) bool {
	if s == app.Unscoped {
		return true
	}
	hasLead := false
	for _, l := range d.leads {
		if l.ContactID == id {
			hasLead = true
			if d.leadVisible(l, s) {
				return true
			}
		}
	}
	by := d.createdBy[id]
	return !hasLead && by != nil && *by == string(s)
}

func (d *orgData) dealVisible(x domain.Deal, s app.Scope) bool {
	l, ok := d.leads[x.LeadID]
	return s == app.Unscoped || (x.AssigneeID != nil && *x.AssigneeID == string(s)) || (ok && d.leadVisible(l, s))
}

type fakeLeads struct{ d *orgData }

func (r fakeLeads) Create(_ context.Context, _ string, l domain.Lead) error {
	r.d.leads[l.ID] = l
	return nil
}

func (r fakeLeads) Get(_ context.Context, id string, s app.Scope) (app.LeadRow, error) {
	l, ok := r.d.leads[id]
	if !ok || !r.d.leadVisible(l, s) {
		return app.LeadRow{}, domain.ErrNotFound(domain.ReasonLeadNotFound, "lead")
	}
	return app.LeadRow{Lead: l, Contact: r.d.contacts[l.ContactID]}, nil
}

func (r fakeLeads) GetForUpdate(ctx context.Context, id string, s app.Scope) (app.LeadRow, error) {
	return r.Get(ctx, id, s)
}

func (r fakeLeads) Update(_ context.Context, l domain.Lead) error {
	if _, ok := r.d.leads[l.ID]; !ok {
		return domain.ErrNotFound(domain.ReasonLeadNotFound, "lead")
	}
	r.d.leads[l.ID] = l
	return nil
}

func (r fakeLeads) List(_ context.Context, q app.LeadQuery) (app.Page[app.LeadRow], error) {
	var out []app.LeadRow
	for _, id := range slices.Sorted(maps.Keys(r.d.leads)) {
		if l := r.d.leads[id]; r.d.leadVisible(l, q.VisibleTo) && (q.IncludeArchived || l.ArchivedAt == nil) {
			out = append(out, app.LeadRow{Lead: l, Contact: r.d.contacts[l.ContactID]})
		}
	}
	return app.Page[app.LeadRow]{Items: out}, nil
}

func (r fakeLeads) RecordChange(_ context.Context, _ string, c app.Change) error {
	r.d.changes = append(r.d.changes, c)
	return nil
}

func (r fakeLeads) Timeline(context.Context, string, app.PageRequest) (app.Page[app.TimelineItem], error) {
	return app.Page[app.TimelineItem]{}, nil
}

type fakeActivities struct{ d *orgData }

func (r fakeActivities) Add(_ context.Context, _ string, a domain.Activity) error {
	r.d.activities = append(r.d.activities, a)
	return nil
}

func (r fakeActivities) AddNote(_ context.Context, _ string, n domain.Note) error {
	r.d.notes = append(r.d.notes, n)
	return nil
}

func (r fakeActivities) Stats(_ context.Context, leadID string, since time.Time) (app.ActivityStats, error) {
	var st app.ActivityStats
	for _, a := range r.d.activities {
		if a.LeadID != leadID {
			continue
		}
		st.All++
		if !a.OccurredAt.Before(since) {
			st.Total++
			if a.Direction != nil && *a.Direction == domain.DirectionIn {
				st.Inbound++
			} else if a.Direction != nil {
				st.Outbound++
			}
		}
		if st.Last == nil || a.OccurredAt.After(*st.Last) {
			at := a.OccurredAt
			st.Last = &at
		}
	}
	return st, nil
}

type fakeScores struct{ d *orgData }

func (r fakeScores) Record(_ context.Context, _, leadID, _ string, s domain.Score, _ time.Time) error {
	r.d.scores[leadID] = append(slices.Clone(r.d.scores[leadID]), s)
	return nil
}

func (r fakeScores) Latest(_ context.Context, leadID string) (*domain.Score, error) {
	all := r.d.scores[leadID]
	if len(all) == 0 {
		return nil, nil
	}
	s := all[len(all)-1]
	return &s, nil
}

type fakeContacts struct{ d *orgData }

func (r fakeContacts) Find(_ context.Context, email, phone *string) ([]domain.Contact, error) {
	var out []domain.Contact
	for _, id := range slices.Sorted(maps.Keys(r.d.contacts)) {
		c := r.d.contacts[id]
		if (email != nil && domain.EqualPtr(c.Email, email)) || (phone != nil && domain.EqualPtr(c.Phone, phone)) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (r fakeContacts) taken(c domain.Contact) bool {
	for _, o := range r.d.contacts {
		if o.ID != c.ID && ((c.Email != nil && domain.EqualPtr(o.Email, c.Email)) || (c.Phone != nil && domain.EqualPtr(o.Phone, c.Phone))) {
			return true
		}
	}
	return false
}

func (r fakeContacts) Create(_ context.Context, _ string, c domain.Contact) (bool, error) {
	if r.taken(c) {
		return false, nil
	}
	r.d.contacts[c.ID], r.d.createdBy[c.ID] = c, c.CreatedBy
	return true, nil
}

func (r fakeContacts) Update(_ context.Context, c domain.Contact) error {
	if r.taken(c) {
		return apperr.Conflict(domain.ReasonContactTaken, "another contact has this email or phone")
	}
	r.d.contacts[c.ID] = c
	return nil
}

func (r fakeContacts) Get(_ context.Context, id string, s app.Scope) (domain.Contact, error) {
	c, ok := r.d.contacts[id]
	if !ok || !r.d.contactVisible(id, s) {
		return domain.Contact{}, domain.ErrNotFound(domain.ReasonContactNotFound, "contact")
	}
	return c, nil
}

func (r fakeContacts) List(_ context.Context, q app.ContactQuery) (app.Page[domain.Contact], error) {
	var out []domain.Contact
	for _, id := range slices.Sorted(maps.Keys(r.d.contacts)) {
		c := r.d.contacts[id]
		if r.d.contactVisible(id, q.VisibleTo) && (q.Email == nil || domain.EqualPtr(c.Email, q.Email)) &&
			(q.Phone == nil || domain.EqualPtr(c.Phone, q.Phone)) {
			out = append(out, c)
		}
	}
	return app.Page[domain.Contact]{Items: out}, nil
}

type fakeDeals struct{ d *orgData }

func (r fakeDeals) Create(_ context.Context, _ string, x domain.Deal) error {
	r.d.deals[x.ID] = x
	return nil
}

func (r fakeDeals) Get(_ context.Context, id string, s app.Scope) (domain.Deal, error) {
	x, ok := r.d.deals[id]
	if !ok || !r.d.dealVisible(x, s) {
		return domain.Deal{}, domain.ErrNotFound(domain.ReasonDealNotFound, "deal")
	}
	return x, nil
}

func (r fakeDeals) GetForUpdate(ctx context.Context, id string, s app.Scope) (domain.Deal, error) {
	return r.Get(ctx, id, s)
}

func (r fakeDeals) Update(_ context.Context, x domain.Deal) error {
	r.d.deals[x.ID] = x
	return nil
}

func (r fakeDeals) List(_ context.Context, q app.DealQuery) (app.Page[domain.Deal], error) {
	var out []domain.Deal
	for _, id := range slices.Sorted(maps.Keys(r.d.deals)) {
		if x := r.d.deals[id]; r.d.dealVisible(x, q.VisibleTo) {
			out = append(out, x)
		}
	}
	return app.Page[domain.Deal]{Items: out}, nil
}

func (r fakeDeals) RecordStageChange(_ context.Context, _ string, h app.StageChange) error {
	r.d.stageChanges = append(r.d.stageChanges, h)
	return nil
}

func (r fakeDeals) RecordChange(_ context.Context, _ string, c app.DealFieldChange) error {
	r.d.dealChanges = append(r.d.dealChanges, c)
	return nil
}

func (r fakeDeals) Timeline(context.Context, string, app.PageRequest) (app.Page[app.TimelineItem], error) {
	return app.Page[app.TimelineItem]{}, nil
}

type fakeDocuments struct{ d *orgData }

func (r fakeDocuments) Create(_ context.Context, _ string, doc domain.DealDocument) error {
	r.d.documents = append(r.d.documents, doc)
	return nil
}

func (r fakeDocuments) List(_ context.Context, dealID string, _ app.PageRequest) (app.Page[domain.DealDocument], error) {
	var out []domain.DealDocument
	for _, doc := range r.d.documents {
		if doc.DealID == dealID {
			out = append(out, doc)
		}
	}
	return app.Page[domain.DealDocument]{Items: out}, nil
}

type fakeCatalog struct{ d *orgData }

// EnsureDefaults gives the defaults ids derived from their keys, so tests
// can name them.
func (r fakeCatalog) EnsureDefaults(context.Context, string, time.Time) error {
	if len(r.d.sources) == 0 {
		for i, s := range domain.LeadSourceDefaults() {
			s.ID = fakeID("source", i)
			r.d.sources = append(r.d.sources, s)
		}
	}
	if len(r.d.stages) == 0 {
		for i, s := range domain.DefaultStages() {
			s.ID = fakeID("stage", i)
			r.d.stages = append(r.d.stages, s)
		}
	}
	return nil
}

func (r fakeCatalog) Sources(context.Context) ([]domain.LeadSource, error) {
	return slices.Clone(r.d.sources), nil
}

func (r fakeCatalog) Source(_ context.Context, id string) (domain.LeadSource, error) {
	for _, s := range r.d.sources {
		if s.ID == id {
			return s, nil
		}
	}
	return domain.LeadSource{}, domain.ErrNotFound("lead_source_not_found", "lead source")
}

func (r fakeCatalog) CreateSource(_ context.Context, _ string, s domain.LeadSource, _ time.Time) error {
	r.d.sources = append(r.d.sources, s)
	return nil
}

func (r fakeCatalog) Stages(context.Context) ([]domain.Stage, error) {
	st := slices.Clone(r.d.stages)
	slices.SortStableFunc(st, func(a, b domain.Stage) int { return a.Position - b.Position })
	return st, nil
}

func (r fakeCatalog) CreateStage(_ context.Context, _ string, s domain.Stage, _ time.Time) error {
	r.d.stages = append(r.d.stages, s)
	return nil
}

func (r fakeCatalog) Settings(context.Context) (domain.Settings, error) { return r.d.settings, nil }

func (r fakeCatalog) SaveSettings(_ context.Context, _ string, s domain.Settings) error {
	r.d.settings = s
	return nil
}

type fakeRules struct{ d *orgData }

func (r fakeRules) List(context.Context) ([]domain.AssignmentRule, error) {
	return slices.Clone(r.d.rules), nil
}

func (r fakeRules) GetForUpdate(_ context.Context, id string) (domain.AssignmentRule, error) {
	for _, x := range r.d.rules {
		if x.ID == id {
			return x, nil
		}
	}
	return domain.AssignmentRule{}, domain.ErrNotFound(domain.ReasonRuleNotFound, "assignment rule")
}

func (r fakeRules) Create(_ context.Context, _ string, x domain.AssignmentRule) error {
	r.d.rules = append(r.d.rules, x)
	return nil
}

func (r fakeRules) Update(_ context.Context, x domain.AssignmentRule) error {
	for i := range r.d.rules {
		if r.d.rules[i].ID == x.ID {
			r.d.rules[i] = x
			return nil
		}
	}
	return domain.ErrNotFound(domain.ReasonRuleNotFound, "assignment rule")
}

func (r fakeRules) Delete(_ context.Context, id string) error {
	r.d.rules = slices.DeleteFunc(r.d.rules, func(x domain.AssignmentRule) bool { return x.ID == id })
	return nil
}

func (r fakeRules) Advance(_ context.Context, id, userID string) error {
	for i := range r.d.rules {
		if r.d.rules[i].ID == id {
			r.d.rules[i].LastAssigneeID = &userID
		}
	}
	return nil
}

// fakeImports keeps imports; the batch writing of a job is the adapter's
// (component tests).
type fakeImports struct{ d *orgData }

func (r fakeImports) Create(_ context.Context, _ string, imp domain.LeadImport) error {
	r.d.imports[imp.ID] = imp
	return nil
}

func (r fakeImports) Get(_ context.Context, id string, s app.Scope) (domain.LeadImport, error) {
	imp, ok := r.d.imports[id]
	if !ok || (s != app.Unscoped && (imp.CreatedBy == nil || *imp.CreatedBy != string(s))) {
		return domain.LeadImport{}, domain.ErrNotFound(domain.ReasonImportNotFound, "lead import")
	}
	return imp, nil
}

func (r fakeImports) GetForUpdate(ctx context.Context, id string, s app.Scope) (domain.LeadImport, error) {
	return r.Get(ctx, id, s)
}

func (r fakeImports) List(context.Context, app.Scope, app.PageRequest) (app.Page[domain.LeadImport], error) {
	return app.Page[domain.LeadImport]{}, errNotFaked
}

func (r fakeImports) Save(_ context.Context, imp domain.LeadImport) error {
	r.d.imports[imp.ID] = imp
	return nil
}

func (r fakeImports) MarkFileDeleted(context.Context, string, time.Time) error { return errNotFaked }

func (r fakeImports) Matches(context.Context, []string, []string) ([]domain.ImportMatch, error) {
	return nil, errNotFaked
}

func (r fakeImports) WriteBatch(context.Context, string, app.ImportBatch) error { return errNotFaked }
func (r fakeImports) RefreshStatistics(context.Context) error                   { return errNotFaked }

type fakeEvents struct{ d *orgData }

func (r fakeEvents) Publish(_ context.Context, _ string, evs ...app.Event) error {
	r.d.events = append(r.d.events, evs...)
	return nil
}

type fakeJobs struct{ d *orgData }

func (r fakeJobs) EnqueueRescore(_ context.Context, _, leadID string) error {
	r.d.jobs = append(r.d.jobs, "rescore "+leadID)
	return nil
}

func (r fakeJobs) EnqueueImport(_ context.Context, _, importID string) (int64, error) {
	r.d.jobs = append(r.d.jobs, "import "+importID)
	return int64(len(r.d.jobs)), nil
}

func (r fakeJobs) ScheduleImportFileExpiry(_ context.Context, _, importID string, _ time.Time) error {
	r.d.jobs = append(r.d.jobs, "expire "+importID)
	return nil
}

type fakeUsers struct{ d *orgData }

func (r fakeUsers) ActiveUser(_ context.Context, id string) (bool, error) { return r.d.users[id], nil }

func (r fakeUsers) KnownTeam(_ context.Context, id string) (bool, error) {
	_, ok := r.d.teams[id]
	return ok, nil
}

func (r fakeUsers) TeamAgents(_ context.Context, id string) ([]string, error) {
	var out []string
	for _, u := range r.d.teams[id] {
		if r.d.users[u] {
			out = append(out, u)
		}
	}
	return out, nil
}

type fakeProperties struct{ d *orgData }

func (r fakeProperties) Known(_ context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		if archived, ok := r.d.properties[id]; ok {
			out[id] = archived
		}
	}
	return out, nil
}

// fakeID is a deterministic UUID naming the i-th thing of a kind.
func fakeID(kind string, i int) string {
	n := strconv.Itoa(i + 1)
	prefix := map[string]string{"source": "01900000-0000-7000-8001-", "stage": "01900000-0000-7000-8002-",
		"user": "01900000-0000-7000-8003-", "org": "01900000-0000-7000-8004-", "property": "01900000-0000-7000-8005-",
		"lead": "01900000-0000-7000-8006-", "deal": "01900000-0000-7000-8007-"}[kind]
	return prefix + "000000000000"[len(n):] + n
}

// fixedClock is a clock that does not move.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// fakeLinks signs nothing: a link is the key and its expiry.
type fakeLinks struct{}

func (fakeLinks) URL(key string, expires time.Time) (storage.SignedURL, error) {
	return storage.SignedURL{URL: "/files/" + key, ExpiresAt: expires}, nil
}

type fakeProgress struct{}

func (fakeProgress) SetProgress(context.Context, int64, any) error { return nil }

// fakeUpload records whether the use case started reading it.
type fakeUpload struct{ received bool }

func (u *fakeUpload) Receive(context.Context, storage.Store, string, storage.Rules) (storage.Received, error) {
	u.received = true
	return storage.Received{}, errNotFaked
}
