package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks scheme (standardwebhooks.com), which the mock
// provider's events use and platform's webhooks out will use: the signed
// content is "<webhook-id>.<webhook-timestamp>.<body>", the signature
// "v1,<base64 HMAC-SHA256>", the secret "whsec_<base64 key>". It is kept
// small and self-contained here; it is the candidate for pkg/ when
// platform needs it.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"

	standardSecretPrefix = "whsec_"
	standardSigPrefix    = "v1,"
	// MinStandardKeyBytes is the shortest key accepted (the spec's lower
	// bound, 192 bits).
	MinStandardKeyBytes = 24
	// maxSignatures bounds the space-separated list in webhook-signature
	// (several are sent while a secret rotates).
	maxSignatures = 8
	maxWebhookID  = 256
)

// ParseStandardSecret decodes a "whsec_<base64>" secret into its key.
func ParseStandardSecret(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, standardSecretPrefix)
	if !ok {
		return nil, errors.New("webhooks: the secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, errors.New("webhooks: the secret after whsec_ is not standard base64")
	}
	if len(key) < MinStandardKeyBytes {
		return nil, fmt.Errorf("webhooks: the secret's key must be at least %d bytes", MinStandardKeyBytes)
	}
	return key, nil
}

// SignStandard sets the three Standard Webhooks headers on h for body, sent
// as message id at time at under secret ("whsec_…"). The mock sender and
// the tests sign with it.
func SignStandard(h http.Header, secret, id string, at time.Time, body []byte) error {
	key, err := ParseStandardSecret(secret)
	if err != nil {
		return err
	}
	if id == "" || len(id) > maxWebhookID || strings.ContainsAny(id, ". \t\r\n") {
		return errors.New("webhooks: the message id must be 1-256 characters without dots or spaces")
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, ts)
	h.Set(HeaderWebhookSignature, standardSigPrefix+base64.StdEncoding.EncodeToString(standardMAC(key, id, ts, body)))
	return nil
}

func standardMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// verifyStandard checks h's Standard Webhooks signature of body under key
// and the timestamp's window, and returns the message id. Every listed
// signature is compared (hmac.Equal, no early exit on a match), so the time
// taken does not say which, if any, matched.
func verifyStandard(h http.Header, key, body []byte, now time.Time, tolerance time.Duration) (string, error) {
	id, ts, sigs := h.Get(HeaderWebhookID), h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return "", unauthorized("standard webhooks headers missing")
	}
	if len(id) > maxWebhookID {
		return "", unauthorized("webhook-id too long")
	}
	if _, err := checkUnixTimestamp(ts, now, tolerance); err != nil {
		return "", unauthorized(err.Error())
	}
	want := standardMAC(key, id, ts, body)
	match := false
	for i, s := range strings.Fields(sigs) {
		if i == maxSignatures {
			break
		}
		enc, ok := strings.CutPrefix(s, standardSigPrefix)
		if !ok {
			continue // another version's signature
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			match = true
		}
	}
	if !match {
		return "", unauthorized("no webhook-signature matches")
	}
	return id, nil
}
