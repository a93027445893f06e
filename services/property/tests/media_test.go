package tests

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reos.dev/pkg/storage"
	"reos.dev/services/property/internal/app"
)

// Small limits keep the size tests fast; the defaults are 10 and 25 MiB.
const (
	testImageMax    = 64 << 10
	testDocumentMax = 128 << 10
)

// testMedia keeps the test's files in its own temporary directory, signed
// with the mock key the binary uses in mock mode.
func testMedia(t testing.TB) app.MediaConfig {
	t.Helper()
	disk, err := storage.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := storage.NewSigner(storage.Secret(storage.MockSigningKey("property")), storage.FilesPrefix("property"))
	if err != nil {
		t.Fatal(err)
	}
	return app.MediaConfig{Files: disk, Signer: signer, ImageMaxBytes: testImageMax, DocumentMaxBytes: testDocumentMax}
}

// Fixtures with real magic bytes.

func pngFixture(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, gradient(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegFixture(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, gradient(16, 9), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gradient(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{R: uint8(x * 7), G: uint8(y * 13), B: uint8(x ^ y), A: 255})
		}
	}
	return img
}

func pdfFixture() []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func docxFixture(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		w, _ := z.Create(name)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><x/>`))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exeFixture starts like a Windows executable.
func exeFixture() []byte {
	b := make([]byte, 512)
	copy(b, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
	return b
}

// form is a multipart body: text fields first, then the file (when name is set).
type form struct {
	fields                      [][2]string
	name, fileName, contentType string
	file                        []byte
}

func (f form) encode(t testing.TB) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, kv := range f.fields {
		if err := w.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if f.name != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+f.name+`"; filename="`+f.fileName+`"`)
		h.Set("Content-Type", f.contentType)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(f.file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), w.FormDataContentType()
}

func fileForm(fileName, contentType string, data []byte, fields ...[2]string) form {
	return form{fields: fields, name: "file", fileName: fileName, contentType: contentType, file: data}
}

// upload posts f to path as multipart/form-data.
func (e *env) upload(token, path string, f form) response {
	e.t.Helper()
	body, ct := f.encode(e.t)
	return e.client.Do(http.MethodPost, path, token, body, "Content-Type", ct)
}

// mediaOf gives property propertyID an image and a document and returns their ids.
func (e *env) mediaOf(c caller, propertyID string) (imageID, documentID string) {
	e.t.Helper()
	r := e.upload(c.Token, "/api/v1/properties/"+propertyID+"/images", fileForm("a.png", "image/png", pngFixture(e.t, 2, 2)))
	expect(e.t, r, http.StatusCreated, "upload an image")
	imageID = decode[fileJSON](e.t, r).ID
	r = e.upload(c.Token, "/api/v1/properties/"+propertyID+"/documents", fileForm("a.pdf", "application/pdf", pdfFixture()))
	expect(e.t, r, http.StatusCreated, "upload a document")
	return imageID, decode[fileJSON](e.t, r).ID
}

