package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// Imports: bulk imports (app/imports.go).
func (r *repos) Imports() app.ImportRepository { return importRepo{tx: r.tx} }

// SetJobProgress implements app.Store.
func (s *Store) SetJobProgress(ctx context.Context, jobID int64, progress any) error {
	return s.queue.SetProgress(ctx, jobID, progress)
}

// PublishAll builds the CloudEvents and enqueues them with one COPY.
func (p publisher) PublishAll(ctx context.Context, eventType, orgID string, items []app.EventData) error {
	pending := make([]events.Pending, len(items))
	for i, it := range items {
		pending[i] = events.Pending{Type: eventType, Subject: it.Key, Key: it.Key, Data: it.Data}
	}
	return p.store.events.Publish(ctx, p.tx, orgID, pending...)
}

type importRepo struct{ tx pgx.Tx }

const importColumns = `id, org_id, status, file_name, file_key, file_size, file_sha256, mapping, rows_read, accepted,
	rejected, skipped, errors, errors_truncated, ignored_columns, checkpoint_line, job_id, failure, created_by,
	created_at, updated_at, started_at, finished_at, file_expires_at, file_deleted_at, checkpoint_offset`

// importListColumns are importColumns without the row errors (up to a
// thousand per import), which only GET by id shows.
const importListColumns = `id, org_id, status, file_name, file_key, file_size, file_sha256, mapping, rows_read, accepted,
	rejected, skipped, '[]'::jsonb, errors_truncated, ignored_columns, checkpoint_line, job_id, failure, created_by,
	created_at, updated_at, started_at, finished_at, file_expires_at, file_deleted_at, checkpoint_offset`

const sqlImportInsert = `INSERT INTO property.property_imports (` + importColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`

const sqlImportGet = `SELECT ` + importColumns + ` FROM property.property_imports WHERE id = $1`

const sqlImportGetForUpdate = sqlImportGet + ` FOR UPDATE`

const sqlImportList = `SELECT ` + importListColumns + ` FROM property.property_imports
WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
ORDER BY created_at DESC, id DESC LIMIT $3`

// sqlImportSave stores what a run moves on (pkg/csvimport's runner holds
// the import's lock while it does). file_deleted_at is not among its
// columns: only MarkFileDeleted sets it, so no run holding an older copy
// of the import can clear it.
const sqlImportSave = `UPDATE property.property_imports SET status = $2, rows_read = $3, accepted = $4, rejected = $5,
	skipped = $6, errors = $7, errors_truncated = $8, ignored_columns = $9, checkpoint_line = $10, job_id = $11,
	failure = $12, updated_at = $13, started_at = $14, finished_at = $15, file_expires_at = $16, checkpoint_offset = $17
