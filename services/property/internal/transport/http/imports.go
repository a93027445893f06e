package http

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/storage"
	"reos.dev/services/property/internal/domain"
)

// importUploadTimeout replaces the server's read and write deadlines
// (60 s, 30 s) for an import upload: at the default 2 GiB limit it allows
// a client about 1.2 MB/s. The request's body stays bounded by the limit.
const importUploadTimeout = 30 * time.Minute

// longUpload extends the connection's deadlines for one long upload.
func longUpload(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(importUploadTimeout)
		// Not every ResponseWriter can (an httptest recorder); the server's
		// deadlines then stand, which only shortens what a client may send.
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline)
		next.ServeHTTP(w, r)
	})
}

// importDTO is an import with its report. The row errors are listed by
// GET /properties/bulk-import/{import_id} only (nil in lists).
type importDTO struct {
	ID             string            `json:"id"`
	OrgID          string            `json:"org_id"`
	Status         string            `json:"status"`
	FileName       string            `json:"file_name"`
	FileSize       int64             `json:"file_size"`
	FileSHA256     string            `json:"file_sha256"`
	Mapping        map[string]string `json:"mapping"`
	JobID          *int64            `json:"job_id"`
	CheckpointLine int               `json:"checkpoint_line"`
	Report         importReportDTO   `json:"report"`
	Failure        *string           `json:"failure"`
	CreatedBy      *string           `json:"created_by"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	StartedAt      *time.Time        `json:"started_at"`
	FinishedAt     *time.Time        `json:"finished_at"`
	FileExpiresAt  *time.Time        `json:"file_expires_at"`
	FileDeletedAt  *time.Time        `json:"file_deleted_at"`
}

type importReportDTO struct {
	Rows            int                   `json:"rows"`
	Accepted        int                   `json:"accepted"`
	Rejected        int                   `json:"rejected"`
	Skipped         int                   `json:"skipped"`
	Errors          *[]csvimport.RowError `json:"errors,omitempty"`
	ErrorsTruncated bool                  `json:"errors_truncated"`
	IgnoredColumns  []string              `json:"ignored_columns"`
	// Columns say which column went to which field, and why.
	Columns []csvimport.ColumnMapping `json:"columns"`
}

func toImport(imp domain.Import, withErrors bool) importDTO {
	rep := imp.Report
	out := importDTO{ID: imp.ID, OrgID: imp.OrgID, Status: imp.Status, FileName: imp.FileName, FileSize: imp.FileSize,
		FileSHA256: imp.FileSHA256, Mapping: imp.Mapping, JobID: imp.JobID, CheckpointLine: imp.Checkpoint.Line,
		Report: importReportDTO{Rows: rep.Rows, Accepted: rep.Accepted, Rejected: rep.Rejected, Skipped: rep.Skipped,
			ErrorsTruncated: rep.ErrorsTruncated, IgnoredColumns: rep.IgnoredColumns, Columns: rep.Columns},
		Failure: imp.Failure, CreatedBy: imp.CreatedBy, CreatedAt: imp.CreatedAt, UpdatedAt: imp.UpdatedAt,
		StartedAt: imp.StartedAt, FinishedAt: imp.FinishedAt, FileExpiresAt: imp.FileExpiresAt, FileDeletedAt: imp.FileDeletedAt}
	if out.Mapping == nil {
		out.Mapping = map[string]string{}
	}
	if out.Report.Columns == nil {
		out.Report.Columns = []csvimport.ColumnMapping{}
	}
	if out.Report.IgnoredColumns == nil {
		out.Report.IgnoredColumns = []string{}
	}
	if withErrors {
		errs := rep.Errors
		if errs == nil {
			errs = []csvimport.RowError{}
		}
		out.Report.Errors = &errs
	}
	return out
}

// startedImport answers POST /properties/bulk-import: 201 with the report
// when the file was imported inside the request, 202 with the queued
// import (and its job) otherwise; Location names the import either way.
type startedImport struct{ importDTO }

func (s startedImport) StatusCode() int {
	if s.Status == domain.ImportQueued {
		return http.StatusAccepted
	}
	return http.StatusCreated
}

func (s startedImport) Headers() http.Header {
	return http.Header{"Location": {APIPrefix + "/properties/bulk-import/" + s.ID}}
}

type importUpload struct {
	uploadRequest
	dryRun bool
}

func decodeImportUpload(_ context.Context, r *http.Request) (importUpload, error) {
	q := r.URL.Query()
	if err := onlyParams(q, csvimport.ParamDryRun); err != nil {
		return importUpload{}, err
	}
	dry, err := csvimport.DryRun(q)
	return importUpload{uploadRequest: uploadRequest{Upload: storage.NewUpload(r)}, dryRun: dry}, err
}

func (h *handlers) startImport() http.Handler {
	return endpoint(h, decodeImportUpload, func(ctx context.Context, req importUpload) (csvimport.UploadAnswer[startedImport], error) {
		if req.dryRun {
			p, err := h.svc.PreviewImport(ctx, req.Upload)
			return csvimport.UploadAnswer[startedImport]{Preview: &p}, err
		}
		imp, err := h.svc.StartImport(ctx, req.Upload)
		return csvimport.UploadAnswer[startedImport]{Import: startedImport{toImport(imp, true)}}, err
	}, http.StatusCreated)
}

func (h *handlers) listImports() http.Handler {
	return endpoint(h, decodePageOf, func(ctx context.Context, req pageRequest) (httpx.List[importDTO], error) {
		page, err := h.svc.ListImports(ctx, req.Limit, req.Cursor)
		return httpx.NewList(mapItems(page.Items, func(imp domain.Import) importDTO { return toImport(imp, false) }), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) getImport() http.Handler {
	return endpoint(h, func(_ context.Context, r *http.Request) (idRequest, error) {
		return idRequest{ID: mux.Vars(r)["import_id"]}, nil
	}, func(ctx context.Context, req idRequest) (importDTO, error) {
		imp, err := h.svc.GetImport(ctx, req.ID)
		return toImport(imp, true), err
	}, http.StatusOK)
}
