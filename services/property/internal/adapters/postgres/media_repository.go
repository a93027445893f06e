package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// Images and Documents are the property's files (migration 4).
func (r *repos) Images() app.ImageRepository       { return imageRepo{tx: r.tx} }
func (r *repos) Documents() app.DocumentRepository { return documentRepo{tx: r.tx} }

type imageRepo struct{ tx pgx.Tx }

type documentRepo struct{ tx pgx.Tx }

const storedFileColumns = `id, org_id, property_id, storage_key, file_name, content_type, size_bytes, sha256, uploaded_by, created_at`

// The new image goes after the property's last; the caller holds the
// property's row lock, so two uploads never compute the same position.
const sqlImageInsert = `INSERT INTO property.property_images (id, org_id, property_id, storage_key, file_name,
	content_type, size_bytes, sha256, uploaded_by, created_at, caption, position)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, COALESCE(MAX(position) + 1, 0)
FROM property.property_images WHERE property_id = $3
RETURNING position`

const sqlImageGet = `SELECT ` + storedFileColumns + `, caption, position FROM property.property_images
WHERE id = $1 AND property_id = $2`

const sqlImageDelete = `DELETE FROM property.property_images WHERE id = $1 AND property_id = $2`

const sqlImageList = `SELECT ` + storedFileColumns + `, caption, position FROM property.property_images
WHERE property_id = $1 AND ($2::int IS NULL OR (position, id) > ($2, $3::uuid))
ORDER BY position, id LIMIT $4`

