package webhooks

import (
	"net/http"
	"time"

	"reos.dev/pkg/standardwebhooks"
)

// The Standard Webhooks scheme (standardwebhooks.com), which the mock
// provider's events use, is pkg/standardwebhooks (platform's webhooks out
// sign with it too); these are outreach's names for it.
const (
	HeaderWebhookID        = standardwebhooks.HeaderID
	HeaderWebhookTimestamp = standardwebhooks.HeaderTimestamp
	HeaderWebhookSignature = standardwebhooks.HeaderSignature

	// MinStandardKeyBytes is the shortest key accepted (the spec's lower
	// bound, 192 bits).
	MinStandardKeyBytes = standardwebhooks.MinKeyBytes
)

// ParseStandardSecret decodes a "whsec_<base64>" secret into its key.
func ParseStandardSecret(secret string) ([]byte, error) {
	return standardwebhooks.ParseSecret(secret)
}

// SignStandard sets the three Standard Webhooks headers on h for body, sent
// as message id at time at under secret ("whsec_…"). The mock sender and
// the tests sign with it.
func SignStandard(h http.Header, secret, id string, at time.Time, body []byte) error {
	key, err := ParseStandardSecret(secret)
	if err != nil {
		return err
	}
	return standardwebhooks.Sign(h, id, at, body, key)
}

// verifyStandard checks h's Standard Webhooks signature of body under key
// and the timestamp's window, and returns the message id; a refusal is
// ErrUnauthorized.
func verifyStandard(h http.Header, key, body []byte, now time.Time, tolerance time.Duration) (string, error) {
	id, err := standardwebhooks.Verify(h, body, now, tolerance, key)
	if err != nil {
		return "", unauthorized(err.Error())
	}
	return id, nil
}
