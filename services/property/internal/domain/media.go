package domain

import (
	"time"

	"reos.dev/pkg/apperr"
)

// StoredFile is what a property's images and documents share: the file in
// the file store (pkg/storage) under StorageKey, as the intake measured and
// typed it (the content type is sniffed from the bytes, never the client's
// claim), and who sent it.
type StoredFile struct {
	ID          string
	OrgID       string
	PropertyID  string
	StorageKey  string
	FileName    string // the client's name, sanitised
	ContentType string
	SizeBytes   int64
	SHA256      string // lower-case hex
	UploadedBy  *string
	CreatedAt   time.Time
}

// PropertyImage is a photo of a property. Position orders a property's
// images: each new one goes last.
type PropertyImage struct {
	StoredFile
	Caption  *string
	Position int
}

// PropertyDocument is a file about a property (contract, disclosure,
// inspection report, floor plan).
type PropertyDocument struct {
	StoredFile
	Title *string
}

// Text limits of images and documents.
const (
	maxCaptionChars = 500
	maxTitleChars   = 200
)

// Form fields of the uploads besides the file.
const (
	FieldCaption = "caption"
	FieldTitle   = "title"
)

// ImageKey is where an image's bytes are stored: under its organisation and
// property, so a store can be listed or purged per tenant.
func ImageKey(orgID, propertyID, imageID string) string {
	return orgID + "/properties/" + propertyID + "/images/" + imageID
}

// DocumentKey is ImageKey for documents.
func DocumentKey(orgID, propertyID, documentID string) string {
	return orgID + "/properties/" + propertyID + "/documents/" + documentID
}

// ParseCaption reads an image's optional caption from the upload's form
// fields: trimmed, no control characters, at most 500 characters; blank is none.
func ParseCaption(fields map[string]string) (*string, error) {
	return optionalField(fields, FieldCaption, maxCaptionChars)
}

// ParseTitle reads a document's optional title (at most 200 characters).
func ParseTitle(fields map[string]string) (*string, error) {
	return optionalField(fields, FieldTitle, maxTitleChars)
}

func optionalField(fields map[string]string, name string, maxChars int) (*string, error) {
	v, ok := fields[name]
	if !ok {
		return nil, nil
	}
	var errs fieldErrors
	p := &v
	optText(&p, name, maxChars, false, &errs)
	return p, errs.err()
}

// Reasons of the media errors.
const (
	ReasonImageNotFound    = "image_not_found"
	ReasonDocumentNotFound = "document_not_found"
)

// ErrImageNotFound answers for an image that does not exist, belongs to
// another property or to another organisation.
func ErrImageNotFound() error { return apperr.NotFound(ReasonImageNotFound, "no such image") }

// ErrDocumentNotFound is ErrImageNotFound for documents.
func ErrDocumentNotFound() error {
	return apperr.NotFound(ReasonDocumentNotFound, "no such document")
}
