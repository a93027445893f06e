package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

func ptr[T any](v T) *T { return &v }

// crmPerms are the permissions crm checks.
var crmPerms = []string{app.PermLeadsRead, app.PermLeadsWrite, app.PermLeadsAdmin, app.PermDealsRead, app.PermDealsWrite}

// env is the service over in-memory fakes.
type env struct {
	svc   app.Service
	store *fakeStore
	now   time.Time
	org   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	files, err := storage.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: newFakeStore(), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), org: fakeID("org", 0)}
	e.svc, err = app.NewService(app.Config{}, app.Deps{
		Store: e.store, Clock: fixedClock{e.now}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Files: files, Links: fakeLinks{}, Progress: fakeProgress{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// as is a context of user i of the env's organisation holding perms, with
// roles.
func (e *env) as(i int, roles []string, perms ...string) context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{UserID: fakeID("user", i), OrgID: e.org, Roles: roles, Perms: perms})
}

// TestEveryUseCaseChecksItsPermission calls every use case directly, as
// the transport does after its own check, with a caller holding every crm
// permission but the one the use case needs: the app refuses on its own
// (forbidden), before it opens a transaction (nothing is read or written)
// or reads an upload. Without a principal each is unauthorized. The table
// is checked against the Service interface, so a use case cannot be added
// without its row.
func TestEveryUseCaseChecksItsPermission(t *testing.T) {
	t.Parallel()
	id := fakeID("lead", 0)
	up := &fakeUpload{}
	calls := []struct {
		method string
		perm   string
		call   func(ctx context.Context, s app.Service) error
	}{
		{"CreateLead", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.CreateLead(ctx, domain.LeadInput{Contact: domain.ContactInput{Email: ptr("a@example.com")}})
			return err
		}},
		{"GetLead", app.PermLeadsRead, func(ctx context.Context, s app.Service) error { _, err := s.GetLead(ctx, id); return err }},
		{"UpdateLead", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.UpdateLead(ctx, id, domain.LeadUpdate{})
			return err
		}},
		{"ArchiveLead", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error { return s.ArchiveLead(ctx, id) }},
		{"ListLeads", app.PermLeadsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.ListLeads(ctx, app.LeadFilter{})
			return err
		}},
		{"SearchLeads", app.PermLeadsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.SearchLeads(ctx, app.LeadFilter{Text: "ada"})
			return err
		}},
		{"AssignLead", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error { _, err := s.AssignLead(ctx, id, nil); return err }},
		{"ScoreLead", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error { _, err := s.ScoreLead(ctx, id); return err }},
		{"LogActivity", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.LogActivity(ctx, id, app.ActivityInput{Type: "meeting"})
			return err
		}},
		{"AddNote", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error { _, err := s.AddNote(ctx, id, "note"); return err }},
		{"LeadTimeline", app.PermLeadsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.LeadTimeline(ctx, id, app.PageRequest{})
			return err
		}},
		{"CreateContact", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.CreateContact(ctx, domain.ContactInput{Email: ptr("a@example.com")})
			return err
		}},
		{"GetContact", app.PermLeadsRead, func(ctx context.Context, s app.Service) error { _, err := s.GetContact(ctx, id); return err }},
		{"UpdateContact", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.UpdateContact(ctx, id, domain.ContactInput{})
			return err
		}},
		{"ListContacts", app.PermLeadsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.ListContacts(ctx, app.ContactFilter{})
			return err
		}},
		{"ListSources", app.PermLeadsRead, func(ctx context.Context, s app.Service) error { _, err := s.ListSources(ctx); return err }},
		{"CreateSource", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.CreateSource(ctx, domain.LeadSource{Key: "fair", Name: "Fair", Weight: 50})
			return err
		}},
		{"ListStages", app.PermDealsRead, func(ctx context.Context, s app.Service) error { _, err := s.ListStages(ctx); return err }},
		{"CreateStage", app.PermDealsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.CreateStage(ctx, domain.Stage{Key: "viewing", Name: "Viewing", Position: 35})
			return err
		}},
		{"CreateDeal", app.PermDealsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.CreateDeal(ctx, app.DealInput{LeadID: id, Title: "Purchase", ValueCents: ptr(int64(1))})
			return err
		}},
		{"GetDeal", app.PermDealsRead, func(ctx context.Context, s app.Service) error { _, err := s.GetDeal(ctx, id); return err }},
		{"UpdateDeal", app.PermDealsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.UpdateDeal(ctx, id, app.DealUpdate{})
			return err
		}},
		{"ListDeals", app.PermDealsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.ListDeals(ctx, app.DealFilter{})
			return err
		}},
		{"MoveDeal", app.PermDealsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.MoveDeal(ctx, id, app.StageMove{Stage: ptr("offer")})
			return err
		}},
		{"DealTimeline", app.PermDealsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.DealTimeline(ctx, id, app.PageRequest{})
			return err
		}},
		{"ListAssignmentRules", app.PermLeadsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.ListAssignmentRules(ctx)
			return err
		}},
		{"CreateAssignmentRule", app.PermLeadsAdmin, func(ctx context.Context, s app.Service) error {
			_, err := s.CreateAssignmentRule(ctx, app.RuleInput{Name: ptr("all")})
			return err
		}},
		{"UpdateAssignmentRule", app.PermLeadsAdmin, func(ctx context.Context, s app.Service) error {
			_, err := s.UpdateAssignmentRule(ctx, id, app.RuleInput{})
			return err
		}},
		{"DeleteAssignmentRule", app.PermLeadsAdmin, func(ctx context.Context, s app.Service) error {
			return s.DeleteAssignmentRule(ctx, id)
		}},
		{"GetSettings", app.PermLeadsRead, func(ctx context.Context, s app.Service) error { _, err := s.GetSettings(ctx); return err }},
		{"UpdateSettings", app.PermLeadsAdmin, func(ctx context.Context, s app.Service) error {
			_, err := s.UpdateSettings(ctx, app.SettingsUpdate{AgentsSeeOnlyAssigned: ptr(true)})
			return err
		}},
		{"ImportLeads", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error { _, err := s.ImportLeads(ctx, up); return err }},
		{"PreviewLeadImport", app.PermLeadsWrite, func(ctx context.Context, s app.Service) error { _, err := s.PreviewLeadImport(ctx, up); return err }},
		{"GetLeadImport", app.PermLeadsRead, func(ctx context.Context, s app.Service) error { _, err := s.GetLeadImport(ctx, id); return err }},
		{"ListLeadImports", app.PermLeadsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.ListLeadImports(ctx, app.PageRequest{})
			return err
		}},
		{"AddDealDocument", app.PermDealsWrite, func(ctx context.Context, s app.Service) error {
			_, err := s.AddDealDocument(ctx, id, up)
			return err
		}},
		{"ListDealDocuments", app.PermDealsRead, func(ctx context.Context, s app.Service) error {
			_, err := s.ListDealDocuments(ctx, id, app.PageRequest{})
			return err
		}},
	}
	// The service's own jobs and the seed act for an organisation, not for
	// a caller: no permission to check (the job queue and the seed command
	// are their only callers).
	system := []string{"SeedDemo", "RescoreLead", "RunLeadImport", "ExpireLeadImportFile"}

	svcType := reflect.TypeFor[app.Service]()
	var listed []string
	for _, c := range calls {
		listed = append(listed, c.method)
	}
	for i := range svcType.NumMethod() {
		m := svcType.Method(i)
		if !slices.Contains(listed, m.Name) && !slices.Contains(system, m.Name) {
			t.Errorf("use case %s has no row: say which permission it needs", m.Name)
		}
	}
	for _, name := range listed {
		if _, ok := svcType.MethodByName(name); !ok {
			t.Errorf("row %s names no use case", name)
		}
	}

	for _, c := range calls {
		t.Run(c.method, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			others := slices.DeleteFunc(slices.Clone(crmPerms), func(p string) bool { return p == c.perm })
			if err := c.call(e.as(0, []string{"sales"}, others...), e.svc); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("without %s: err = %v, want forbidden", c.perm, err)
			}
			if err := c.call(context.Background(), e.svc); !errors.Is(err, apperr.ErrUnauthorized) {
				t.Errorf("without a principal: err = %v, want unauthorized", err)
			}
			if e.store.transactions != 0 {
				t.Errorf("%d transactions opened before the refusal", e.store.transactions)
			}
		})
	}
	if up.received {
		t.Error("an upload was read before the permission check")
	}
}

// TestCreateLeadWithoutWritePermissionWritesNothing: a viewer (leads:read
// only) is refused a new lead, and the organisation has no contact, lead
// or event afterwards.
func TestCreateLeadWithoutWritePermissionWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	viewer := e.as(0, []string{"viewer"}, app.PermLeadsRead, app.PermDealsRead)
	_, err := e.svc.CreateLead(viewer, domain.LeadInput{Contact: domain.ContactInput{Email: ptr("ada@example.com")}})
	if !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("err = %v, want forbidden", err)
	}
	d := e.store.org(e.org)
	if len(d.leads)+len(d.contacts)+len(d.events)+len(d.changes) != 0 || e.store.transactions != 0 {
		t.Fatalf("a refused lead left %d leads, %d contacts, %d events, %d changes, %d transactions",
			len(d.leads), len(d.contacts), len(d.events), len(d.changes), e.store.transactions)
	}
}
