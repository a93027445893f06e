package http

import (
	"context"
	"net/http"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

func decodeIDUpload(_ context.Context, r *http.Request) (withID[*storage.Upload], error) {
	return withID[*storage.Upload]{ID: pathID(r), Body: storage.NewUpload(r)}, nil
}

func decodePage(_ context.Context, r *http.Request) (app.PageRequest, error) {
	p, err := httpx.ParsePage(r)
	return app.PageRequest{Limit: p.Limit, Cursor: p.Cursor}, err
}

type importUpload struct {
	up     *storage.Upload
	dryRun bool
}

// decodeImportUpload reads ?dry_run= (csvimport.DryRun) and hands the
// multipart body to the use case unread, so the caller's permission is
// checked before a byte of the file is.
func decodeImportUpload(_ context.Context, r *http.Request) (importUpload, error) {
	q := r.URL.Query()
	for name := range q {
		if name != csvimport.ParamDryRun {
			return importUpload{}, apperr.BadRequest(name, "is not a query parameter of this route")
		}
	}
	dry, err := csvimport.DryRun(q)
	return importUpload{up: storage.NewUpload(r), dryRun: dry}, err
}

func (h *handlers) importLeads() http.Handler {
	return httpx.Endpoint(h.log, decodeImportUpload, func(ctx context.Context, req importUpload) (csvimport.UploadAnswer[leadImportJSON], error) {
		if req.dryRun {
			p, err := h.svc.PreviewLeadImport(ctx, req.up)
			return csvimport.UploadAnswer[leadImportJSON]{Preview: &p}, err
		}
		imp, err := h.svc.ImportLeads(ctx, req.up)
		out := leadImportOut(imp)
		// Imported in the request: the import is done (201). Queued as a
		// job: 202, to be followed at Location.
		out.status = http.StatusCreated
		if imp.JobID != nil {
			out.status = http.StatusAccepted
		}
		return csvimport.UploadAnswer[leadImportJSON]{Import: out}, err
	}, http.StatusCreated)
}

func (h *handlers) getLeadImport() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (leadImportJSON, error) {
		imp, err := h.svc.GetLeadImport(ctx, id)
		return leadImportOut(imp), err
	}, http.StatusOK)
}

func (h *handlers) listLeadImports() http.Handler {
	return httpx.Endpoint(h.log, decodePage, func(ctx context.Context, pr app.PageRequest) (httpx.List[leadImportJSON], error) {
		p, err := h.svc.ListLeadImports(ctx, pr)
		return listOut(p, leadImportOut), err
	}, http.StatusOK)
}

// leadImportJSON is a lead import as the API shows it.
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
	CreatedBy   *string           `json:"created_by"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	CompletedAt *time.Time        `json:"completed_at"`
	// FileExpiresAt and FileDeletedAt: the file's retention.
	FileExpiresAt *time.Time `json:"file_expires_at"`
	FileDeletedAt *time.Time `json:"file_deleted_at"`
	status        int
}

// StatusCode is 201 or 202 on create (httpx.StatusCoder); 0 keeps the
// route's status.
func (j leadImportJSON) StatusCode() int { return j.status }

// Headers point a queued import's client at the resource to poll.
func (j leadImportJSON) Headers() http.Header {
	if j.status == 0 {
		return nil
	}
	return http.Header{"Location": {APIPrefix + "/leads/imports/" + j.ID}}
}

type importReportJSON struct {
	Rows            int                  `json:"rows"`
	Accepted        int                  `json:"accepted"`
	Merged          int                  `json:"merged"`
	Rejected        int                  `json:"rejected"`
	ContactsCreated int                  `json:"contacts_created"`
	ContactsUpdated int                  `json:"contacts_updated"`
	Errors          []csvimport.RowError `json:"errors"`
	ErrorsTruncated bool                 `json:"errors_truncated"`
	IgnoredColumns  []string             `json:"ignored_columns"`
	// Columns say which column went to which field, and why.
	Columns []csvimport.ColumnMapping `json:"columns"`
	// SourcesCreated and Warnings: crm's tally (domain.ImportTally).
	SourcesCreated []string             `json:"sources_created"`
	Warnings       []csvimport.RowError `json:"warnings"`
}

func leadImportOut(imp domain.LeadImport) leadImportJSON {
	r := imp.FullReport()
	out := leadImportJSON{
		ID: imp.ID, Status: imp.Status, FileName: imp.FileName, FileSize: imp.FileSize, Mapping: imp.Mapping,
		PhoneRegion: imp.PhoneRegion, JobID: imp.JobID, Error: imp.Failure, CreatedBy: imp.CreatedBy,
		CreatedAt: imp.CreatedAt.UTC(), UpdatedAt: imp.UpdatedAt.UTC(), CompletedAt: utcPtr(imp.FinishedAt),
		FileExpiresAt: utcPtr(imp.FileExpiresAt), FileDeletedAt: utcPtr(imp.FileDeletedAt),
		Report: importReportJSON{
			Rows: r.Rows, Accepted: r.Accepted, Merged: r.Merged, Rejected: r.Rejected, ContactsCreated: r.ContactsCreated,
			ContactsUpdated: r.ContactsUpdated, Errors: r.Errors, ErrorsTruncated: r.ErrorsTruncated, IgnoredColumns: r.IgnoredColumns,
			Columns: r.Columns, SourcesCreated: r.SourcesCreated, Warnings: r.Warnings,
		},
	}
	if out.Mapping == nil {
		out.Mapping = map[string]string{}
	}
	if out.Report.Errors == nil {
		out.Report.Errors = []csvimport.RowError{}
	}
	if out.Report.IgnoredColumns == nil {
		out.Report.IgnoredColumns = []string{}
	}
	if out.Report.Columns == nil {
		out.Report.Columns = []csvimport.ColumnMapping{}
	}
	if out.Report.SourcesCreated == nil {
		out.Report.SourcesCreated = []string{}
	}
	if out.Report.Warnings == nil {
		out.Report.Warnings = []csvimport.RowError{}
	}
	return out
}