type fileJSON struct {
	ID          string  `json:"id"`
	OrgID       string  `json:"org_id"`
	PropertyID  string  `json:"property_id"`
	FileName    string  `json:"file_name"`
	ContentType string  `json:"content_type"`
	SizeBytes   int64   `json:"size_bytes"`
	SHA256      string  `json:"sha256"`
	UploadedBy  *string `json:"uploaded_by"`
	CreatedAt   string  `json:"created_at"`
	URL         string  `json:"url"`
	ExpiresAt   string  `json:"url_expires_at"`
	Caption     *string `json:"caption"`
	Position    int     `json:"position"`
	Title       *string `json:"title"`
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// download fetches a signed link the way a browser does: no token.
func (e *env) download(link string) response {
	e.t.Helper()
	return e.call(http.MethodGet, link, "", nil)
}

// checkFile asserts f describes data and its link serves exactly data.
func (e *env) checkFile(f fileJSON, data []byte, contentType, disposition string) {
	e.t.Helper()
	if f.SizeBytes != int64(len(data)) || f.SHA256 != sha(data) || f.ContentType != contentType {
		e.t.Fatalf("file %+v does not describe the %d bytes sent (%s)", f, len(data), contentType)
	}
	if !strings.HasPrefix(f.URL, "/api/v1/files/property/"+f.OrgID+"/properties/"+f.PropertyID+"/") {
		e.t.Fatalf("url = %s", f.URL)
	}
	exp, err := time.Parse(time.RFC3339, f.ExpiresAt)
	if err != nil || time.Until(exp) < 14*time.Minute || time.Until(exp) > 15*time.Minute+time.Second {
		e.t.Fatalf("url_expires_at = %s, want about 15 minutes from now", f.ExpiresAt)
	}
	r := e.download(f.URL)
	expect(e.t, r, http.StatusOK, "download "+f.FileName)
	if !bytes.Equal(r.Body, data) {
		e.t.Fatalf("download of %s: %d bytes differ from the %d uploaded", f.FileName, len(r.Body), len(data))
	}
	for k, v := range map[string]string{
		"Content-Type": contentType, "X-Content-Type-Options": "nosniff", "ETag": `"` + f.SHA256 + `"`,
		"Content-Length": strconv.Itoa(len(data)),
	} {
		if got := r.Header.Get(k); got != v {
			e.t.Errorf("download %s: %s = %q, want %q", f.FileName, k, got, v)
		}
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, disposition) {
		e.t.Errorf("download %s: Content-Disposition = %q, want %s", f.FileName, cd, disposition)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "private, max-age=") {
		e.t.Errorf("download %s: Cache-Control = %q", f.FileName, cc)
	}
}

func TestImagesUploadListDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	viewer := e.token(admin.OrgID, "properties:read")
	p := e.create(admin, house("12 Oak Street", "Boston", 1, nil))
	base := "/api/v1/properties/" + p.ID + "/images"

	front := pngFixture(t, 40, 30)
	r := e.upload(admin.Token, base, fileForm("front.png", "image/png", front, [2]string{"caption", "  Front view "}))
	expect(t, r, http.StatusCreated, "upload png")
	first := decode[fileJSON](t, r)
	if first.Position != 0 || first.Caption == nil || *first.Caption != "Front view" || first.FileName != "front.png" ||
		first.PropertyID != p.ID || first.OrgID != admin.OrgID || first.UploadedBy == nil || *first.UploadedBy != admin.UserID {
		t.Fatalf("uploaded %+v", first)
	}
	e.checkFile(first, front, "image/png", "inline")

	// The client's type and name claims do not matter: the bytes do.
	garden := jpegFixture(t)
	r = e.upload(admin.Token, base, fileForm(`..\..\garden.bin`, "application/octet-stream", garden))
	expect(t, r, http.StatusCreated, "upload jpeg")
	second := decode[fileJSON](t, r)
	if second.Position != 1 || second.Caption != nil || second.FileName != "garden.bin" {
		t.Fatalf("second image %+v", second)
	}

	// The list (readable by a viewer) is in position order with fresh links.
	r = e.call(http.MethodGet, base, viewer.Token, nil)
	expect(t, r, http.StatusOK, "viewer lists images")
	list := decode[listJSON[fileJSON]](t, r)
	if len(list.Items) != 2 || list.Items[0].ID != first.ID || list.Items[1].ID != second.ID || list.NextCursor != nil {
		t.Fatalf("list = %+v", list)
	}
	e.checkFile(list.Items[0], front, "image/png", "inline")
	e.checkFile(list.Items[1], garden, "image/jpeg", "inline")

	// Keyset pages by position.
	page := decode[listJSON[fileJSON]](t, e.call(http.MethodGet, base+"?limit=1", viewer.Token, nil))
	if len(page.Items) != 1 || page.Items[0].ID != first.ID || page.NextCursor == nil {
		t.Fatalf("page 1 = %+v", page)
	}
	page = decode[listJSON[fileJSON]](t, e.call(http.MethodGet, base+"?limit=1&cursor="+url.QueryEscape(*page.NextCursor), viewer.Token, nil))
	if len(page.Items) != 1 || page.Items[0].ID != second.ID || page.NextCursor != nil {
		t.Fatalf("page 2 = %+v", page)
	}

	// Deleting removes the row, then the file: the old link is a 404.
	expect(t, e.call(http.MethodDelete, base+"/"+first.ID, admin.Token, nil), http.StatusNoContent, "delete image")
	expect(t, e.download(first.URL), http.StatusNotFound, "download a deleted image")
	if _, _, err := e.media.Files.Open(t.Context(), admin.OrgID+"/properties/"+p.ID+"/images/"+first.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the deleted image's file is still stored: %v", err)
	}
	expect(t, e.call(http.MethodDelete, base+"/"+first.ID, admin.Token, nil), http.StatusNotFound, "delete twice")
	// A new image still goes last.
	r = e.upload(admin.Token, base, fileForm("a.png", "image/png", front))
	expect(t, r, http.StatusCreated, "upload after delete")
	if got := decode[fileJSON](t, r); got.Position != 2 {
		t.Fatalf("position after delete = %d, want 2", got.Position)
	}

	var kinds []string
	for _, ev := range e.outbox() {
		if strings.HasPrefix(ev.Type, "reos.property.image.") {
			kinds = append(kinds, ev.Type)
			if ev.Key != p.ID || ev.Data["property_id"] != p.ID || ev.Data["image_id"] == nil || ev.Data["sha256"] == nil {
				t.Errorf("image event %+v", ev)
			}
		}
	}
	if strings.Join(kinds, " ") != "reos.property.image.added reos.property.image.added reos.property.image.removed reos.property.image.added" {
		t.Fatalf("image events = %v", kinds)
	}
}

func TestDocumentsUploadListDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("3 Birch Way", "Portland", 1, nil))
	base := "/api/v1/properties/" + p.ID + "/documents"

	pdf := pdfFixture()
	r := e.upload(admin.Token, base, fileForm("Kaufvertrag Müller.pdf", "application/pdf", pdf, [2]string{"title", "Purchase contract"}))
	expect(t, r, http.StatusCreated, "upload pdf")
	contract := decode[fileJSON](t, r)
	if contract.Title == nil || *contract.Title != "Purchase contract" || contract.FileName != "Kaufvertrag Müller.pdf" {
		t.Fatalf("uploaded %+v", contract)
	}
	e.checkFile(contract, pdf, "application/pdf", "attachment")

	docx := docxFixture(t)
	r = e.upload(admin.Token, base, fileForm("offer.docx", "application/msword", docx))
	expect(t, r, http.StatusCreated, "upload docx")
	offer := decode[fileJSON](t, r)
	notes := []byte("Roof replaced in 2019.\nBoiler serviced 2024.\n")
	r = e.upload(admin.Token, base, fileForm("notes.txt", "text/plain", notes))
	expect(t, r, http.StatusCreated, "upload text")
	note := decode[fileJSON](t, r)
	e.checkFile(note, notes, "text/plain; charset=utf-8", "attachment")

	list := decode[listJSON[fileJSON]](t, e.call(http.MethodGet, base, admin.Token, nil))
	if len(list.Items) != 3 || list.Items[0].ID != note.ID || list.Items[1].ID != offer.ID || list.Items[2].ID != contract.ID {
		t.Fatalf("documents, newest first = %+v", list.Items)
	}
	e.checkFile(list.Items[1], docx, storage.TypeDOCX, "attachment")

	expect(t, e.call(http.MethodDelete, base+"/"+offer.ID, admin.Token, nil), http.StatusNoContent, "delete document")
	expect(t, e.download(offer.URL), http.StatusNotFound, "download a deleted document")
	if n := len(decode[listJSON[fileJSON]](t, e.call(http.MethodGet, base, admin.Token, nil)).Items); n != 2 {
		t.Fatalf("%d documents after a delete, want 2", n)
	}
	var kinds []string
	for _, ev := range e.outbox() {
		if strings.HasPrefix(ev.Type, "reos.property.document.") {
			kinds = append(kinds, ev.Type)
		}
	}
	if len(kinds) != 4 || kinds[3] != "reos.property.document.removed" {
		t.Fatalf("document events = %v", kinds)
	}
}

func TestUploadsAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("8 Elm Row", "Austin", 1, nil))
	images := "/api/v1/properties/" + p.ID + "/images"
	documents := "/api/v1/properties/" + p.ID + "/documents"
	png := pngFixture(t, 8, 8)
	sized := func(n int) []byte { return append(append([]byte(nil), png...), make([]byte, n-len(png))...) }

	tests := []struct {
		name, path string
		form       form
		status     int
		field      string
	}{
		{"executable named photo.jpg", images, fileForm("photo.jpg", "image/jpeg", exeFixture()), http.StatusUnsupportedMediaType, "file"},
		{"html named photo.jpg", images, fileForm("photo.jpg", "image/jpeg", []byte("<html><script>alert(1)</script></html>")), http.StatusUnsupportedMediaType, "file"},
		{"pdf as an image", images, fileForm("plan.png", "image/png", pdfFixture()), http.StatusUnsupportedMediaType, "file"},
		{"executable as a document", documents, fileForm("contract.pdf", "application/pdf", exeFixture()), http.StatusUnsupportedMediaType, "file"},
		{"image one byte over the limit", images, fileForm("big.png", "image/png", sized(testImageMax+1)), http.StatusRequestEntityTooLarge, "file"},
		{"document one byte over the limit", documents, fileForm("big.png", "image/png", sized(testDocumentMax+1)), http.StatusRequestEntityTooLarge, "file"},
		{"no file part", images, form{fields: [][2]string{{"caption", "x"}}}, http.StatusUnprocessableEntity, "file"},
		{"empty file", images, fileForm("a.png", "image/png", nil), http.StatusUnprocessableEntity, "file"},
		{"caption too long", images, fileForm("a.png", "image/png", png, [2]string{"caption", strings.Repeat("c", 501)}), http.StatusUnprocessableEntity, "caption"},
		{"caption with a control character", images, fileForm("a.png", "image/png", png, [2]string{"caption", "a\x07b"}), http.StatusUnprocessableEntity, "caption"},
		{"title on an image", images, fileForm("a.png", "image/png", png, [2]string{"title", "x"}), http.StatusUnprocessableEntity, "title"},
		{"mass assignment", images, fileForm("a.png", "image/png", png, [2]string{"position", "0"}), http.StatusUnprocessableEntity, "position"},
		{"title too long", documents, fileForm("a.pdf", "application/pdf", pdfFixture(), [2]string{"title", strings.Repeat("t", 201)}), http.StatusUnprocessableEntity, "title"},
	}
	for _, tc := range tests {
		expectField(t, e.upload(admin.Token, tc.path, tc.form), tc.status, tc.field, tc.name)
	}
	expectField(t, e.call(http.MethodPost, images, admin.Token, map[string]string{"file": "x"}), http.StatusUnsupportedMediaType, "Content-Type", "JSON body")
	expect(t, e.client.Do(http.MethodPost, images+"?position=1", admin.Token, []byte("x"), "Content-Type", "multipart/form-data; boundary=x"),
		http.StatusBadRequest, "unknown query parameter")
	if n := scalar[int](e, `SELECT (SELECT count(*) FROM property.property_images) + (SELECT count(*) FROM property.property_documents)`); n != 0 {
		t.Fatalf("%d rows recorded for refused uploads", n)
	}

	// Exactly at the limits is fine.
	r := e.upload(admin.Token, images, fileForm("max.png", "image/png", sized(testImageMax)))
	expect(t, r, http.StatusCreated, "image exactly at the limit")
	e.checkFile(decode[fileJSON](t, r), sized(testImageMax), "image/png", "inline")
	expect(t, e.upload(admin.Token, documents, fileForm("max.png", "image/png", sized(testDocumentMax))), http.StatusCreated, "document exactly at the limit")
}

