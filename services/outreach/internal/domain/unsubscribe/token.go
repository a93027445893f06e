// Package unsubscribe makes and checks the signed tokens of unsubscribe
// links (List-Unsubscribe and the link in every message). A token says,
// under an HMAC-SHA256 of the service's secret, which organisation's
// recipient (channel and address, with the contact, lead and campaign it
// was sent for) it unsubscribes: the link works without login, and a
// token changed by one bit is refused. Tokens do not expire: CAN-SPAM asks
// that an opt-out link work for at least 30 days after sending, and an
// old message's link must still work when its reader finally acts on it.
package unsubscribe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// MinSecretLen is the shortest secret accepted (32 bytes: SHA-256's size).
const MinSecretLen = 32

// MaxTokenLen bounds a token read from a request.
const MaxTokenLen = 2048

// version prefixes every token, so a later format can be told apart.
const version = "u1"

// ErrInvalid is a token that is malformed or not signed with the secret.
var ErrInvalid = errors.New("unsubscribe: invalid token")

// Claims are what a token unsubscribes.
type Claims struct {
	OrgID      string `json:"o"`
	Channel    string `json:"ch"`
	Address    string `json:"a"`
	ContactID  string `json:"c,omitempty"`
	LeadID     string `json:"l,omitempty"`
	CampaignID string `json:"k,omitempty"`
}

// Signer signs and verifies tokens with one secret. Its zero value is not
// usable; the secret is never printed.
type Signer struct{ secret []byte }

// NewSigner returns a signer over secret (at least MinSecretLen bytes).
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, errors.New("unsubscribe: the secret must be at least 32 bytes")
	}
	return &Signer{secret: append([]byte(nil), secret...)}, nil
}

// String hides the secret.
func (s *Signer) String() string { return "unsubscribe.Signer{[redacted]}" }

// Sign returns the token of c: "u1.<claims>.<mac>", both base64url.
func (s *Signer) Sign(c Claims) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	body := version + "." + base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), nil
}

// Verify returns the claims of a token this signer made; anything else is
// ErrInvalid. The MAC is compared in constant time before the claims are
// read.
func (s *Signer) Verify(token string) (Claims, error) {
	if len(token) == 0 || len(token) > MaxTokenLen || !tokenChars(token) {
		return Claims{}, ErrInvalid
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return Claims{}, ErrInvalid
	}
	body, sig := token[:i], token[i+1:]
	mac, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(mac, s.mac(body)) {
		return Claims{}, ErrInvalid
	}
	v, payload, ok := strings.Cut(body, ".")
	if !ok || v != version {
		return Claims{}, ErrInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var c Claims
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return Claims{}, ErrInvalid
	}
	if c.check() != nil {
		return Claims{}, ErrInvalid
	}
	return c, nil
}

// tokenChars reports whether s holds only base64url's alphabet and dots:
// encoding/base64 skips \r and \n even in strict mode, so without this
// one token would have many spellings (found by FuzzVerify).
func tokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (s *Signer) mac(body string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte("reos.outreach.unsubscribe\n" + body))
	return h.Sum(nil)
}

// check refuses claims that name no organisation, channel or address, or
// ids that are not UUIDs.
func (c Claims) check() error {
	if !canonical(c.OrgID) || (c.Channel != "email" && c.Channel != "sms") || c.Address == "" || len(c.Address) > 254 {
		return ErrInvalid
	}
	for _, id := range []string{c.ContactID, c.LeadID, c.CampaignID} {
		if id != "" && !canonical(id) {
			return ErrInvalid
		}
	}
	return nil
}

func canonical(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}
