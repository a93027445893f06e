package standardwebhooks_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/standardwebhooks"
)

// The specification's published test vector (standard-webhooks, spec and
// every reference library's tests).
const (
	vecSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTimestamp = 1614265330
	vecPayload   = `{"test": 2432232314}`
	vecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vecKey(t testing.TB) []byte {
	t.Helper()
	k, err := standardwebhooks.ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignMatchesTheSpecificationVector(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	if err := standardwebhooks.Sign(h, vecID, time.Unix(vecTimestamp, 0), []byte(vecPayload), vecKey(t)); err != nil {
		t.Fatal(err)
	}
	if got := h.Get(standardwebhooks.HeaderSignature); got != vecSignature {
		t.Fatalf("signature %q, want the vector's %q", got, vecSignature)
	}
	if h.Get(standardwebhooks.HeaderID) != vecID || h.Get(standardwebhooks.HeaderTimestamp) != strconv.Itoa(vecTimestamp) {
		t.Fatalf("headers %v", h)
	}
}

func TestVerifyAcceptsTheVectorAndRefusesTampering(t *testing.T) {
	t.Parallel()
	at := time.Unix(vecTimestamp, 0)
	signed := func() http.Header {
		return http.Header{
			"Webhook-Id": {vecID}, "Webhook-Timestamp": {strconv.Itoa(vecTimestamp)}, "Webhook-Signature": {vecSignature},
		}
	}
	id, err := standardwebhooks.Verify(signed(), []byte(vecPayload), at.Add(4*time.Minute), standardwebhooks.DefaultTolerance, vecKey(t))
	if err != nil || id != vecID {
		t.Fatalf("Verify(vector) = %q, %v", id, err)
	}
	other := bytes.Repeat([]byte{7}, 32)
	for _, tc := range []struct {
		name string
		edit func(http.Header)
		body string
		now  time.Time
		keys [][]byte
	}{
		{name: "body changed", body: `{"test": 2432232315}`},
		{name: "id changed", edit: func(h http.Header) { h.Set(standardwebhooks.HeaderID, "msg_other") }},
		{name: "timestamp changed", edit: func(h http.Header) { h.Set(standardwebhooks.HeaderTimestamp, strconv.Itoa(vecTimestamp+1)) }},
		{name: "timestamp signed", edit: func(h http.Header) { h.Set(standardwebhooks.HeaderTimestamp, "+"+strconv.Itoa(vecTimestamp)) }},
		{name: "too old", now: at.Add(6 * time.Minute)},
		{name: "from the future", now: at.Add(-6 * time.Minute)},
		{name: "another key", keys: [][]byte{other}},
		{name: "other version", edit: func(h http.Header) {
			h.Set(standardwebhooks.HeaderSignature, "v2,"+strings.TrimPrefix(vecSignature, "v1,"))
		}},
		{name: "no signature", edit: func(h http.Header) { h.Del(standardwebhooks.HeaderSignature) }},
		{name: "signature past the bound", edit: func(h http.Header) {
			h.Set(standardwebhooks.HeaderSignature, strings.Repeat("v1,AAAA ", standardwebhooks.MaxSignatures)+vecSignature)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := signed()
			if tc.edit != nil {
				tc.edit(h)
			}
			body, now, keys := vecPayload, at, [][]byte{vecKey(t)}
			if tc.body != "" {
				body = tc.body
			}
			if !tc.now.IsZero() {
				now = tc.now
			}
			if tc.keys != nil {
				keys = tc.keys
			}
			if _, err := standardwebhooks.Verify(h, []byte(body), now, standardwebhooks.DefaultTolerance, keys...); !errors.Is(err, standardwebhooks.ErrInvalid) {
				t.Fatalf("Verify = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestRotationSendsBothSignatures: signed with the new and the old key, a
// message verifies under either alone, and carries the vector's signature
// for the old one.
func TestRotationSendsBothSignatures(t *testing.T) {
	t.Parallel()
	fresh, err := standardwebhooks.NewSecret(rand.Reader, 32)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := standardwebhooks.ParseSecret(fresh)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(vecTimestamp, 0)
	h := http.Header{}
	if err := standardwebhooks.Sign(h, vecID, at, []byte(vecPayload), newKey, vecKey(t)); err != nil {
		t.Fatal(err)
	}
	sigs := strings.Fields(h.Get(standardwebhooks.HeaderSignature))
	if len(sigs) != 2 || sigs[1] != vecSignature || sigs[0] == vecSignature {
		t.Fatalf("signatures %q, want the new key's then the vector's", sigs)
	}
	for name, key := range map[string][]byte{"new": newKey, "old": vecKey(t)} {
		if _, err := standardwebhooks.Verify(h, []byte(vecPayload), at, time.Minute, key); err != nil {
			t.Errorf("the %s key alone: %v", name, err)
		}
	}
}

func TestSecretsAreChecked(t *testing.T) {
	t.Parallel()
	short := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, standardwebhooks.MinKeyBytes-1))
	for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", short} {
		if _, err := standardwebhooks.ParseSecret(s); err == nil {
			t.Errorf("ParseSecret accepted %q", s)
		}
	}
	for _, n := range []int{standardwebhooks.MinKeyBytes - 1, standardwebhooks.MaxKeyBytes + 1} {
		if _, err := standardwebhooks.NewSecret(rand.Reader, n); err == nil {
			t.Errorf("NewSecret made a key of %d bytes", n)
		}
	}
	for _, n := range []int{standardwebhooks.MinKeyBytes, standardwebhooks.MaxKeyBytes} {
		s, err := standardwebhooks.NewSecret(rand.Reader, n)
		if err != nil {
			t.Fatal(err)
		}
		if k, err := standardwebhooks.ParseSecret(s); err != nil || len(k) != n {
			t.Errorf("NewSecret(%d) = %q: parses to %d bytes, %v", n, s, len(k), err)
		}
	}
	for _, id := range []string{"", "has.dot", "has space", strings.Repeat("a", standardwebhooks.MaxIDLen+1)} {
		if err := standardwebhooks.Sign(http.Header{}, id, time.Now(), nil, vecKey(t)); err == nil {
			t.Errorf("Sign accepted the id %q", id)
		}
	}
	if err := standardwebhooks.Sign(http.Header{}, "msg_1", time.Now(), nil); err == nil {
		t.Error("Sign signed with no key")
	}
}

// FuzzVerify: whatever the headers and body, Verify never panics, and
// accepts only what the key signed.
func FuzzVerify(f *testing.F) {
	key := bytes.Repeat([]byte{1}, 32)
	now := time.Unix(vecTimestamp, 0)
	h := http.Header{}
	if err := standardwebhooks.Sign(h, "msg_1", now, []byte("{}"), key); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("{}"), "msg_1", strconv.Itoa(vecTimestamp), h.Get(standardwebhooks.HeaderSignature))
	f.Add([]byte(vecPayload), vecID, strconv.Itoa(vecTimestamp), vecSignature)
	f.Add([]byte(""), "", "", "")
	f.Add([]byte("x"), "m", "99999999999", "v1, v1,=== v2,abc")
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig string) {
		in := http.Header{}
		in.Set(standardwebhooks.HeaderID, id)
		in.Set(standardwebhooks.HeaderTimestamp, ts)
		in.Set(standardwebhooks.HeaderSignature, sig)
		got, err := standardwebhooks.Verify(in, body, now, standardwebhooks.DefaultTolerance, key)
		if err != nil {
			return
		}
		// Accepted: the key must sign exactly this.
		again := http.Header{}
		at, _ := strconv.ParseInt(in.Get(standardwebhooks.HeaderTimestamp), 10, 64)
		if err := standardwebhooks.Sign(again, got, time.Unix(at, 0), body, key); err != nil {
			return // an id Verify may read but Sign would not make
		}
		if !strings.Contains(in.Get(standardwebhooks.HeaderSignature), again.Get(standardwebhooks.HeaderSignature)) {
			t.Fatalf("accepted %q for id %q ts %q: not the key's signature %q", sig, id, ts, again.Get(standardwebhooks.HeaderSignature))
		}
	})
}
