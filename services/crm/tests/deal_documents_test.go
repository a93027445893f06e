package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/server"
)

// pdfFile is a minimal well-formed PDF.
func pdfFile(pad int) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" +
		"%" + strings.Repeat("x", pad) + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

type documentJSON struct {
	ID           string    `json:"id"`
	DealID       string    `json:"deal_id"`
	Title        string    `json:"title"`
	FileName     string    `json:"file_name"`
	ContentType  string    `json:"content_type"`
	SizeBytes    int64     `json:"size_bytes"`
	SHA256       string    `json:"sha256"`
	UploadedBy   *string   `json:"uploaded_by"`
	URL          string    `json:"url"`
	URLExpiresAt time.Time `json:"url_expires_at"`
}

func TestDealDocumentUploadListAndSignedDownload(t *testing.T) {
	t.Parallel()
	files := testFiles(t)
	e := newEnv(t, func(o *server.Options) { o.Files, o.Signer = files.disk, files.signer })
	agent := e.user(newOrg(), permsAgent)
	lead := e.createLead(agent, map[string]any{"email": "buyer@example.com"})
	deal := e.createDeal(agent, lead.ID, 450_000_00)
	docs := "/api/v1/deals/" + deal.ID + "/documents"

	pdf := pdfFile(100)
	r := e.upload(docs, agent, []part{{"title", " Purchase agreement "}}, "contract.pdf", "application/octet-stream", pdf)
	expect(t, r, http.StatusCreated, "upload")
	doc := decode[documentJSON](t, r)
	sum := sha256.Sum256(pdf)
	if doc.DealID != deal.ID || doc.Title != "Purchase agreement" || doc.FileName != "contract.pdf" || doc.ContentType != "application/pdf" ||
		doc.SizeBytes != int64(len(pdf)) || doc.SHA256 != hex.EncodeToString(sum[:]) || doc.UploadedBy == nil || *doc.UploadedBy != agent.ID {
		t.Fatalf("document = %+v", doc)
	}
	if !strings.HasPrefix(doc.URL, "/api/v1/files/crm/"+agent.OrgID+"/deals/"+deal.ID+"/documents/"+doc.ID+"?expires=") ||
		!doc.URLExpiresAt.Equal(e.clock.Now().Add(15*time.Minute)) {
		t.Fatalf("link = %s until %s", doc.URL, doc.URLExpiresAt)
	}

	// The link works without a token and serves the bytes as a download.
	got := e.call(http.MethodGet, doc.URL, user{}, nil)
	expect(t, got, http.StatusOK, "download")
	if string(got.Body) != string(pdf) || got.Header.Get("Content-Type") != "application/pdf" ||
		got.Header.Get("Content-Disposition") != `attachment; filename=contract.pdf` || got.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download headers %v", got.Header)
	}
	expect(t, e.call(http.MethodHead, doc.URL, user{}, nil), http.StatusOK, "head")
	tampered := strings.Replace(doc.URL, "/documents/"+doc.ID, "/documents/"+lead.ID, 1)
	expect(t, e.call(http.MethodGet, tampered, user{}, nil), http.StatusForbidden, "another key under the same signature")
	expect(t, e.call(http.MethodGet, strings.Split(doc.URL, "?")[0], user{}, nil), http.StatusForbidden, "no signature")

	// A second document without a title is named after its file; the list
	// is newest first and pages.
	e.clock.Advance(time.Second)
	png := pngFile(t)
	r = e.upload(docs, agent, nil, "site photo.png", "image/png", png)
	expect(t, r, http.StatusCreated, "second upload")
	photo := decode[documentJSON](t, r)
	if photo.Title != "site photo.png" || photo.ContentType != "image/png" {
		t.Fatalf("photo = %+v", photo)
	}
	page := decode[listJSON[documentJSON]](t, e.call(http.MethodGet, docs+"?limit=1", agent, nil))
	if len(page.Items) != 1 || page.Items[0].ID != photo.ID || page.NextCursor == nil {
		t.Fatalf("first page = %+v", page)
	}
	rest := decode[listJSON[documentJSON]](t, e.call(http.MethodGet, docs+"?limit=1&cursor="+*page.NextCursor, agent, nil))
	if len(rest.Items) != 1 || rest.Items[0].ID != doc.ID || rest.NextCursor != nil {
		t.Fatalf("second page = %+v", rest)
	}

	// Links expire; listing again signs fresh ones.
	e.clock.Advance(16 * time.Minute)
	expect(t, e.call(http.MethodGet, doc.URL, user{}, nil), http.StatusForbidden, "expired link")
	fresh := decode[listJSON[documentJSON]](t, e.call(http.MethodGet, docs, agent, nil))
	if len(fresh.Items) != 2 {
		t.Fatalf("list = %+v", fresh)
	}
	expect(t, e.call(http.MethodGet, fresh.Items[1].URL, user{}, nil), http.StatusOK, "fresh link")

	if n := countOf(e.outboxTypes(), "reos.crm.deal.document_added"); n != 2 {
		t.Fatalf("%d document_added events", n)
	}
	if stored := files.objects(t); len(stored) != 2 {
		t.Fatalf("stored %v", stored)
	}
}

