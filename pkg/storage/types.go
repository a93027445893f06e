package storage

import (
	"mime"
	"slices"
)

// Media types as the upload intake sniffs them (mimetype's names, without
// parameters).
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
	TypeGIF  = "image/gif"
	TypePDF  = "application/pdf"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypeText = "text/plain"
	TypeCSV  = "text/csv"
)

// ImageTypes are the raster images browsers display: the allow-list for
// photos. SVG is left out on purpose: it is a document that can run script.
func ImageTypes() []string { return []string{TypeJPEG, TypePNG, TypeWebP, TypeGIF} }

// DocumentTypes are the allow-list for documents: PDF, Word and Excel in
// their XML formats (the legacy binary formats carry macros), plain text and
// CSV, and JPEG and PNG for scans and photographed paperwork.
func DocumentTypes() []string {
	return []string{TypePDF, TypeDOCX, TypeXLSX, TypeText, TypeCSV, TypeJPEG, TypePNG}
}

// IsInlineType reports whether a stored content type is served inline (the
// raster images of ImageTypes); everything else is an attachment.
func IsInlineType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && slices.Contains(ImageTypes(), mt)
}
