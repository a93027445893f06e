package storage_test

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"runtime"
	"strings"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/storage"
)

var imageRules = storage.Rules{MaxBytes: 1 << 20, Allow: storage.ImageTypes(), Fields: []string{"caption"}}

func receive(t *testing.T, d storage.Store, r *http.Request, key string, rules storage.Rules) (storage.Received, error) {
	t.Helper()
	return storage.NewUpload(r).Receive(t.Context(), d, key, rules)
}

// expectProblem asserts err is an apperr of kind naming field.
func expectProblem(t *testing.T, err error, kind apperr.Kind, field, what string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind {
		t.Fatalf("%s: err = %v, want kind %v", what, err, kind)
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("%s: %v does not name %q", what, err, field)
}

func TestReceiveStoresSniffedFiles(t *testing.T) {
	t.Parallel()
	d := newDisk(t)
	docRules := storage.Rules{MaxBytes: 1 << 20, Allow: storage.DocumentTypes(), Fields: []string{"title"}}
	tests := []struct {
		name, fileName, claimed string
		data                    []byte
		rules                   storage.Rules
		wantType, wantName      string
	}{
		{"png", "front.png", "image/png", pngBytes(t), imageRules, "image/png", "front.png"},
		{"jpeg claimed as octet-stream", "IMG_0001.JPG", "application/octet-stream", jpegBytes(t), imageRules, "image/jpeg", "IMG_0001.JPG"},
		{"gif", "a.gif", "image/gif", gifBytes(t), imageRules, "image/gif", "a.gif"},
		{"webp", "a.webp", "image/webp", webpBytes(), imageRules, "image/webp", "a.webp"},
		{"png named .txt", "notes.txt", "text/plain", pngBytes(t), imageRules, "image/png", "notes.txt"},
		{"no file name", "", "image/png", pngBytes(t), imageRules, "image/png", "file.png"},
		{"path in file name", `C:\Users\me\..\secret/../photo.png`, "image/png", pngBytes(t), imageRules, "image/png", "photo.png"},
		{"pdf", "contract.pdf", "application/pdf", pdfBytes(), docRules, "application/pdf", "contract.pdf"},
		{"docx", "offer.docx", "application/msword", docxBytes(t), docRules, storage.TypeDOCX, "offer.docx"},
		{"text", "notes.txt", "text/plain", []byte("Roof replaced 2019.\nBoiler serviced.\n"), docRules, "text/plain; charset=utf-8", "notes.txt"},
	}
	for i, tc := range tests {
		key := "o/p/" + tc.name[:2] + string(rune('a'+i))
		r := uploadRequest(t, textPart(tc.rules.Fields[0], "Front view"), filePart("file", tc.fileName, tc.claimed, tc.data))
		got, err := receive(t, d, r, key, tc.rules)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.Object.ContentType != tc.wantType || got.FileName != tc.wantName || got.Object.Size != int64(len(tc.data)) ||
			got.Fields[tc.rules.Fields[0]] != "Front view" || got.Object.Key != key {
			t.Fatalf("%s: received %+v", tc.name, got)
		}
		rc, _, err := d.Open(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, tc.data) {
			t.Fatalf("%s: stored bytes differ", tc.name)
		}
	}
}

func TestReceiveRefusesDisguisedFiles(t *testing.T) {
	t.Parallel()
	d := newDisk(t)
	tests := []struct {
		name  string
		data  []byte
		rules storage.Rules
	}{
		{"exe named photo.jpg", exeBytes(), imageRules},
		{"html named photo.jpg", htmlBytes(), imageRules},
		{"svg as an image", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), imageRules},
		{"pdf as an image", pdfBytes(), imageRules},
		{"html as a text document", htmlBytes(), storage.Rules{MaxBytes: 1 << 20, Allow: storage.DocumentTypes()}},
		{"elf as a document", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...), storage.Rules{MaxBytes: 1 << 20, Allow: storage.DocumentTypes()}},
	}
	for _, tc := range tests {
		r := uploadRequest(t, filePart("file", "photo.jpg", "image/jpeg", tc.data))
		_, err := receive(t, d, r, "o/x", tc.rules)
		expectProblem(t, err, apperr.KindUnsupportedMediaType, "file", tc.name)
		if _, _, err := d.Open(t.Context(), "o/x"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: a refused file was stored", tc.name)
		}
	}
}

func TestReceiveSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := storage.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 10_000
	rules := storage.Rules{MaxBytes: limit, Allow: storage.ImageTypes()}
	sized := func(n int) []byte {
		b := pngBytes(t)
		return append(b, make([]byte, n-len(b))...)
	}
	got, err := receive(t, d, uploadRequest(t, filePart("file", "a.png", "image/png", sized(limit))), "o/at", rules)
	if err != nil || got.Object.Size != limit {
		t.Fatalf("exactly at the limit: %+v %v", got, err)
	}
	_, err = receive(t, d, uploadRequest(t, filePart("file", "a.png", "image/png", sized(limit+1))), "o/over", rules)
	expectProblem(t, err, apperr.KindTooLarge, "file", "one byte over")
	if _, _, err := d.Open(t.Context(), "o/over"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("an oversize file was stored")
	}
	// A declared length far over the limit is refused before reading.
	r := uploadRequest(t, filePart("file", "a.png", "image/png", sized(limit)))
	r.ContentLength = 1 << 30
	r.Body = io.NopCloser(errReader{errors.New("the body must not be read")})
	_, err = receive(t, d, r, "o/declared", rules)
	expectProblem(t, err, apperr.KindTooLarge, "file", "declared length")
	assertNoTempFiles(t, dir)
}

func TestReceiveFormErrors(t *testing.T) {
	t.Parallel()
	d := newDisk(t)
	png := pngBytes(t)
	check := storage.Rules{MaxBytes: 1 << 20, Allow: storage.ImageTypes(), Fields: []string{"caption"},
		Check: func(f map[string]string) error {
			if len(f["caption"]) > 10 {
				return apperr.Invalid("caption", "is longer than 10 characters")
			}
			return nil
		}}
	tests := []struct {
		name   string
		parts  []part
		rules  storage.Rules
		kind   apperr.Kind
		field  string
		stored bool
	}{
		{"no file part", []part{textPart("caption", "x")}, imageRules, apperr.KindInvalid, "file", false},
		{"file under another name", []part{filePart("photo", "a.png", "image/png", png)}, imageRules, apperr.KindInvalid, "photo", false},
		{"empty file", []part{filePart("file", "a.png", "image/png", nil)}, imageRules, apperr.KindInvalid, "file", false},
		{"unknown field", []part{textPart("org_id", "x"), filePart("file", "a.png", "image/png", png)}, imageRules, apperr.KindInvalid, "org_id", false},
		{"field twice", []part{textPart("caption", "a"), textPart("caption", "b"), filePart("file", "a.png", "image/png", png)}, imageRules, apperr.KindInvalid, "caption", false},
		{"field too long", []part{textPart("caption", strings.Repeat("x", storage.MaxFieldBytes+1)), filePart("file", "a.png", "image/png", png)}, imageRules, apperr.KindInvalid, "caption", false},
		{"field not UTF-8", []part{textPart("caption", "\xff\xfe"), filePart("file", "a.png", "image/png", png)}, imageRules, apperr.KindInvalid, "caption", false},
		{"checked field", []part{textPart("caption", "far too long a caption"), filePart("file", "a.png", "image/png", png)}, check, apperr.KindInvalid, "caption", false},
		{"field after the file", []part{filePart("file", "a.png", "image/png", png), textPart("caption", "late")}, imageRules, apperr.KindInvalid, "caption", false},
		{"second file", []part{filePart("file", "a.png", "image/png", png), filePart("file", "b.png", "image/png", png)}, imageRules, apperr.KindInvalid, "file", false},
	}
	for i, tc := range tests {
		key := "o/form/" + string(rune('a'+i))
		_, err := receive(t, d, uploadRequest(t, tc.parts...), key, tc.rules)
		expectProblem(t, err, tc.kind, tc.field, tc.name)
		if _, _, err := d.Open(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s: the file was kept", tc.name)
		}
	}

	// Not multipart at all: 415 naming the Content-Type.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"file":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	_, err := receive(t, d, r, "o/json", imageRules)
	expectProblem(t, err, apperr.KindUnsupportedMediaType, "Content-Type", "json body")

	// A body cut inside the file is a 400, and nothing is kept.
	body, ct := multipartBody(t, filePart("file", "a.png", "image/png", append(png, make([]byte, 20000)...)))
	r = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body[:len(body)-5000]))
	r.Header.Set("Content-Type", ct)
	_, err = receive(t, d, r, "o/cut", imageRules)
	if apperr.KindOf(err) != apperr.KindBadRequest {
		t.Fatalf("truncated body = %v, want a bad request", err)
	}
	if _, _, err := d.Open(t.Context(), "o/cut"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("a truncated file was kept")
	}
}

