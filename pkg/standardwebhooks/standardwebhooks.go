// Package standardwebhooks signs and verifies webhooks by the Standard
// Webhooks specification (standardwebhooks.com): the signed content is
// "<webhook-id>.<webhook-timestamp>.<body>", each signature
// "v1,<base64 HMAC-SHA256>" under a secret "whsec_<base64 key>", and
// webhook-signature a space-separated list of them, so a receiver accepts
// a message signed with either secret while one is rotated. Platform's
// webhooks out sign with it; outreach's mock provider signs and verifies
// its events with it.
package standardwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed message.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Bounds of secrets and messages.
const (
	// SecretPrefix starts every secret.
	SecretPrefix = "whsec_"
	// MinKeyBytes and MaxKeyBytes bound a secret's key (the spec's 192 to
	// 512 bits); ParseSecret accepts longer keys made elsewhere, NewSecret
	// makes keys within them.
	MinKeyBytes = 24
	MaxKeyBytes = 64
	// MaxIDLen bounds webhook-id.
	MaxIDLen = 256
	// MaxSignatures bounds how many signatures of webhook-signature are
	// looked at (several are sent while a secret rotates).
	MaxSignatures = 8
	// DefaultTolerance is how far webhook-timestamp may be from the
	// receiver's clock (the spec's 5 minutes), either way.
	DefaultTolerance = 5 * time.Minute

	sigPrefix     = "v1,"
	maxUnixDigits = 11 // Unix seconds up to the year 5138
)

// ErrInvalid is wrapped by every refusal of Verify.
var ErrInvalid = errors.New("standardwebhooks: invalid signature")

// ParseSecret decodes a "whsec_<base64>" secret into its key.
func ParseSecret(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, errors.New("standardwebhooks: the secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, errors.New("standardwebhooks: the secret after whsec_ is not standard base64")
	}
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("standardwebhooks: the secret's key must be at least %d bytes", MinKeyBytes)
	}
	return key, nil
}

// NewSecret returns a fresh secret of n random bytes from random
// (crypto/rand.Reader), n from MinKeyBytes to MaxKeyBytes.
func NewSecret(random io.Reader, n int) (string, error) {
	if n < MinKeyBytes || n > MaxKeyBytes {
		return "", fmt.Errorf("standardwebhooks: a key has %d to %d bytes, not %d", MinKeyBytes, MaxKeyBytes, n)
	}
	key := make([]byte, n)
	if _, err := io.ReadFull(random, key); err != nil {
		return "", fmt.Errorf("standardwebhooks: read random key: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// CheckID reports whether id may be a webhook-id: 1 to MaxIDLen
// characters, none of them the content's separator "." or a space.
func CheckID(id string) error {
	if id == "" || len(id) > MaxIDLen || strings.ContainsAny(id, ". \t\r\n") {
		return errors.New("standardwebhooks: the message id must be 1-256 characters without dots or spaces")
	}
	return nil
}

// Sign sets the three headers on h for body, sent as message id at time
// at, with one signature per key (the new secret's first during a
// rotation). At least one key is needed.
func Sign(h http.Header, id string, at time.Time, body []byte, keys ...[]byte) error {
	if err := CheckID(id); err != nil {
		return err
	}
	if len(keys) == 0 || len(keys) > MaxSignatures {
		return fmt.Errorf("standardwebhooks: sign with 1 to %d keys", MaxSignatures)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	sigs := make([]string, len(keys))
	for i, k := range keys {
		if len(k) < MinKeyBytes {
			return fmt.Errorf("standardwebhooks: a key must be at least %d bytes", MinKeyBytes)
		}
		sigs[i] = sigPrefix + base64.StdEncoding.EncodeToString(mac(k, id, ts, body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return nil
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks h's signature of body under any of keys and the
// timestamp's distance from now (at most tolerance either way), and
// returns the message id. Every listed signature is compared with every
// key (hmac.Equal, no early exit), so the time taken does not say which,
// if any, matched. Refusals wrap ErrInvalid.
func Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration, keys ...[]byte) (string, error) {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return "", invalid("standard webhooks headers missing")
	}
	if len(id) > MaxIDLen {
		return "", invalid("webhook-id too long")
	}
	if !withinTolerance(ts, now, tolerance) {
		return "", invalid("timestamp missing, unreadable or outside the replay window")
	}
	wants := make([][]byte, len(keys))
	for i, k := range keys {
		wants[i] = mac(k, id, ts, body)
	}
	match := false
	for i, s := range strings.Fields(sigs) {
		if i == MaxSignatures {
			break
		}
		enc, ok := strings.CutPrefix(s, sigPrefix)
		if !ok {
			continue // another version's signature
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		for _, want := range wants {
			if hmac.Equal(got, want) {
				match = true
			}
		}
	}
	if !match {
		return "", invalid("no webhook-signature matches")
	}
	return id, nil
}

func invalid(why string) error { return fmt.Errorf("%w: %s", ErrInvalid, why) }

// withinTolerance parses Unix seconds (digits only) and checks them
// against now.
func withinTolerance(v string, now time.Time, tolerance time.Duration) bool {
	if v == "" || len(v) > maxUnixDigits {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(sec, 0))
	return d <= tolerance && d >= -tolerance
}
