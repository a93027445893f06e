package app

import (
	"context"
	"errors"
	"time"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/storage"
	"reos.dev/services/property/internal/domain"
)

// Default limits of images and documents (IMAGE_MAX_BYTES, DOCUMENT_MAX_BYTES).
const (
	DefaultImageMaxBytes    = 10 << 20
	DefaultDocumentMaxBytes = 25 << 20
	DefaultFileURLTTL       = 15 * time.Minute
)

// Media events (topic reos.property.events, key = the property id: images
// and documents are part of the property, so their events keep their order
// with the property's own). property.updated is not used: no property field
// changed, and consumers of property fields should not wake for a photo.
const (
	EventImageAdded      = "reos.property.image.added"
	EventImageRemoved    = "reos.property.image.removed"
	EventDocumentAdded   = "reos.property.document.added"
	EventDocumentRemoved = "reos.property.document.removed"
)

// MediaConfig is where images and documents go and how big they may be.
// Files and Signer are required; zero limits take the defaults.
type MediaConfig struct {
	Files            storage.Store
	Signer           *storage.Signer
	URLTTL           time.Duration
	ImageMaxBytes    int64
	DocumentMaxBytes int64
}

func (c MediaConfig) withDefaults() (MediaConfig, error) {
	var errs []error
	if c.Files == nil {
		errs = append(errs, errors.New("nil Media.Files"))
	}
	if c.Signer == nil {
		errs = append(errs, errors.New("nil Media.Signer"))
	}
	if c.URLTTL <= 0 {
		c.URLTTL = DefaultFileURLTTL
	}
	if c.ImageMaxBytes <= 0 {
		c.ImageMaxBytes = DefaultImageMaxBytes
	}
	if c.DocumentMaxBytes <= 0 {
		c.DocumentMaxBytes = DefaultDocumentMaxBytes
	}
	return c, errors.Join(errs...)
}

// Upload is a file arriving in a request body, not yet read
// (*storage.Upload): the use case reads it only after checking the caller
// and the property, so a 403 or 404 costs no upload.
type Upload interface {
	Receive(ctx context.Context, store storage.Store, key string, rules storage.Rules) (storage.Received, error)
}

// Linked is a stored file with an expiring signed download link.
type Linked[T any] struct {
	Item T
	Link storage.SignedURL
}

// ImageRepository stores PropertyImage rows. Get and Delete return
// domain.ErrImageNotFound for an image that is missing, of another property
// or of another organisation.
type ImageRepository interface {
	// Create stores img last among its property's images and returns it
	// with its position. The caller holds the property's row lock.
	Create(ctx context.Context, img domain.PropertyImage) (domain.PropertyImage, error)
	Get(ctx context.Context, propertyID, id string) (domain.PropertyImage, error)
	Delete(ctx context.Context, propertyID, id string) error
	// List pages by position.
	List(ctx context.Context, propertyID string, limit int, cursor string) (Page[domain.PropertyImage], error)
}

// DocumentRepository stores PropertyDocument rows (as ImageRepository).
type DocumentRepository interface {
	Create(ctx context.Context, doc domain.PropertyDocument) error
	Get(ctx context.Context, propertyID, id string) (domain.PropertyDocument, error)
	Delete(ctx context.Context, propertyID, id string) error
	// List pages newest first.
	List(ctx context.Context, propertyID string, limit int, cursor string) (Page[domain.PropertyDocument], error)
}

