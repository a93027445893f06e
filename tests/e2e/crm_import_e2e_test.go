package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// crmImportJSON is a crm lead import as the API shows it.
type crmImportJSON struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	JobID         *int64     `json:"job_id"`
	CompletedAt   *time.Time `json:"completed_at"`
	FileExpiresAt *time.Time `json:"file_expires_at"`
	FileDeletedAt *time.Time `json:"file_deleted_at"`
	Report        struct {
		Rows, Accepted, Merged, Rejected int
		ContactsCreated                  int `json:"contacts_created"`
		Errors                           []struct {
			Line   int    `json:"line"`
			Column string `json:"column"`
			Reason string `json:"reason"`
		} `json:"errors"`
	} `json:"report"`
}

// crmImportScenarios import leads and attach a deal document through nginx
// and the gateway: a small file within the request, a larger one by crm's
// job queue (the stack's crm imports files over 2 KiB as a job), and a
// document fetched back by its signed link without a token.
func crmImportScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	var small crmImportJSON
	t.Run("a small file is imported within the request", func(t *testing.T) {
		csv := "First Name,Email,Phone\nImported,imported.one@example.com,(415) 555-0191\n" +
			"Imported,imported.two@example.com,not a phone\nImported,IMPORTED.ONE@example.com,\n"
		r := postFile(t, api+"/leads/import", a.admin, "leads.csv", "text/csv", []byte(csv))
		expectStatus(t, r, http.StatusCreated, "import")
		r.json(t, &small)
		rep := small.Report
		if small.Status != "completed" || rep.Rows != 3 || rep.Accepted != 1 || rep.Merged != 1 || rep.Rejected != 1 ||
			len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Column != "Phone" {
			t.Fatalf("import = %s", r.Body)
		}
		r = do(t, http.MethodGet, api+"/contacts?email=imported.one@example.com", a.viewer, nil)
		expectStatus(t, r, http.StatusOK, "contact")
		var contacts struct {
			Items []struct {
				Phone string `json:"phone"`
			} `json:"items"`
		}
		r.json(t, &contacts)
		if len(contacts.Items) != 1 || contacts.Items[0].Phone != "+14155550191" {
			t.Fatalf("contacts = %s", r.Body)
		}
		s.expectEventOnTopic(t, "reos.crm.events", "reos.crm.lead_import.completed", small.ID)
		expectFileExpiry(t, s, a.admin, "crm", "crm.lead_import_file_expire", small.ID, small.CompletedAt, small.FileExpiresAt, small.FileDeletedAt)
	})

	t.Run("a viewer cannot import, another org cannot see the import", func(t *testing.T) {
		expectStatus(t, postFile(t, api+"/leads/import", a.viewer, "leads.csv", "text/csv", []byte("email\nv@example.com\n")),
			http.StatusForbidden, "viewer import")
		expectStatus(t, do(t, http.MethodGet, api+"/leads/imports/"+small.ID, a.viewer, nil), http.StatusOK, "viewer reads the import")
		expectStatus(t, do(t, http.MethodGet, api+"/leads/imports/"+small.ID, a.outsider, nil), http.StatusNotFound, "other org")
	})

	t.Run("a larger file is imported by a job", func(t *testing.T) {
		// rows lines over distinct emails: the first of each is a new
		// lead, every repeat merges into it.
		const rows, distinct = 110, 100
		var b strings.Builder
		b.WriteString("email,first_name,postal_code\n")
		for i := range rows {
			fmt.Fprintf(&b, "bulk%03d@example.com,Bulk %d,94103\n", i%distinct, i%distinct)
		}
		r := postFile(t, api+"/leads/import", a.admin, "bulk.csv", "text/csv", []byte(b.String()))
		expectStatus(t, r, http.StatusAccepted, "queued import")
		var imp crmImportJSON
		r.json(t, &imp)
		if imp.Status != "queued" || imp.JobID == nil || r.Header.Get("Location") != "/api/v1/leads/imports/"+imp.ID {
			t.Fatalf("queued = %s (Location %q)", r.Body, r.Header.Get("Location"))
		}
		testkit.Eventually(t, eventTimeout, func() bool {
			do(t, http.MethodGet, api+"/leads/imports/"+imp.ID, a.admin, nil).json(t, &imp)
			return imp.Status == "completed" || imp.Status == "failed"
		}, func() string { return fmt.Sprintf("import still %q", imp.Status) })
		if imp.Status != "completed" || imp.Report.Rows != rows || imp.Report.Accepted != distinct || imp.Report.Merged != rows-distinct || imp.Report.Rejected != 0 {
			t.Fatalf("import = %+v, want %d rows: %d accepted, %d merged", imp, rows, distinct, rows-distinct)
		}
		var job e2eJob
		do(t, http.MethodGet, api+"/jobs/crm/"+strconv.FormatInt(*imp.JobID, 10), a.admin, nil).json(t, &job)
		if job.State != "completed" {
			t.Fatalf("job = %+v", job)
		}
	})

	t.Run("a deal document round trip through its signed link", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "Doc", "email": "doc.buyer@example.com"})
		expectStatus(t, r, http.StatusCreated, "lead")
		var lead struct{ ID string }
		r.json(t, &lead)
		r = do(t, http.MethodPost, api+"/deals", a.admin, map[string]any{"lead_id": lead.ID, "title": "Doc deal", "value_cents": 1})
		expectStatus(t, r, http.StatusCreated, "deal")
		var deal struct{ ID string }
		r.json(t, &deal)
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		r = postFile(t, api+"/deals/"+deal.ID+"/documents", a.admin, "offer.pdf", "application/pdf", pdf, "title", "Offer")
		expectStatus(t, r, http.StatusCreated, "upload")
		var doc struct {
			URL         string `json:"url"`
			ContentType string `json:"content_type"`
		}
		r.json(t, &doc)
		if doc.ContentType != "application/pdf" || !strings.HasPrefix(doc.URL, "/api/v1/files/crm/") {
			t.Fatalf("document = %s", r.Body)
		}
		got := do(t, http.MethodGet, s.NginxURL+doc.URL, "", nil)
		expectStatus(t, got, http.StatusOK, "download without a token")
		if string(got.Body) != string(pdf) || got.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("download = %d %q %s", got.Status, got.Header.Get("Content-Type"), got.Body)
		}
		expectStatus(t, do(t, http.MethodGet, s.NginxURL+doc.URL+"x", "", nil), http.StatusForbidden, "tampered signature")
		expectStatus(t, postFile(t, api+"/deals/"+deal.ID+"/documents", a.outsider, "offer.pdf", "application/pdf", pdf),
			http.StatusNotFound, "other org's deal")
	})
}
