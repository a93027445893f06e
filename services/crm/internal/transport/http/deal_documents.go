package http

import (
	"context"
	"net/http"
	"time"

	"reos.dev/pkg/httpx"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/app"
)

func (h *handlers) addDealDocument() http.Handler {
	return httpx.Endpoint(h.log, decodeIDUpload, func(ctx context.Context, req withID[*storage.Upload]) (dealDocumentJSON, error) {
		d, err := h.svc.AddDealDocument(ctx, req.ID, req.Body)
		return dealDocumentOut(d), err
	}, http.StatusCreated)
}

func (h *handlers) listDealDocuments() http.Handler {
	return httpx.Endpoint(h.log, decodeIDPage, func(ctx context.Context, req withID[app.PageRequest]) (httpx.List[dealDocumentJSON], error) {
		p, err := h.svc.ListDealDocuments(ctx, req.ID, req.Body)
		return listOut(p, dealDocumentOut), err
	}, http.StatusOK)
}

// dealDocumentJSON is a deal document with its expiring download link, in
// the shape every service shows a stored file (storage.SignedFile).
type dealDocumentJSON struct {
	ID         string    `json:"id"`
	DealID     string    `json:"deal_id"`
	Title      string    `json:"title"`
	UploadedBy *string   `json:"uploaded_by"`
	CreatedAt  time.Time `json:"created_at"`
	storage.SignedFile
}

func dealDocumentOut(d app.DealDocument) dealDocumentJSON {
	return dealDocumentJSON{ID: d.ID, DealID: d.DealID, Title: d.Title, UploadedBy: d.UploadedBy, CreatedAt: d.CreatedAt.UTC(),
		SignedFile: storage.SignedFile{FileName: d.FileName, ContentType: d.ContentType, SizeBytes: d.SizeBytes, SHA256: d.SHA256,
			SignedURL: storage.SignedURL{URL: d.URL, ExpiresAt: d.URLExpiresAt.UTC()}}}
}