func TestDealDocumentRefusals(t *testing.T) {
	t.Parallel()
	files := testFiles(t)
	e := newEnv(t, func(o *server.Options) {
		o.Files, o.Signer = files.disk, files.signer
		o.Uploads = app.UploadConfig{DocumentMaxBytes: 1024}
	})
	org := newOrg()
	agent, viewer := e.user(org, permsAgent), e.user(org, permsViewer)
	intruder := e.user(newOrg(), permsAdmin)
	lead := e.createLead(agent, map[string]any{"email": "buyer@example.com"})
	docs := "/api/v1/deals/" + e.createDeal(agent, lead.ID, 1).ID + "/documents"
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")

	expectField(t, e.upload(docs, agent, nil, "contract.pdf", "application/pdf", html), http.StatusUnsupportedMediaType, "file", "HTML named .pdf")
	expectField(t, e.upload(docs, agent, nil, "big.pdf", "application/pdf", pdfFile(2048)), http.StatusRequestEntityTooLarge, "file", "over 1 KiB")
	expectField(t, e.upload(docs, agent, []part{{"title", strings.Repeat("t", 201)}}, "c.pdf", "application/pdf", pdfFile(1)),
		http.StatusUnprocessableEntity, "title", "long title")
	expectField(t, e.upload(docs, agent, []part{{"caption", "x"}}, "c.pdf", "application/pdf", pdfFile(1)),
		http.StatusUnprocessableEntity, "caption", "unknown field")
	expectField(t, e.upload(docs, agent, nil, "", "", nil), http.StatusUnprocessableEntity, "file", "no file")
	expect(t, e.upload(docs, viewer, nil, "c.pdf", "application/pdf", pdfFile(1)), http.StatusForbidden, "viewer")
	expect(t, e.upload(docs, intruder, nil, "c.pdf", "application/pdf", pdfFile(1)), http.StatusNotFound, "another org's deal")
	expect(t, e.call(http.MethodGet, docs, intruder, nil), http.StatusNotFound, "another org's list")
	expect(t, e.upload("/api/v1/deals/"+newOrg()+"/documents", agent, nil, "c.pdf", "application/pdf", pdfFile(1)), http.StatusNotFound, "no such deal")
	if stored := files.objects(t); len(stored) != 0 {
		t.Fatalf("refused uploads left files: %v", stored)
	}
	if n := e.count(`SELECT count(*) FROM crm.deal_documents`); n != 0 {
		t.Fatalf("%d documents recorded", n)
	}
	if l := decode[listJSON[documentJSON]](t, e.call(http.MethodGet, docs, viewer, nil)); len(l.Items) != 0 {
		t.Fatalf("list = %+v", l)
	}
}
