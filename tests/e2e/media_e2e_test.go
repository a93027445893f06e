package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// mediaScenarios upload, list and download a property's files through nginx
// and the gateway. They register their own organisations, so they run
// alone too (-run 'TestStack/property_media').
func mediaScenarios(t *testing.T, s *Stack) {
	api := s.API()
	const pw = "media scenario password 1"
	register := func(prefix string) string {
		email := strings.ToLower(testkit.UniqueName(t, prefix)) + "@example.test"
		r := do(t, http.MethodPost, api+"/auth/register", "", map[string]string{
			"email": email, "password": pw, "full_name": "Media " + prefix, "organization_name": prefix + " Realty",
		})
		expectStatus(t, r, http.StatusCreated, "register "+prefix)
		return login(t, s, email, pw)
	}
	admin, outsider := register("media"), register("outsider")

	r := do(t, http.MethodPost, api+"/properties", admin, map[string]any{
		"unparsed_address": "4 Gallery Road", "city": "Salem", "list_price_cents": 30000000, "property_type": "Residential",
	})
	expectStatus(t, r, http.StatusCreated, "create property")
	var prop struct{ ID string }
	r.json(t, &prop)
	images := api + "/properties/" + prop.ID + "/images"

	photo := e2ePNG(t)
	r = postFile(t, images, admin, "front.png", "image/png", photo, "caption", "Front")
	expectStatus(t, r, http.StatusCreated, "upload an image")

	r = do(t, http.MethodGet, images, admin, nil)
	expectStatus(t, r, http.StatusOK, "list images")
	var list struct {
		Items []struct {
			ID, URL string
			Caption *string
			// The link's expiry (issue 16: expires_at until then).
			URLExpiresAt time.Time `json:"url_expires_at"`
		} `json:"items"`
	}
	r.json(t, &list)
	if len(list.Items) != 1 || list.Items[0].Caption == nil || *list.Items[0].Caption != "Front" || list.Items[0].URL == "" {
		t.Fatalf("images = %s", r.Body)
	}
	if left := time.Until(list.Items[0].URLExpiresAt); left <= 0 || left > 15*time.Minute+time.Second {
		t.Fatalf("url_expires_at %s: want within STORAGE_URL_TTL (15m) from now: %s", list.Items[0].URLExpiresAt, r.Body)
	}
	link := list.Items[0].URL

	t.Run("the signed link downloads the exact bytes without a token", func(t *testing.T) {
		r := do(t, http.MethodGet, s.NginxURL+link, "", nil)
		expectStatus(t, r, http.StatusOK, "download")
		if !bytes.Equal(r.Body, photo) {
			t.Fatalf("downloaded %d bytes, uploaded %d: they differ", len(r.Body), len(photo))
		}
		if r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(r.Header.Get("Cache-Control"), "private") {
			t.Fatalf("download headers = %v", r.Header)
		}
		assertSecurityHeaders(t, "download", r)
	})

	t.Run("a tampered or foreign link is refused", func(t *testing.T) {
		tampered := strings.Replace(link, "sig=", "sig=A", 1)
		if r := do(t, http.MethodGet, s.NginxURL+tampered, "", nil); r.Status != http.StatusForbidden {
			t.Fatalf("tampered link = %d %s", r.Status, r.Body)
		}
		if r := do(t, http.MethodGet, s.NginxURL+strings.Replace(link, "/images/", "/documents/", 1), "", nil); r.Status != http.StatusForbidden {
			t.Fatalf("link for another key = %d %s", r.Status, r.Body)
		}
	})

	t.Run("a disguised file is refused with 415 naming file", func(t *testing.T) {
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 200)...)
		r := postFile(t, images, admin, "photo.jpg", "image/jpeg", exe)
		expectStatus(t, r, http.StatusUnsupportedMediaType, "disguised upload")
		if fields := problemFields(t, r); len(fields) == 0 || fields[0] != "file" {
			t.Fatalf("415 names %v: %s", fields, r.Body)
		}
	})

	t.Run("documents download as attachments", func(t *testing.T) {
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		docs := api + "/properties/" + prop.ID + "/documents"
		expectStatus(t, postFile(t, docs, admin, "contract.pdf", "application/pdf", pdf, "title", "Contract"), http.StatusCreated, "upload a document")
		r := do(t, http.MethodGet, docs, admin, nil)
		expectStatus(t, r, http.StatusOK, "list documents")
		var docList struct {
			Items []struct{ URL string } `json:"items"`
		}
		r.json(t, &docList)
		if len(docList.Items) != 1 {
			t.Fatalf("documents = %s", r.Body)
		}
		r = do(t, http.MethodGet, s.NginxURL+docList.Items[0].URL, "", nil)
		expectStatus(t, r, http.StatusOK, "download the document")
		if !bytes.Equal(r.Body, pdf) || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("document download = %v", r.Header)
		}
	})

	t.Run("another organisation cannot see or add files", func(t *testing.T) {
		expectStatus(t, do(t, http.MethodGet, images, outsider, nil), http.StatusNotFound, "outsider lists")
		expectStatus(t, postFile(t, images, outsider, "x.png", "image/png", photo), http.StatusNotFound, "outsider uploads")
		expectStatus(t, do(t, http.MethodDelete, images+"/"+list.Items[0].ID, outsider, nil), http.StatusNotFound, "outsider deletes")
	})

	t.Run("deleting an image kills its link", func(t *testing.T) {
		expectStatus(t, do(t, http.MethodDelete, images+"/"+list.Items[0].ID, admin, nil), http.StatusNoContent, "delete image")
		expectStatus(t, do(t, http.MethodGet, s.NginxURL+link, "", nil), http.StatusNotFound, "download after delete")
	})
}

// postFile sends a multipart upload: text fields (name, value pairs), then the file.
func postFile(t *testing.T, url, token, fileName, contentType string, data []byte, fields ...string) response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+fileName+`"`)
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := send(t, req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

func e2ePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			img.Set(x, y, color.NRGBA{R: uint8(x * 8), G: uint8(y * 10), B: 128, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