WHERE id = $1`

// sqlImportFileDeleted records the file's deletion once: a repeated run
// keeps the first time.
const sqlImportFileDeleted = `UPDATE property.property_imports SET file_deleted_at = $2
WHERE id = $1 AND file_deleted_at IS NULL`

// Loading a batch: COPY into a temporary table (no indexes, no WAL), then
// one INSERT … SELECT into properties whose ON CONFLICT skips listing keys
// the organisation has (race-free against a concurrent import or create:
// the later insert waits for the earlier and skips). Rows go in
// listing_key order, so two imports overlapping in keys lock them in the
// same order and cannot deadlock. The search trigger fills
// property_search as for any insert; each loaded row gets one history
// entry in the same statement; the lines not loaded come back.
const sqlImportStaging = `CREATE TEMP TABLE IF NOT EXISTS import_staging (
	line integer NOT NULL, id uuid NOT NULL, history_id uuid NOT NULL, listing_key text NOT NULL,
	list_price_cents bigint NOT NULL, bedrooms_total integer, bathrooms_total_integer integer, living_area bigint,
	lot_size_acres text, year_built integer, property_type text NOT NULL, property_sub_type text,
	standard_status text NOT NULL, unparsed_address text NOT NULL, street_number text, street_name text,
	unit_number text, city text NOT NULL, state_or_province text, postal_code text, country text NOT NULL,
	latitude double precision, longitude double precision, public_remarks text, created_at timestamptz NOT NULL
) ON COMMIT DROP;
TRUNCATE pg_temp.import_staging`

var importStagingColumns = []string{"line", "id", "history_id", "listing_key", "list_price_cents", "bedrooms_total",
	"bathrooms_total_integer", "living_area", "lot_size_acres", "year_built", "property_type", "property_sub_type",
	"standard_status", "unparsed_address", "street_number", "street_name", "unit_number", "city", "state_or_province",
	"postal_code", "country", "latitude", "longitude", "public_remarks", "created_at"}

const sqlImportLoad = `WITH loaded AS (
	INSERT INTO property.properties (id, org_id, listing_key, list_price_cents, bedrooms_total, bathrooms_total_integer,
		living_area, lot_size_acres, year_built, property_type, property_sub_type, standard_status, unparsed_address,
		street_number, street_name, unit_number, city, state_or_province, postal_code, country, latitude, longitude,
		public_remarks, created_at, updated_at)
	SELECT id, $1, listing_key, list_price_cents, bedrooms_total, bathrooms_total_integer, living_area,
		lot_size_acres::numeric, year_built, property_type, property_sub_type, standard_status, unparsed_address,
		street_number, street_name, unit_number, city, state_or_province, postal_code, country, latitude, longitude,
		public_remarks, created_at, created_at
	FROM pg_temp.import_staging ORDER BY listing_key
	ON CONFLICT (org_id, listing_key) WHERE listing_key IS NOT NULL DO NOTHING
	RETURNING id
), history AS (
	INSERT INTO property.property_history (id, org_id, property_id, actor_id, changed_at, field, old_value, new_value)
	SELECT s.history_id, $1, s.id, $2, s.created_at, 'import', 'null'::jsonb,
		jsonb_build_object('import_id', $3::text, 'line', s.line)
	FROM pg_temp.import_staging s JOIN loaded l ON l.id = s.id
)
SELECT s.line FROM pg_temp.import_staging s WHERE NOT EXISTS (SELECT 1 FROM loaded l WHERE l.id = s.id) ORDER BY s.line`

func (r importRepo) Create(ctx context.Context, imp domain.Import) error {
	args, err := importArgs(imp)
	if err != nil {
		return err
	}
	if _, err := r.tx.Exec(ctx, sqlImportInsert, args...); err != nil {
		return fmt.Errorf("insert import: %w", err)
	}
	return nil
}

func importArgs(imp domain.Import) ([]any, error) {
	mapping, err := json.Marshal(imp.Mapping)
	if err != nil {
		return nil, fmt.Errorf("encode import mapping: %w", err)
	}
	errs, ignored, err := reportJSON(imp.Report)
	if err != nil {
		return nil, err
	}
	return []any{imp.ID, imp.OrgID, imp.Status, imp.FileName, imp.FileKey, imp.FileSize, imp.FileSHA256, mapping,
		imp.Report.Rows, imp.Report.Accepted, imp.Report.Rejected, imp.Report.Skipped, errs, imp.Report.ErrorsTruncated,
		ignored, imp.Checkpoint.Line, imp.JobID, imp.Failure, imp.CreatedBy, imp.CreatedAt, imp.UpdatedAt, imp.StartedAt,
		imp.FinishedAt, imp.FileExpiresAt, imp.FileDeletedAt, imp.Checkpoint.Offset}, nil
}

// reportJSON encodes the report's lists, never as JSON null.
func reportJSON(rep csvimport.Report) (errs, ignored []byte, err error) {
	e, i := rep.Errors, rep.IgnoredColumns
	if e == nil {
		e = []csvimport.RowError{}
	}
	if i == nil {
		i = []string{}
	}
	if errs, err = json.Marshal(e); err != nil {
		return nil, nil, fmt.Errorf("encode import errors: %w", err)
	}
	if ignored, err = json.Marshal(i); err != nil {
		return nil, nil, fmt.Errorf("encode ignored columns: %w", err)
	}
	return errs, ignored, nil
}

func scanImport(row pgx.Row) (domain.Import, error) {
	var imp domain.Import
	var mapping, errs, ignored []byte
	err := row.Scan(&imp.ID, &imp.OrgID, &imp.Status, &imp.FileName, &imp.FileKey, &imp.FileSize, &imp.FileSHA256, &mapping,
		&imp.Report.Rows, &imp.Report.Accepted, &imp.Report.Rejected, &imp.Report.Skipped, &errs, &imp.Report.ErrorsTruncated,
		&ignored, &imp.Checkpoint.Line, &imp.JobID, &imp.Failure, &imp.CreatedBy, &imp.CreatedAt, &imp.UpdatedAt,
		&imp.StartedAt, &imp.FinishedAt, &imp.FileExpiresAt, &imp.FileDeletedAt, &imp.Checkpoint.Offset)
	if err != nil {
		return imp, err
	}
	for _, f := range []struct {
		raw []byte
		dst any
	}{{mapping, &imp.Mapping}, {errs, &imp.Report.Errors}, {ignored, &imp.Report.IgnoredColumns}} {
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return imp, fmt.Errorf("decode import %s: %w", imp.ID, err)
		}
	}
	imp.CreatedAt, imp.UpdatedAt = imp.CreatedAt.UTC(), imp.UpdatedAt.UTC()
	for _, t := range []**time.Time{&imp.StartedAt, &imp.FinishedAt, &imp.FileExpiresAt, &imp.FileDeletedAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return imp, nil
}

func (r importRepo) get(ctx context.Context, query, id string) (domain.Import, error) {
	imp, err := scanImport(r.tx.QueryRow(ctx, query, id))
	if postgres.IsNoRows(err) {
		return imp, domain.ErrImportNotFound()
	}
	if err != nil {
		return imp, fmt.Errorf("get import: %w", err)
	}
	return imp, nil
}

func (r importRepo) Get(ctx context.Context, id string) (domain.Import, error) {
	return r.get(ctx, sqlImportGet, id)
}

func (r importRepo) GetForUpdate(ctx context.Context, id string) (domain.Import, error) {
	return r.get(ctx, sqlImportGetForUpdate, id)
}

func (r importRepo) List(ctx context.Context, limit int, cursorText string) (app.Page[domain.Import], error) {
	cur, err := decodeCursor(cursorText, "imports")
	if err != nil {
		return app.Page[domain.Import]{}, err
	}
	var at *time.Time
	var id *string
	if cur != nil {
		t, err := datetime.ParseTime(cur.V) // a forged cursor is a 400, like any client time
		if err != nil {
			return app.Page[domain.Import]{}, badCursor()
		}
		at, id = &t, &cur.ID
	}
	limit = limitOf(limit)
	rows, err := r.tx.Query(ctx, sqlImportList, at, id, limit+1)
	if err != nil {
		return app.Page[domain.Import]{}, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	var items []domain.Import
	for rows.Next() {
		imp, err := scanImport(rows)
		if err != nil {
			return app.Page[domain.Import]{}, fmt.Errorf("scan import: %w", err)
		}
		items = append(items, imp)
	}
	if err := rows.Err(); err != nil {
		return app.Page[domain.Import]{}, fmt.Errorf("list imports: %w", err)
	}
	page := app.Page[domain.Import]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor("imports", last.CreatedAt.Format(time.RFC3339Nano), last.ID)
	}
	return page, nil
}

func (r importRepo) Save(ctx context.Context, imp domain.Import) error {
	errs, ignored, err := reportJSON(imp.Report)
	if err != nil {
		return err
	}
	tag, err := r.tx.Exec(ctx, sqlImportSave, imp.ID, imp.Status, imp.Report.Rows, imp.Report.Accepted,
		imp.Report.Rejected, imp.Report.Skipped, errs, imp.Report.ErrorsTruncated, ignored, imp.Checkpoint.Line,
		imp.JobID, imp.Failure, imp.UpdatedAt, imp.StartedAt, imp.FinishedAt, imp.FileExpiresAt, imp.Checkpoint.Offset)
	if err != nil {
		return fmt.Errorf("save import: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return domain.ErrImportNotFound()
	}
	return nil
}

func (r importRepo) MarkFileDeleted(ctx context.Context, id string, at time.Time) error {
	if _, err := r.tx.Exec(ctx, sqlImportFileDeleted, id, at); err != nil {
		return fmt.Errorf("mark import file deleted: %w", err)
	}
	return nil
}

func (r importRepo) Stage(ctx context.Context, b app.ImportBatch) error {
	if len(b.Rows) == 0 {
		return nil
	}
	if _, err := r.tx.Exec(ctx, sqlImportStaging); err != nil {
		return fmt.Errorf("import staging table: %w", err)
	}
	rows := b.Rows
	_, err := r.tx.CopyFrom(ctx, pgx.Identifier{"import_staging"}, importStagingColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		p := rows[i].Property
		id, err := uuid.Parse(p.ID)
		if err != nil {
			return nil, fmt.Errorf("import row %d: property id: %w", rows[i].Line, err)
		}
		return []any{rows[i].Line, id, uuid.Must(uuid.NewV7()), p.ListingKey, p.ListPriceCents, p.BedroomsTotal,
			p.BathroomsTotalInteger, p.LivingArea, p.LotSizeAcres, p.YearBuilt, p.PropertyType, p.PropertySubType,
			p.StandardStatus, p.UnparsedAddress, p.StreetNumber, p.StreetName, p.UnitNumber, p.City, p.StateOrProvince,
			p.PostalCode, p.Country, p.Latitude, p.Longitude, p.PublicRemarks, p.CreatedAt}, nil
	}))
	if err != nil {
		return fmt.Errorf("copy import rows: %w", err)
	}
	return nil
}

func (r importRepo) Load(ctx context.Context, b app.ImportBatch) ([]int, error) {
	if len(b.Rows) == 0 {
		return nil, nil
	}
	res, err := r.tx.Query(ctx, sqlImportLoad, b.OrgID, b.ActorID, b.ImportID)
	if err != nil {
		return nil, fmt.Errorf("load import rows: %w", err)
	}
	skipped, err := pgx.CollectRows(res, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("load import rows: %w", err)
	}
	return skipped, nil
}