// A file of one property is not reachable through another, and a viewer
// may read files but not write them: nothing is stored for its upload.
// (Another organisation's files and the permission of every file route are
// TestRoutes'.)
func TestMediaTenancyAndPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.token(newOrg(), "*")
	viewer := e.token(owner.OrgID, "properties:read")
	p := e.create(owner, house("5 Cedar Close", "Denver", 1, nil))
	sibling := e.create(owner, house("7 Cedar Close", "Denver", 1, nil))
	png := pngFixture(t, 4, 4)
	img := decode[fileJSON](t, e.upload(owner.Token, "/api/v1/properties/"+p.ID+"/images", fileForm("a.png", "image/png", png)))
	doc := decode[fileJSON](t, e.upload(owner.Token, "/api/v1/properties/"+p.ID+"/documents", fileForm("a.pdf", "application/pdf", pdfFixture())))

	// The owner's own file through the wrong property.
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+sibling.ID+"/images/"+img.ID, owner.Token, nil), http.StatusNotFound, "image via another property")
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+sibling.ID+"/documents/"+doc.ID, owner.Token, nil), http.StatusNotFound, "document via another property")

	// A viewer reads, never writes; nothing is stored for a refused upload.
	expect(t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID+"/images", viewer.Token, nil), http.StatusOK, "viewer lists")
	expect(t, e.upload(viewer.Token, "/api/v1/properties/"+p.ID+"/images", fileForm("v.png", "image/png", png)), http.StatusForbidden, "viewer uploads an image")
	expect(t, e.upload(viewer.Token, "/api/v1/properties/"+p.ID+"/documents", fileForm("v.pdf", "application/pdf", pdfFixture())), http.StatusForbidden, "viewer uploads a document")
	if n := scalar[int](e, `SELECT (SELECT count(*) FROM property.property_images) + (SELECT count(*) FROM property.property_documents)`); n != 2 {
		t.Fatalf("%d images and documents after refused uploads, want the owner's 2", n)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/properties/not-a-uuid/images", owner.Token, nil), http.StatusBadRequest, "bad property id")
	expectField(t, e.call(http.MethodDelete, "/api/v1/properties/"+p.ID+"/images/nope", owner.Token, nil), http.StatusBadRequest, "image_id", "bad image id")

	// Row-level security, below the API: as the service role, the owner's
	// organisation sees its rows and another sees none.
	pool := e.db.Pool(t, "property_app")
	for _, table := range []string{"property_images", "property_documents"} {
		for org, want := range map[string]int{owner.OrgID: 1, newOrg(): 0} {
			tx, err := pool.Begin(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if _, err := tx.Exec(t.Context(), `SELECT set_config('app.org_id', $1, true)`, org); err != nil {
				t.Fatal(err)
			}
			if err := tx.QueryRow(t.Context(), `SELECT count(*) FROM property.`+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			_ = tx.Rollback(t.Context())
			if n != want {
				t.Fatalf("%s as org %s: %d rows, want %d", table, org, n, want)
			}
		}
	}
}

// Signed links: only the exact link works, not after it expires, and
// never for a file it was not made for.
func TestSignedLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("1 Link Lane", "Reno", 1, nil))
	png := pngFixture(t, 5, 5)
	a := decode[fileJSON](t, e.upload(admin.Token, "/api/v1/properties/"+p.ID+"/images", fileForm("a.png", "image/png", png)))
	b := decode[fileJSON](t, e.upload(admin.Token, "/api/v1/properties/"+p.ID+"/images", fileForm("b.png", "image/png", pngFixture(t, 6, 6))))

	u, _ := url.Parse(a.URL)
	q := u.Query()
	key := strings.TrimPrefix(u.Path, storage.FilesPrefix("property"))
	expired, err := e.media.Signer.URL(key, time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(b.URL)
	tampered := []byte(q.Get("sig"))
	tampered[5] ^= 1
	for name, link := range map[string]string{
		"expired":                 expired.URL,
		"tampered signature":      u.Path + "?expires=" + q.Get("expires") + "&sig=" + string(tampered),
		"extended expiry":         u.Path + "?expires=" + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + "&sig=" + q.Get("sig"),
		"a's signature on b":      bu.Path + "?" + u.RawQuery,
		"no signature":            u.Path,
		"signed with another key": otherKeyURL(t, key),
	} {
		r := e.download(link)
		if r.Status != http.StatusForbidden || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %s", name, r)
		}
	}
	expect(t, e.download(a.URL), http.StatusOK, "the real link")
	expect(t, e.call(http.MethodHead, a.URL, "", nil), http.StatusOK, "HEAD")
	expect(t, e.call(http.MethodPost, a.URL, "", nil), http.StatusMethodNotAllowed, "POST to a file")
}

func otherKeyURL(t *testing.T, key string) string {
	t.Helper()
	s, err := storage.NewSigner(storage.Secret(strings.Repeat("x", 32)), storage.FilesPrefix("property"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.URL(key, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return u.URL
}

// Concurrent uploads to one property get distinct, gap-free positions.
func TestConcurrentImageUploads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("9 Race Road", "Tulsa", 1, nil))
	const n = 6
	var wg sync.WaitGroup
	status := make([]int, n)
	for i := range n {
		wg.Go(func() {
			body, ct := fileForm("c.png", "image/png", pngFixture(t, 3+i, 3)).encode(t)
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.client.URL()+"/api/v1/properties/"+p.ID+"/images", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+admin.Token)
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				status[i] = res.StatusCode
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	for i, s := range status {
		if s != http.StatusCreated {
			t.Fatalf("upload %d = %d", i, s)
		}
	}
	if got := scalar[string](e, `SELECT string_agg(position::text, ',' ORDER BY position) FROM property.property_images`); got != "0,1,2,3,4,5" {
		t.Fatalf("positions = %s", got)
	}
}