type mediaEventData struct {
	PropertyID  string `json:"property_id"`
	OrgID       string `json:"org_id"`
	ImageID     string `json:"image_id,omitempty"`
	DocumentID  string `json:"document_id,omitempty"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	SizeBytes   int64  `json:"size_bytes"`
	SHA256      string `json:"sha256"`
	ActorID     string `json:"actor_id,omitempty"`
}

// fileKind is what differs between images and documents in the use cases.
type fileKind struct {
	idField        string // the path parameter of the file's id
	added, removed string // event types
	keyOf          func(orgID, propertyID, id string) string
	get            func(ctx context.Context, tx Tx, propertyID, id string) (domain.StoredFile, error)
	del            func(ctx context.Context, tx Tx, propertyID, id string) error
}

var (
	imageKind = fileKind{idField: "image_id", added: EventImageAdded, removed: EventImageRemoved, keyOf: domain.ImageKey,
		get: func(ctx context.Context, tx Tx, propertyID, id string) (domain.StoredFile, error) {
			img, err := tx.Images().Get(ctx, propertyID, id)
			return img.StoredFile, err
		},
		del: func(ctx context.Context, tx Tx, propertyID, id string) error {
			return tx.Images().Delete(ctx, propertyID, id)
		}}
	documentKind = fileKind{idField: "document_id", added: EventDocumentAdded, removed: EventDocumentRemoved, keyOf: domain.DocumentKey,
		get: func(ctx context.Context, tx Tx, propertyID, id string) (domain.StoredFile, error) {
			doc, err := tx.Documents().Get(ctx, propertyID, id)
			return doc.StoredFile, err
		},
		del: func(ctx context.Context, tx Tx, propertyID, id string) error {
			return tx.Documents().Delete(ctx, propertyID, id)
		}}
)

func (k fileKind) event(f domain.StoredFile, actor string) mediaEventData {
	ev := mediaEventData{PropertyID: f.PropertyID, OrgID: f.OrgID, FileName: f.FileName, ContentType: f.ContentType,
		SizeBytes: f.SizeBytes, SHA256: f.SHA256, ActorID: actor}
	if k.idField == "image_id" {
		ev.ImageID = f.ID
	} else {
		ev.DocumentID = f.ID
	}
	return ev
}

func (s *service) AddImage(ctx context.Context, propertyID string, up Upload) (Linked[domain.PropertyImage], error) {
	var img domain.PropertyImage
	var caption *string
	rules := storage.Rules{MaxBytes: s.media.ImageMaxBytes, Allow: storage.ImageTypes(), Fields: []string{domain.FieldCaption},
		Check: func(f map[string]string) (err error) { caption, err = domain.ParseCaption(f); return err }}
	err := s.addFile(ctx, imageKind, propertyID, up, rules, func(tx Tx, f domain.StoredFile) (err error) {
		img, err = tx.Images().Create(ctx, domain.PropertyImage{StoredFile: f, Caption: caption})
		return err
	})
	if err != nil {
		return Linked[domain.PropertyImage]{}, err
	}
	return link(s, img, img.StorageKey)
}

func (s *service) AddDocument(ctx context.Context, propertyID string, up Upload) (Linked[domain.PropertyDocument], error) {
	var doc domain.PropertyDocument
	var title *string
	rules := storage.Rules{MaxBytes: s.media.DocumentMaxBytes, Allow: storage.DocumentTypes(), Fields: []string{domain.FieldTitle},
		Check: func(f map[string]string) (err error) { title, err = domain.ParseTitle(f); return err }}
	err := s.addFile(ctx, documentKind, propertyID, up, rules, func(tx Tx, f domain.StoredFile) error {
		doc = domain.PropertyDocument{StoredFile: f, Title: title}
		return tx.Documents().Create(ctx, doc)
	})
	if err != nil {
		return Linked[domain.PropertyDocument]{}, err
	}
	return link(s, doc, doc.StorageKey)
}

// addFile is the upload use case images and documents share:
//  1. the caller needs properties:write, then the property must exist in
//     the caller's organisation (404 otherwise);
//  2. the body is streamed into the file store (type and size checked);
//  3. the row and its event are recorded with the property locked (so
//     positions never collide); if that fails the stored file is removed.
func (s *service) addFile(ctx context.Context, kind fileKind, propertyID string, up Upload, rules storage.Rules,
	insert func(tx Tx, f domain.StoredFile) error) error {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return err
	}
	if err := parseID("id", propertyID); err != nil {
		return err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		_, err := tx.Properties().Get(ctx, propertyID)
		return err
	})
	if err != nil {
		return err
	}
	id := newID()
	key := kind.keyOf(p.OrgID, propertyID, id)
	got, err := up.Receive(ctx, s.media.Files, key, rules)
	if err != nil {
		return err
	}
	actor := actorID(p)
	f := domain.StoredFile{ID: id, OrgID: p.OrgID, PropertyID: propertyID, StorageKey: key, FileName: got.FileName,
		ContentType: got.Object.ContentType, SizeBytes: got.Object.Size, SHA256: got.Object.SHA256, CreatedAt: s.now()}
	if actor != "" {
		f.UploadedBy = &actor
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Properties().GetForUpdate(ctx, propertyID); err != nil {
			return err
		}
		if err := insert(tx, f); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, kind.added, propertyID, p.OrgID, kind.event(f, actor))
	})
	if err != nil {
		s.removeFile(ctx, key)
	}
	return err
}

// removeFile deletes a stored file whose row is gone (or never came). A
// failure leaves an unreferenced file, which no link can reach; it is
// logged for cleanup.
func (s *service) removeFile(ctx context.Context, key string) {
	if err := s.media.Files.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.log.WarnContext(ctx, "stored file left without a row", "key", key, "error", err)
	}
}

func link[T any](s *service, item T, key string) (Linked[T], error) {
	u, err := s.media.Signer.URL(key, s.now().Add(s.media.URLTTL))
	if err != nil {
		return Linked[T]{}, err
	}
	return Linked[T]{Item: item, Link: u}, nil
}

func linkPage[T any](s *service, page Page[T], key func(T) string) (Page[Linked[T]], error) {
	out := Page[Linked[T]]{Items: make([]Linked[T], 0, len(page.Items)), Next: page.Next}
	for _, it := range page.Items {
		l, err := link(s, it, key(it))
		if err != nil {
			return Page[Linked[T]]{}, err
		}
		out.Items = append(out.Items, l)
	}
	return out, nil
}

func (s *service) ListImages(ctx context.Context, propertyID string, limit int, cursor string) (Page[Linked[domain.PropertyImage]], error) {
	var page Page[domain.PropertyImage]
	err := s.readFiles(ctx, propertyID, func(tx Tx) (err error) {
		page, err = tx.Images().List(ctx, propertyID, limit, cursor)
		return err
	})
	if err != nil {
		return Page[Linked[domain.PropertyImage]]{}, err
	}
	return linkPage(s, page, func(i domain.PropertyImage) string { return i.StorageKey })
}

func (s *service) ListDocuments(ctx context.Context, propertyID string, limit int, cursor string) (Page[Linked[domain.PropertyDocument]], error) {
	var page Page[domain.PropertyDocument]
	err := s.readFiles(ctx, propertyID, func(tx Tx) (err error) {
		page, err = tx.Documents().List(ctx, propertyID, limit, cursor)
		return err
	})
	if err != nil {
		return Page[Linked[domain.PropertyDocument]]{}, err
	}
	return linkPage(s, page, func(d domain.PropertyDocument) string { return d.StorageKey })
}

// readFiles runs read in the caller's organisation once the property is
// known to be there.
func (s *service) readFiles(ctx context.Context, propertyID string, read func(Tx) error) error {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return err
	}
	if err := parseID("id", propertyID); err != nil {
		return err
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Properties().Get(ctx, propertyID); err != nil {
			return err
		}
		return read(tx)
	})
}

func (s *service) DeleteImage(ctx context.Context, propertyID, imageID string) error {
	return s.deleteFile(ctx, imageKind, propertyID, imageID)
}

func (s *service) DeleteDocument(ctx context.Context, propertyID, documentID string) error {
	return s.deleteFile(ctx, documentKind, propertyID, documentID)
}

// deleteFile removes a row with its event, then (once committed) the bytes:
// a file is never gone while a row still points at it.
func (s *service) deleteFile(ctx context.Context, kind fileKind, propertyID, id string) error {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return err
	}
	if err := parseID("id", propertyID); err != nil {
		return err
	}
	if err := parseID(kind.idField, id); err != nil {
		return err
	}
	var f domain.StoredFile
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Properties().GetForUpdate(ctx, propertyID); err != nil {
			return err
		}
		if f, err = kind.get(ctx, tx, propertyID, id); err != nil {
			return err
		}
		if err := kind.del(ctx, tx, propertyID, id); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, kind.removed, propertyID, p.OrgID, kind.event(f, actorID(p)))
	})
	if err != nil {
		return err
	}
	s.removeFile(ctx, f.StorageKey)
	return nil
}