const sqlDocumentInsert = `INSERT INTO property.property_documents (id, org_id, property_id, storage_key, file_name,
	content_type, size_bytes, sha256, uploaded_by, created_at, title)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

const sqlDocumentGet = `SELECT ` + storedFileColumns + `, title FROM property.property_documents
WHERE id = $1 AND property_id = $2`

const sqlDocumentDelete = `DELETE FROM property.property_documents WHERE id = $1 AND property_id = $2`

const sqlDocumentList = `SELECT ` + storedFileColumns + `, title FROM property.property_documents
WHERE property_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
ORDER BY created_at DESC, id DESC LIMIT $4`

func storedFileArgs(f domain.StoredFile) []any {
	return []any{f.ID, f.OrgID, f.PropertyID, f.StorageKey, f.FileName, f.ContentType, f.SizeBytes, f.SHA256, f.UploadedBy, f.CreatedAt}
}

func storedFileDest(f *domain.StoredFile) []any {
	return []any{&f.ID, &f.OrgID, &f.PropertyID, &f.StorageKey, &f.FileName, &f.ContentType, &f.SizeBytes, &f.SHA256, &f.UploadedBy, &f.CreatedAt}
}

func (r imageRepo) Create(ctx context.Context, img domain.PropertyImage) (domain.PropertyImage, error) {
	err := r.tx.QueryRow(ctx, sqlImageInsert, append(storedFileArgs(img.StoredFile), img.Caption)...).Scan(&img.Position)
	if _, ok := postgres.IsForeignKeyViolation(err); ok {
		return img, domain.ErrPropertyNotFound()
	}
	if err != nil {
		return img, fmt.Errorf("insert property image: %w", err)
	}
	return img, nil
}

func (r imageRepo) Get(ctx context.Context, propertyID, id string) (domain.PropertyImage, error) {
	var img domain.PropertyImage
	err := r.tx.QueryRow(ctx, sqlImageGet, id, propertyID).Scan(append(storedFileDest(&img.StoredFile), &img.Caption, &img.Position)...)
	if postgres.IsNoRows(err) {
		return img, domain.ErrImageNotFound()
	}
	if err != nil {
		return img, fmt.Errorf("get property image: %w", err)
	}
	img.CreatedAt = img.CreatedAt.UTC()
	return img, nil
}

func (r imageRepo) Delete(ctx context.Context, propertyID, id string) error {
	return deleteRow(ctx, r.tx, sqlImageDelete, id, propertyID, domain.ErrImageNotFound)
}

func (r imageRepo) List(ctx context.Context, propertyID string, limit int, cursorText string) (app.Page[domain.PropertyImage], error) {
	page, err := imageKeyset.Page(cursorText, limit)
	if err != nil {
		return app.Page[domain.PropertyImage]{}, err
	}
	return listFiles(ctx, r.tx, page, sqlImageList, propertyID,
		func(row pgx.CollectableRow) (domain.PropertyImage, error) {
			var img domain.PropertyImage
			err := row.Scan(append(storedFileDest(&img.StoredFile), &img.Caption, &img.Position)...)
			img.CreatedAt = img.CreatedAt.UTC()
			return img, err
		},
		func(img domain.PropertyImage) (any, string) { return img.Position, img.ID })
}

func (r documentRepo) Create(ctx context.Context, doc domain.PropertyDocument) error {
	_, err := r.tx.Exec(ctx, sqlDocumentInsert, append(storedFileArgs(doc.StoredFile), doc.Title)...)
	if _, ok := postgres.IsForeignKeyViolation(err); ok {
		return domain.ErrPropertyNotFound()
	}
	if err != nil {
		return fmt.Errorf("insert property document: %w", err)
	}
	return nil
}

func (r documentRepo) Get(ctx context.Context, propertyID, id string) (domain.PropertyDocument, error) {
	var doc domain.PropertyDocument
	err := r.tx.QueryRow(ctx, sqlDocumentGet, id, propertyID).Scan(append(storedFileDest(&doc.StoredFile), &doc.Title)...)
	if postgres.IsNoRows(err) {
		return doc, domain.ErrDocumentNotFound()
	}
	if err != nil {
		return doc, fmt.Errorf("get property document: %w", err)
	}
	doc.CreatedAt = doc.CreatedAt.UTC()
	return doc, nil
}

func (r documentRepo) Delete(ctx context.Context, propertyID, id string) error {
	return deleteRow(ctx, r.tx, sqlDocumentDelete, id, propertyID, domain.ErrDocumentNotFound)
}

func (r documentRepo) List(ctx context.Context, propertyID string, limit int, cursorText string) (app.Page[domain.PropertyDocument], error) {
	page, err := documentKeyset.Page(cursorText, limit)
	if err != nil {
		return app.Page[domain.PropertyDocument]{}, err
	}
	return listFiles(ctx, r.tx, page, sqlDocumentList, propertyID,
		func(row pgx.CollectableRow) (domain.PropertyDocument, error) {
			var doc domain.PropertyDocument
			err := row.Scan(append(storedFileDest(&doc.StoredFile), &doc.Title)...)
			doc.CreatedAt = doc.CreatedAt.UTC()
			return doc, err
		},
		func(doc domain.PropertyDocument) (any, string) { return doc.CreatedAt, doc.ID })
}

func deleteRow(ctx context.Context, tx pgx.Tx, query, id, propertyID string, notFound func() error) error {
	tag, err := tx.Exec(ctx, query, id, propertyID)
	if err != nil {
		return fmt.Errorf("delete property file: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return notFound()
	}
	return nil
}

// The orders of a property's files: images by position, documents newest
// first.
var (
	imageKeyset    = postgres.Keyset{Sort: "position", Kind: postgres.Integer}
	documentKeyset = postgres.Keyset{Sort: "documents", Kind: postgres.Timestamptz}
)

// listFiles reads one page of a property's files: query binds the
// property, the page's position and the rows to read.
func listFiles[T any](ctx context.Context, tx pgx.Tx, page postgres.Page, query, propertyID string,
	scan func(pgx.CollectableRow) (T, error), key func(T) (any, string)) (app.Page[T], error) {
	after, afterID, fetch := page.Args()
	rows, err := tx.Query(ctx, query, propertyID, after, afterID, fetch)
	if err != nil {
		return app.Page[T]{}, fmt.Errorf("list property files: %w", err)
	}
	out, err := collectPage(page, rows, scan, key)
	if err != nil {
		return app.Page[T]{}, fmt.Errorf("list property files: %w", err)
	}
	return out, nil
}
