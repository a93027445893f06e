package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/storage"
)

// cutBody delivers data, then fails every read with err, as a server
// request's body does when the client's connection breaks.
type cutBody struct {
	data  *bytes.Reader
	err   error
	after func() // runs once when data is used up (cancels a context)
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.data.Len() > 0 {
		return c.data.Read(p)
	}
	if c.after != nil {
		c.after()
		c.after = nil
	}
	return 0, c.err
}

// cutRequest is a multipart upload of parts whose body fails with err
// after its first n bytes; the declared length is the whole body's.
func cutRequest(t *testing.T, n int, err error, parts ...part) *http.Request {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	if n < 0 {
		n += len(body)
	}
	r := httptest.NewRequest(http.MethodPost, "/", &cutBody{data: bytes.NewReader(body[:n]), err: err})
	r.Header.Set("Content-Type", ct)
	r.ContentLength = int64(len(body))
	return r
}

func expectInterrupted(t *testing.T, err, cause error, what string) {
	t.Helper()
	expectProblem(t, err, apperr.KindBadRequest, "file", what)
	if e, _ := apperr.As(err); e.Reason != storage.ReasonInterrupted {
		t.Fatalf("%s: reason %q, want %q", what, e.Reason, storage.ReasonInterrupted)
	}
	if p := httpx.ProblemFor(err); p.Status != http.StatusBadRequest {
		t.Fatalf("%s: answered %d, want 400", what, p.Status)
	}
	if !errors.Is(err, cause) {
		t.Fatalf("%s: %v does not wrap the cause %v", what, err, cause)
	}
}

// TestReceiveClientAbort: a body that fails half-way, wherever it fails,
// is the client's doing: a 400 naming the file, never a 500, and no file
// or temporary file is left.
func TestReceiveClientAbort(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	png := append(pngBytes(t), make([]byte, 64<<10)...)
	file := filePart("file", "a.png", "image/png", png)
	caption := textPart("caption", "Front view of the house")
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name  string
		n     int // bytes delivered; negative counts from the end
		cause error
		parts []part
	}{
		{"cut inside the file", 20 << 10, io.ErrUnexpectedEOF, []part{file}},
		{"reset inside the file", 20 << 10, reset, []part{file}},
		{"stalled past the read deadline", 20 << 10, os.ErrDeadlineExceeded, []part{file}},
		{"cut inside the sniffed head", 300, io.ErrUnexpectedEOF, []part{file}},
		{"cut inside a text field", 150, io.ErrUnexpectedEOF, []part{caption, file}},
		{"cut in the closing boundary", -10, io.ErrUnexpectedEOF, []part{caption, file}},
		{"nothing sent", 0, reset, []part{file}},
	}
	for i, tc := range tests {
		key := "o/cut/" + string(rune('a'+i))
		_, err := receive(t, d, cutRequest(t, tc.n, tc.cause, tc.parts...), key, imageRules)
		expectInterrupted(t, err, tc.cause, tc.name)
		if _, _, err := d.Open(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: the partial file was kept", tc.name)
		}
	}
	assertNoTempFiles(t, dir)
}

// TestReceiveCancelledRequest: the request's context ending mid-upload
// (the client gone) is an interruption too, not a 500.
func TestReceiveCancelledRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	body, ct := multipartBody(t, filePart("file", "a.png", "image/png", append(pngBytes(t), make([]byte, 64<<10)...)))
	// The body itself never fails: the context ends after 20 KiB and the
	// store notices before reading on.
	r := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(
		&cutBody{data: bytes.NewReader(body[:20<<10]), err: io.EOF, after: cancel},
		bytes.NewReader(body[20<<10:])))
	r.Header.Set("Content-Type", ct)
	_, err = storage.NewUpload(r).Receive(ctx, d, "o/cancelled", imageRules)
	expectInterrupted(t, err, context.Canceled, "cancelled request")
	if _, _, err := d.Open(t.Context(), "o/cancelled"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("the partial file was kept")
	}
	assertNoTempFiles(t, dir)
}

// failingStore reads the whole upload, then fails as a full disk would.
type failingStore struct{ storage.Store }

var errDiskFull = errors.New("no space left on device")

func (failingStore) Put(_ context.Context, _ string, r io.Reader, _ storage.ObjectMeta) (storage.Object, error) {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return storage.Object{}, err
	}
	return storage.Object{}, errDiskFull
}

// TestReceiveStoreFailureIsNotAnInterruption: with the body intact, a
// failing store is still the server's fault (a 500), and a body that is
// complete but malformed stays a plain bad request.
func TestReceiveStoreFailureIsNotAnInterruption(t *testing.T) {
	t.Parallel()
	d := newDisk(t)
	_, err := receive(t, failingStore{d}, uploadRequest(t, filePart("file", "a.png", "image/png", pngBytes(t))), "o/full", imageRules)
	if !errors.Is(err, errDiskFull) || httpx.ProblemFor(err).Status != http.StatusInternalServerError {
		t.Fatalf("store failure = %v (%d), want the store's error as a 500", err, httpx.ProblemFor(err).Status)
	}

	body, ct := multipartBody(t, filePart("file", "a.png", "image/png", append(pngBytes(t), make([]byte, 20000)...)))
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body[:len(body)-5000]))
	r.Header.Set("Content-Type", ct)
	_, err = receive(t, d, r, "o/short", imageRules)
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindBadRequest || e.Reason == storage.ReasonInterrupted {
		t.Fatalf("complete but truncated form = %v, want a bad request that is not an interruption", err)
	}
}