// TestReceiveStreams: memory allocated while receiving does not grow with
// the file: 64 MiB cost about what 1 MiB does (the sniff and copy buffers).
func TestReceiveStreams(t *testing.T) {
	d := newDisk(t)
	rules := storage.Rules{MaxBytes: 128 << 20, Allow: storage.ImageTypes()}
	alloc := func(size int, key string) uint64 {
		r := streamedUpload(t, size)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := storage.NewUpload(r).Receive(t.Context(), d, key, rules)
		runtime.ReadMemStats(&after)
		if err != nil || got.Object.Size != int64(size) {
			t.Fatalf("receive %d bytes: %+v %v", size, got, err)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small := alloc(1<<20, "o/small")
	big := alloc(64<<20, "o/big")
	t.Logf("allocated while receiving: 1 MiB file %d KiB, 64 MiB file %d KiB", small>>10, big>>10)
	if big > small+(2<<20) {
		t.Fatalf("receiving 64 MiB allocated %d bytes vs %d for 1 MiB: the upload is buffered, not streamed", big, small)
	}
}

// streamedUpload is a request whose multipart body is generated while it
// is read (a PNG header, then zeros), so the test holds none of it.
func streamedUpload(t *testing.T, size int) *http.Request {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="big.png"`)
		w, err := mw.CreatePart(h)
		if err == nil {
			head := pngBytes(t)
			_, err = w.Write(head)
			chunk := make([]byte, 32<<10)
			for left := size - len(head); left > 0 && err == nil; left -= len(chunk) {
				_, err = w.Write(chunk[:min(left, len(chunk))])
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	r := httptest.NewRequest(http.MethodPost, "/", pr)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

func TestSanitizeFileName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200) + ".pdf"
	tests := map[string]string{
		"front.png":                  "front.png",
		"../../etc/passwd":           "passwd",
		`C:\fakepath\photo.jpg`:      "photo.jpg",
		"..":                         "",
		" . ":                        "",
		"a\x00b\r\nc.txt":            "abc.txt",
		`say "hi".txt`:               "say hi.txt",
		"tab\there.txt":              "tabhere.txt",
		"rtl\u202egnp.exe":           "rtlgnp.exe",
		"\xff\xfeinvalid.txt":        "invalid.txt",
		"Kaufvertrag Müller.pdf":     "Kaufvertrag Müller.pdf",
		"trailing dots...":           "trailing dots",
		".hidden":                    "hidden",
		strings.Repeat("a", 300):     strings.Repeat("a", 255),
		long:                         strings.Repeat("é", 127), // 254 bytes: no half rune
		"dir/":                       "",
		"ok name (1) [final].jpeg":   "ok name (1) [final].jpeg",
		"\u200bzero\u200bwidth.png":  "zerowidth.png",
		"emoji 🏠.png":                "emoji 🏠.png",
		"semi;colon,comma=equal.txt": "semi;colon,comma=equal.txt",
	}
	for in, want := range tests {
		if got := storage.SanitizeFileName(in); got != want {
			t.Errorf("SanitizeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}
