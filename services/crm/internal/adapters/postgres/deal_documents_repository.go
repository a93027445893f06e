package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

const (
	dealDocumentColumns   = `id, deal_id, title, file_key, file_name, content_type, size_bytes, sha256, uploaded_by, created_at`
	sqlInsertDealDocument = `INSERT INTO crm.deal_documents (id, org_id, deal_id, title, file_key, file_name, content_type,
size_bytes, sha256, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	sqlListDealDocuments = `SELECT ` + dealDocumentColumns + ` FROM crm.deal_documents
WHERE deal_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
ORDER BY created_at DESC, id DESC LIMIT $4`
)

func (r documentRepo) Create(ctx context.Context, orgID string, d domain.DealDocument) error {
	_, err := r.tx.Exec(ctx, sqlInsertDealDocument, d.ID, orgID, d.DealID, d.Title, d.FileKey, d.FileName, d.ContentType,
		d.SizeBytes, d.SHA256, d.UploadedBy, d.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert deal document: %w", err)
	}
	return nil
}

func (r documentRepo) List(ctx context.Context, dealID string, p app.PageRequest) (app.Page[domain.DealDocument], error) {
	page, err := newestFirst("deal_documents").Page(p.Cursor, p.Limit)
	if err != nil {
		return app.Page[domain.DealDocument]{}, err
	}
	at, id, fetch := page.Args()
	rows, err := r.tx.Query(ctx, sqlListDealDocuments, dealID, at, id, fetch)
	if err != nil {
		return app.Page[domain.DealDocument]{}, fmt.Errorf("list deal documents: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (domain.DealDocument, error) {
		var d domain.DealDocument
		err := row.Scan(&d.ID, &d.DealID, &d.Title, &d.FileKey, &d.FileName, &d.ContentType, &d.SizeBytes, &d.SHA256,
			&d.UploadedBy, &d.CreatedAt)
		return d, err
	}, func(d domain.DealDocument) (any, string) { return d.CreatedAt, d.ID })
	if err != nil {
		return app.Page[domain.DealDocument]{}, fmt.Errorf("list deal documents: %w", err)
	}
	return out, nil
}
