package storage_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/storage"
)

// TestSignedFileJSON: a stored file is shown the same way by every service
// (embedded in its file responses): the intake's facts, url and
// url_expires_at (UTC).
func TestSignedFileJSON(t *testing.T) {
	t.Parallel()
	su, err := newSigner(t).URL("org/deals/d/documents/x", time.Unix(1_700_000_000, 0).In(time.FixedZone("X", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		ID string `json:"id"`
		storage.SignedFile
	}{"x", storage.SignedFile{FileName: "a.pdf", ContentType: storage.TypePDF, SizeBytes: 3, SHA256: "ab", SignedURL: su}})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := json.Marshal(su.URL)
	want := `{"id":"x","file_name":"a.pdf","content_type":"application/pdf","size_bytes":3,"sha256":"ab",` +
		`"url":` + string(link) + `,"url_expires_at":"2023-11-14T22:13:20Z"}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

func TestSignerURLVerify(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	now := time.Unix(1_700_000_000, 0)
	key := "org/properties/p/images/i"
	su, err := s.URL(key, now.Add(15*time.Minute+500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if !su.ExpiresAt.Equal(now.Add(15 * time.Minute)) {
		t.Fatalf("expires at %v, want whole seconds rounded down", su.ExpiresAt)
	}
	u, err := url.Parse(su.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/api/v1/files/property/"+key || u.Host != "" {
		t.Fatalf("url = %s", su.URL)
	}
	exp, err := storage.ParseExpires(u.Query().Get("expires"))
	if err != nil || exp != su.ExpiresAt.Unix() {
		t.Fatalf("expires = %d %v", exp, err)
	}
	sig := u.Query().Get("sig")
	if err := s.Verify(key, exp, sig, now); err != nil {
		t.Fatalf("fresh url refused: %v", err)
	}
	if err := s.Verify(key, exp, sig, su.ExpiresAt.Add(-time.Second)); err != nil {
		t.Fatalf("url refused a second before expiry: %v", err)
	}

	tests := []struct {
		name, key, sig string
		exp            int64
		now            time.Time
		reason, field  string
	}{
		{"expired at the second", key, sig, exp, su.ExpiresAt, storage.ReasonURLExpired, "expires"},
		{"expired long ago", key, sig, exp, now.Add(time.Hour), storage.ReasonURLExpired, "expires"},
		{"another key", key + "2", sig, exp, now, storage.ReasonURLInvalid, "sig"},
		{"later expiry", key, sig, exp + 3600, now, storage.ReasonURLInvalid, "sig"},
		{"flipped signature", key, flip(sig), exp, now, storage.ReasonURLInvalid, "sig"},
		{"truncated signature", key, sig[:20], exp, now, storage.ReasonURLInvalid, "sig"},
		{"padded signature", key, sig + "=", exp, now, storage.ReasonURLInvalid, "sig"},
		{"empty signature", key, "", exp, now, storage.ReasonURLInvalid, "sig"},
	}
	for _, tc := range tests {
		err := s.Verify(tc.key, tc.exp, tc.sig, tc.now)
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.KindForbidden || e.Reason != tc.reason || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
			t.Errorf("%s: Verify = %#v, want forbidden %s naming %s", tc.name, err, tc.reason, tc.field)
		}
	}

	// Another secret, or another service's prefix, does not accept the URL.
	other, _ := storage.NewSigner(storage.Secret(strings.Repeat("z", 32)), storage.FilesPrefix("property"))
	crm, _ := storage.NewSigner(storage.Secret("0123456789abcdef0123456789abcdef-test"), storage.FilesPrefix("crm"))
	for name, v := range map[string]*storage.Signer{"other secret": other, "other service": crm} {
		if err := v.Verify(key, exp, sig, now); err == nil {
			t.Errorf("%s accepted the signature", name)
		}
	}

	// A signer cannot be tricked into an eternal link either.
	far, err := s.URL(key, now.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	fu, _ := url.Parse(far.URL)
	if err := s.Verify(key, far.ExpiresAt.Unix(), fu.Query().Get("sig"), now); err == nil {
		t.Error("a link valid for 30 days was accepted")
	}
	if _, err := s.URL("../x", now); err == nil {
		t.Error("signed an invalid key")
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestParseExpires(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "-1", "+5", "1e9", "0x10", " 5", "12.5", "9999999999999", "abc"} {
		if _, err := storage.ParseExpires(v); err == nil {
			t.Errorf("ParseExpires(%q) accepted", v)
		}
	}
	if n, err := storage.ParseExpires("1700000000"); err != nil || n != 1_700_000_000 {
		t.Errorf("ParseExpires = %d %v", n, err)
	}
}

func TestNewSignerChecks(t *testing.T) {
	t.Parallel()
	if _, err := storage.NewSigner(storage.Secret(strings.Repeat("k", 31)), "/api/v1/files/x/"); err == nil {
		t.Error("accepted a 31-byte secret")
	}
	if _, err := storage.NewSigner(storage.Secret(strings.Repeat("k", 32)), "/api/v1/files/x"); err == nil {
		t.Error("accepted a prefix without a trailing slash")
	}
}

// The secret never shows in prints, logs or JSON.
func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	const raw = "super-secret-signing-key-0123456789"
	cfg := storage.Config{Dir: "/x", SigningKey: storage.Secret(raw), URLTTL: time.Minute}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "storage", cfg, "key", cfg.SigningKey)
	js, _ := json.Marshal(cfg)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%q": fmt.Sprintf("%q", cfg.SigningKey), "%x": fmt.Sprintf("%x", cfg.SigningKey),
		"slog": logged.String(), "json": string(js),
	} {
		if strings.Contains(out, raw) || strings.Contains(out, fmt.Sprintf("%x", []byte(raw))) || strings.Contains(out, strconv.Quote(raw)) {
			t.Errorf("%s shows the secret: %s", name, out)
		}
	}
}
