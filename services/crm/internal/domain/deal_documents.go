package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// DealDocument is a file attached to a deal (a contract, a disclosure, an
// inspection report). The bytes live in file storage under FileKey; the
// type is what the upload's content sniffed as, never the client's claim.
type DealDocument struct {
	ID          string
	DealID      string
	Title       string
	FileKey     string
	FileName    string
	ContentType string
	SizeBytes   int64
	SHA256      string
	UploadedBy  *string
	CreatedAt   time.Time
}

// MaxDocumentTitle bounds a document's title.
const MaxDocumentTitle = 200

// DocumentTitle returns the title of a document: the one given, trimmed,
// else the file's name; a bad title is recorded in f.
func DocumentTitle(given, fileName string, f *FieldErrors) string {
	t := strings.TrimSpace(given)
	if t == "" {
		t = fileName
	}
	if utf8.RuneCountInString(t) > MaxDocumentTitle {
		if strings.TrimSpace(given) == "" {
			return string([]rune(t)[:MaxDocumentTitle]) // a long file name is shortened, not refused
		}
		f.Add("title", "must be at most 200 characters")
	}
	checkText("title", t, f)
	return t
}
