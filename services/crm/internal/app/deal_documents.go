package app

import (
	"context"
	"time"

	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/domain"
)

// DealDocument is a deal's document with a download link that works
// without a token until URLExpiresAt.
type DealDocument struct {
	domain.DealDocument
	URL          string
	URLExpiresAt time.Time
}

// documentFieldTitle is the upload's optional text field.
const documentFieldTitle = "title"

// AddDealDocument stores an uploaded file (multipart: optional title, then
// file) as a document of the deal. The deal is looked up first, so another
// organisation's deal, or one whose lead the caller may not see, is a 404
// before a byte of the file is read; the file's type is sniffed from its
// bytes against storage.DocumentTypes (415 naming file), its size bounded
// by Config.Uploads.DocumentMaxBytes (413).
func (s *service) AddDealDocument(ctx context.Context, dealID string, up FileUpload) (DealDocument, error) {
	p, err := requireOn(ctx, PermDealsWrite, dealID, domain.ReasonDealNotFound, "deal")
	if err != nil {
		return DealDocument{}, err
	}
	if err := s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		_, err := visibleDeal(ctx, tx, p, dealID, false)
		return err
	}); err != nil {
		return DealDocument{}, err
	}
	doc := domain.DealDocument{ID: newID(), DealID: dealID, UploadedBy: actorID(p)}
	doc.FileKey = p.OrgID + "/deals/" + dealID + "/documents/" + doc.ID
	var title string
	rec, err := up.Receive(ctx, s.files, doc.FileKey, storage.Rules{
		MaxBytes: s.cfg.Uploads.DocumentMaxBytes, Allow: storage.DocumentTypes(), Fields: []string{documentFieldTitle},
		Check: func(fields map[string]string) error {
			var f domain.FieldErrors
			title = fields[documentFieldTitle]
			domain.DocumentTitle(title, "x", &f)
			return f.Err()
		},
	})
	if err != nil {
		return DealDocument{}, err
	}
	var f domain.FieldErrors
	doc.Title = domain.DocumentTitle(title, rec.FileName, &f)
	doc.FileName, doc.ContentType, doc.SizeBytes, doc.SHA256 = rec.FileName, rec.Object.ContentType, rec.Object.Size, rec.Object.SHA256
	doc.CreatedAt = s.now()
	err = f.Err()
	if err == nil {
		err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
			if err := tx.Documents().Create(ctx, p.OrgID, doc); err != nil {
				return err
			}
			return s.emit(ctx, tx, p, EventDealDocumentAdded, dealID, documentEvent(doc))
		})
	}
	if err != nil {
		s.dropFile(ctx, doc.FileKey)
		return DealDocument{}, err
	}
	return s.withLink(doc)
}

func (s *service) ListDealDocuments(ctx context.Context, dealID string, pr PageRequest) (Page[DealDocument], error) {
	p, err := requireOn(ctx, PermDealsRead, dealID, domain.ReasonDealNotFound, "deal")
	if err != nil {
		return Page[DealDocument]{}, err
	}
	var page Page[domain.DealDocument]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := visibleDeal(ctx, tx, p, dealID, false); err != nil {
			return err
		}
		page, err = tx.Documents().List(ctx, dealID, pr)
		return err
	})
	if err != nil {
		return Page[DealDocument]{}, err
	}
	out := Page[DealDocument]{Items: make([]DealDocument, len(page.Items)), Next: page.Next}
	for i, d := range page.Items {
		if out.Items[i], err = s.withLink(d); err != nil {
			return Page[DealDocument]{}, err
		}
	}
	return out, nil
}

// withLink signs a download link for the document, valid for
// Config.Uploads.LinkTTL.
func (s *service) withLink(d domain.DealDocument) (DealDocument, error) {
	u, err := s.links.URL(d.FileKey, s.clock.Now().Add(s.cfg.Uploads.LinkTTL))
	if err != nil {
		return DealDocument{}, err
	}
	return DealDocument{DealDocument: d, URL: u.URL, URLExpiresAt: u.ExpiresAt}, nil
}

type documentEventData struct {
	DocumentID  string  `json:"document_id"`
	DealID      string  `json:"deal_id"`
	Title       string  `json:"title"`
	ContentType string  `json:"content_type"`
	SizeBytes   int64   `json:"size_bytes"`
	UploadedBy  *string `json:"uploaded_by"`
}

func documentEvent(d domain.DealDocument) documentEventData {
	return documentEventData{DocumentID: d.ID, DealID: d.DealID, Title: d.Title, ContentType: d.ContentType,
		SizeBytes: d.SizeBytes, UploadedBy: d.UploadedBy}
}
