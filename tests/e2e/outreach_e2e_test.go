package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// mockUnsubscribeToken signs claims as outreach does in mock mode (its
// mock secret is public by design: derived from the service name). Written
// here from the documented format, not imported: the test checks the
// format as much as the service.
func mockUnsubscribeToken(t *testing.T, claims map[string]string) string {
	t.Helper()
	sum := sha256.Sum256([]byte("reos mock unsubscribe secret: outreach"))
	secret := fmt.Sprintf("%x", sum)
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	body := "u1." + base64.RawURLEncoding.EncodeToString(b)
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte("reos.outreach.unsubscribe\n" + body))
	return body + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// outreachScenarios: a template with an unknown merge field is 422 naming
// the field with line and column, through nginx and the gateway; the
// unsubscribe link works without a token, its GET (what a mail scanner
// does) unsubscribes nobody and may post its form, a tampered token is 400,
// and RFC 8058 one-click unsubscribes at once.
func outreachScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	t.Run("a template error names its line and column", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/templates/email", a.admin, map[string]any{"name": "E2E broken", "subject": "Hi",
			"html": "<p>Hello</p>\n<p>{{ .contact.favourite_colour }}</p>"})
		expectFieldError(t, r, "html", "unknown merge field")
		var p struct {
			Errors []struct {
				Field        string
				Line, Column int
			}
		}
		r.json(t, &p)
		if len(p.Errors) == 0 || p.Errors[0].Line != 2 || p.Errors[0].Column == 0 {
			t.Fatalf("problem %s", r.Body)
		}
		expectStatus(t, do(t, http.MethodPost, api+"/templates/email", a.viewer, map[string]any{"name": "x"}), http.StatusForbidden, "viewer writes a template")
	})
	t.Run("unsubscribe: GET does not, one-click POST does", func(t *testing.T) {
		org, address := uuid.NewString(), strings.ToLower(uuid.NewString()[:8])+"@example.com"
		tok := mockUnsubscribeToken(t, map[string]string{"o": org, "ch": "email", "a": address})
		link := api + "/compliance/unsubscribe?" + url.Values{"token": {tok}}.Encode()
		count := func() int {
			var n int
			if err := s.DB.Pool(t, "").QueryRow(t.Context(), `SELECT count(*) FROM outreach.unsubscribes WHERE org_id = $1 AND address = $2`, org, address).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		r := do(t, http.MethodGet, link, "", nil)
		expectStatus(t, r, http.StatusOK, "the link's page")
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Header.Get("Content-Security-Policy"), "form-action 'self'") {
			t.Fatalf("page headers %v", r.Header)
		}
		if count() != 0 {
			t.Fatal("GET of the link unsubscribed")
		}
		bad := api + "/compliance/unsubscribe?" + url.Values{"token": {tok[:len(tok)-2] + "xx"}}.Encode()
		expectStatus(t, do(t, http.MethodPost, bad, "", []byte("List-Unsubscribe=One-Click"), "Content-Type", "application/x-www-form-urlencoded"),
			http.StatusBadRequest, "one-click with a tampered token")
		expectStatus(t, do(t, http.MethodPost, link, "", []byte("List-Unsubscribe=One-Click"), "Content-Type", "application/x-www-form-urlencoded"),
			http.StatusOK, "one-click")
		if count() != 1 {
			t.Fatal("one-click did not unsubscribe")
		}
	})
}
