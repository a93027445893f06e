package storage

import (
	"context"
	"io"
	"time"

	"reos.dev/pkg/apperr"
)

// Store keeps objects by key. It is shaped like S3 (the later MinIO/S3
// adapter implements it as PutObject with If-None-Match, GetObject and
// DeleteObject) so services never depend on the local disk.
type Store interface {
	// Put stores the bytes of r under key, computing size and SHA-256 as it
	// writes. Objects are written once: a key that exists is ErrExists. If r
	// fails, nothing is stored and r's error is returned wrapped (errors.Is
	// and apperr.As see it).
	Put(ctx context.Context, key string, r io.Reader, meta ObjectMeta) (Object, error)
	// Open returns the object's bytes and its metadata; ErrNotFound when the
	// key holds nothing. The reader is an io.ReadSeeker when the store can
	// seek (the disk store can), which lets downloads serve ranges.
	Open(ctx context.Context, key string) (io.ReadCloser, Object, error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// ObjectMeta is what the caller tells Put about an object.
type ObjectMeta struct {
	// ContentType is the media type the object is served with (sniffed by
	// the upload intake, never the client's claim).
	ContentType string `json:"content_type"`
	// FileName is the sanitised name offered in Content-Disposition.
	FileName string `json:"file_name,omitempty"`
}

// Object describes a stored object.
type Object struct {
	Key         string    `json:"key"`
	ContentType string    `json:"content_type"`
	FileName    string    `json:"file_name,omitempty"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"` // lower-case hex
	Created     time.Time `json:"created"`
}

// Errors of a Store. Match them with errors.Is.
var (
	ErrNotFound error = apperr.NotFound("file_not_found", "no such file")
	ErrExists   error = apperr.Conflict("file_exists", "a file is already stored under this key")
)
