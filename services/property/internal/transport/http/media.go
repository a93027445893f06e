package http

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/httpx"
	"reos.dev/pkg/storage"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// uploadRequest carries the request body unread: the service checks the
// caller and the property before a byte of the file is read.
type uploadRequest struct {
	ID     string
	Upload *storage.Upload
}

func decodeUpload(_ context.Context, r *http.Request) (uploadRequest, error) {
	if err := onlyParams(r.URL.Query()); err != nil {
		return uploadRequest{}, err
	}
	return uploadRequest{ID: mux.Vars(r)["id"], Upload: storage.NewUpload(r)}, nil
}

type fileRequest struct{ PropertyID, FileID string }

func decodeFileID(param string) func(context.Context, *http.Request) (fileRequest, error) {
	return func(_ context.Context, r *http.Request) (fileRequest, error) {
		v := mux.Vars(r)
		return fileRequest{PropertyID: v["id"], FileID: v[param]}, nil
	}
}

// fileDTO is what images and documents show of their stored file, in
// storage's shape (file facts, url — a path on the API's origin — and
// url_expires_at).
type fileDTO struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	PropertyID string    `json:"property_id"`
	UploadedBy *string   `json:"uploaded_by"`
	CreatedAt  time.Time `json:"created_at"`
	storage.SignedFile
}

func toFile(f domain.StoredFile, link storage.SignedURL) fileDTO {
	return fileDTO{ID: f.ID, OrgID: f.OrgID, PropertyID: f.PropertyID, UploadedBy: f.UploadedBy, CreatedAt: f.CreatedAt,
		SignedFile: storage.SignedFile{FileName: f.FileName, ContentType: f.ContentType, SizeBytes: f.SizeBytes, SHA256: f.SHA256, SignedURL: link}}
}

type imageDTO struct {
	fileDTO
	Caption  *string `json:"caption"`
	Position int     `json:"position"`
}

func toImage(l app.Linked[domain.PropertyImage]) imageDTO {
	return imageDTO{fileDTO: toFile(l.Item.StoredFile, l.Link), Caption: l.Item.Caption, Position: l.Item.Position}
}

type documentDTO struct {
	fileDTO
	Title *string `json:"title"`
}

func toDocument(l app.Linked[domain.PropertyDocument]) documentDTO {
	return documentDTO{fileDTO: toFile(l.Item.StoredFile, l.Link), Title: l.Item.Title}
}

func (h *handlers) addImage() http.Handler {
	return endpoint(h, decodeUpload, func(ctx context.Context, req uploadRequest) (imageDTO, error) {
		img, err := h.svc.AddImage(ctx, req.ID, req.Upload)
		return toImage(img), err
	}, http.StatusCreated)
}

func (h *handlers) listImages() http.Handler {
	return endpoint(h, decodePageOf, func(ctx context.Context, req pageRequest) (httpx.List[imageDTO], error) {
		page, err := h.svc.ListImages(ctx, req.ID, req.Limit, req.Cursor)
		return httpx.NewList(mapItems(page.Items, toImage), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) deleteImage() http.Handler {
	return endpoint(h, decodeFileID("image_id"), func(ctx context.Context, req fileRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteImage(ctx, req.PropertyID, req.FileID)
	}, http.StatusNoContent)
}

func (h *handlers) addDocument() http.Handler {
	return endpoint(h, decodeUpload, func(ctx context.Context, req uploadRequest) (documentDTO, error) {
		doc, err := h.svc.AddDocument(ctx, req.ID, req.Upload)
		return toDocument(doc), err
	}, http.StatusCreated)
}

func (h *handlers) listDocuments() http.Handler {
	return endpoint(h, decodePageOf, func(ctx context.Context, req pageRequest) (httpx.List[documentDTO], error) {
		page, err := h.svc.ListDocuments(ctx, req.ID, req.Limit, req.Cursor)
		return httpx.NewList(mapItems(page.Items, toDocument), page.Next), err
	}, http.StatusOK)
}

func (h *handlers) deleteDocument() http.Handler {
	return endpoint(h, decodeFileID("document_id"), func(ctx context.Context, req fileRequest) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.DeleteDocument(ctx, req.PropertyID, req.FileID)
	}, http.StatusNoContent)
}
