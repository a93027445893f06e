package storage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
)

// Signed URL limits.
const (
	// MinSecretBytes is the shortest signing secret accepted: HMAC-SHA256's
	// block of security, 256 bits.
	MinSecretBytes = 32
	// MaxTTL bounds how long a signed URL may live; Verify refuses an
	// expiry further ahead, so even a signer bug cannot mint a permanent link.
	MaxTTL = 7 * 24 * time.Hour
	// maxExpiresDigits bounds the expires parameter before it is parsed.
	maxExpiresDigits = 12
)

// FilesPrefix is the public path under which a service serves its files.
func FilesPrefix(service string) string { return "/api/v1/files/" + service + "/" }

// Secret is key material that never prints: fmt, slog and JSON show
// "[redacted]".
type Secret []byte

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "storage.Secret([redacted])" }

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalText hides the secret from encoders.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Signer makes and checks expiring download URLs for one service's files:
// sig = HMAC-SHA256(secret, prefix + key + "\n" + expires), base64url without
// padding. The prefix is part of what is signed, so a URL for one service's
// file is worthless at another service even under the same secret.
type Signer struct {
	secret []byte
	prefix string
}

// NewSigner returns a signer for URLs under prefix (FilesPrefix(service)).
func NewSigner(secret Secret, prefix string) (*Signer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("storage: signing secret must be at least %d bytes", MinSecretBytes)
	}
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("storage: URL prefix %q must start and end with /", prefix)
	}
	return &Signer{secret: append([]byte(nil), secret...), prefix: prefix}, nil
}

// Prefix is the path the signed URLs start with.
func (s *Signer) Prefix() string { return s.prefix }

// SignedURL is a download link and the moment it stops working; in JSON
// "url" and "url_expires_at" (UTC). The name says whose expiry it is: a
// file resource has dates of its own (created_at, an import's
// file_expires_at), and the link's is not the file's.
type SignedURL struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"url_expires_at"`
}

// SignedFile is the one shape every service shows a stored file in: what
// the upload intake recorded of it and a signed link to it. A service's
// file response embeds it beside the row's own fields (id, owner,
// uploaded_by, created_at).
type SignedFile struct {
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	SizeBytes   int64  `json:"size_bytes"`
	SHA256      string `json:"sha256"`
	SignedURL
}

// URL signs a link to key valid until expires (whole seconds, rounded down).
func (s *Signer) URL(key string, expires time.Time) (SignedURL, error) {
	if err := ValidateKey(key); err != nil {
		return SignedURL{}, err
	}
	exp := expires.Unix()
	return SignedURL{
		URL:       s.prefix + key + "?expires=" + strconv.FormatInt(exp, 10) + "&sig=" + s.sign(key, exp),
		ExpiresAt: time.Unix(exp, 0).UTC(),
	}, nil
}

func (s *Signer) sign(key string, expires int64) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(key, expires))
}

func (s *Signer) mac(key string, expires int64) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(s.prefix))
	m.Write([]byte(key))
	m.Write([]byte{'\n'})
	m.Write([]byte(strconv.FormatInt(expires, 10)))
	return m.Sum(nil)
}

// Errors of Verify; both answer 403.
const (
	ReasonURLInvalid = "file_url_invalid"
	ReasonURLExpired = "file_url_expired"
)

func errURL(reason, field, msg string) error {
	e := apperr.Forbidden(reason, msg)
	e.Fields = []apperr.FieldError{{Field: field, Message: msg}}
	return e
}

// Verify checks that sig signs key and expires and that expires is after
// now (and not further than MaxTTL ahead). The comparison is constant-time.
func (s *Signer) Verify(key string, expires int64, sig string, now time.Time) error {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return errURL(ReasonURLInvalid, "sig", "is not a valid signature")
	}
	if !hmac.Equal(got, s.mac(key, expires)) {
		return errURL(ReasonURLInvalid, "sig", "does not match this file and expiry")
	}
	if now.Unix() >= expires {
		return errURL(ReasonURLExpired, "expires", "the link has expired")
	}
	if time.Unix(expires, 0).Sub(now) > MaxTTL+time.Minute {
		return errURL(ReasonURLInvalid, "expires", "is too far in the future")
	}
	return nil
}

// ParseExpires reads the expires parameter: decimal unix seconds, digits only.
func ParseExpires(v string) (int64, error) {
	if v == "" || len(v) > maxExpiresDigits {
		return 0, errURL(ReasonURLInvalid, "expires", "must be a unix time in seconds")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, errURL(ReasonURLInvalid, "expires", "must be a unix time in seconds")
		}
	}
	return strconv.ParseInt(v, 10, 64) // 12 digits always fit
}
