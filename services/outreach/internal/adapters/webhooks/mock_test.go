package webhooks

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// The Standard Webhooks specification's reference vector.
const (
	swSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTimestamp = 1614265330
	swPayload   = `{"test": 2432232314}`
	swSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignStandardMatchesTheSpecificationVector(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	wantErr(t, SignStandard(h, swSecret, swID, time.Unix(swTimestamp, 0), []byte(swPayload)), nil)
	if got := h.Get(HeaderWebhookSignature); got != swSignature {
		t.Fatalf("signature %q, want the vector's %q", got, swSignature)
	}
	if h.Get(HeaderWebhookID) != swID || h.Get(HeaderWebhookTimestamp) != "1614265330" {
		t.Fatalf("headers %v", h)
	}
	key, err := ParseStandardSecret(swSecret)
	wantErr(t, err, nil)
	id, err := verifyStandard(h, key, []byte(swPayload), time.Unix(swTimestamp, 0).Add(4*time.Minute), DefaultTolerance)
	wantErr(t, err, nil)
	if id != swID {
		t.Fatalf("id %q", id)
	}
}

func TestStandardSecretsAreChecked(t *testing.T) {
	t.Parallel()
	short := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, MinStandardKeyBytes-1))
	for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", short} {
		if _, err := NewMock(s); err == nil {
			t.Errorf("NewMock accepted the secret %q", s)
		}
	}
	if err := SignStandard(http.Header{}, swSecret, "has.dot", time.Now(), nil); err == nil {
		t.Error("SignStandard accepted an id with a dot (the separator of the signed content)")
	}
}

func mockEvents(at time.Time) []Event {
	return []Event{
		{Provider: "mock", ProviderEventID: "mock-1:delivered", Type: Delivered, MessageKey: "cmp1:tgt1:1:email", ProviderMessageID: "mock-1", Recipient: "a@example.com", At: at},
		{Provider: "mock", ProviderEventID: "mock-2:bounced_hard", Type: BouncedHard, MessageKey: "cmp1:tgt2:1:email", ProviderMessageID: "mock-2", Recipient: "hard@example.com", Detail: "550 5.1.1 user unknown", At: at},
		{Provider: "mock", ProviderEventID: "mock-3:clicked", Type: Clicked, MessageKey: "cmp1:tgt3:1:email", ProviderMessageID: "mock-3", Recipient: "c@example.com", URL: "https://example.com/listing/1", At: at},
		{Provider: "mock", ProviderEventID: "mock-4-reply", Type: Inbound, ProviderMessageID: "mock-4-reply", Recipient: "+15558675310", To: "+15017122661", Body: "STOP", At: at},
	}
}

func signedMockRequest(t testing.TB, body []byte, secret, id string, when time.Time) *http.Request {
	t.Helper()
	r := post("/api/v1/outreach/webhooks/mock", body)
	wantErr(t, SignStandard(r.Header, secret, id, when, body), nil)
	return r
}

func TestMockRoundTrip(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	m, err := NewMock(swSecret, WithClock(clock.Now))
	wantErr(t, err, nil)
	sent := mockEvents(clock.Now().Add(-time.Second))
	body, err := EncodeMock(sent)
	wantErr(t, err, nil)
	got, err := m.Decode(context.Background(), signedMockRequest(t, body, swSecret, "msg_1", clock.Now()), body)
	wantErr(t, err, nil)
	if len(got) != len(sent) {
		t.Fatalf("got %d events, want %d", len(got), len(sent))
	}
	for i := range sent {
		if got[i] != sent[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], sent[i])
		}
	}
}

func TestMockGivesEventsWithoutAnIDTheMessagesID(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	m, _ := NewMock(swSecret, WithClock(clock.Now))
	body := []byte(`[{"type":"delivered","message_key":"k1","at":"2026-01-01T00:00:00Z"},{"type":"opened","message_key":"k1","at":"2026-01-01T00:01:00Z"}]`)
	got, err := m.Decode(context.Background(), signedMockRequest(t, body, swSecret, "msg_42", clock.Now()), body)
	wantErr(t, err, nil)
	if len(got) != 2 || got[0].ProviderEventID != "msg_42:0" || got[1].ProviderEventID != "msg_42:1" {
		t.Fatalf("got %+v", got)
	}
}

func TestMockRefusesUnsignedAndReplayed(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	m, _ := NewMock(swSecret, WithClock(clock.Now))
	body, _ := EncodeMock(mockEvents(clock.Now()))
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-24-byte"))
	tests := []struct {
		name string
		req  func() *http.Request
	}{
		{"no headers", func() *http.Request { return post("/", body) }},
		{"other secret", func() *http.Request { return signedMockRequest(t, body, other, "msg_1", clock.Now()) }},
		{"six minutes old", func() *http.Request {
			return signedMockRequest(t, body, swSecret, "msg_1", clock.Now().Add(-DefaultTolerance-time.Minute))
		}},
		{"six minutes ahead", func() *http.Request {
			return signedMockRequest(t, body, swSecret, "msg_1", clock.Now().Add(DefaultTolerance+time.Minute))
		}},
		{"id changed", func() *http.Request {
			r := signedMockRequest(t, body, swSecret, "msg_1", clock.Now())
			r.Header.Set(HeaderWebhookID, "msg_2")
			return r
		}},
		{"timestamp moved", func() *http.Request {
			r := signedMockRequest(t, body, swSecret, "msg_1", clock.Now())
			r.Header.Set(HeaderWebhookTimestamp, r.Header.Get(HeaderWebhookTimestamp)+"0")
			return r
		}},
		{"timestamp not a number", func() *http.Request {
			r := signedMockRequest(t, body, swSecret, "msg_1", clock.Now())
			r.Header.Set(HeaderWebhookTimestamp, "+"+r.Header.Get(HeaderWebhookTimestamp))
			return r
		}},
		{"only another version's signature", func() *http.Request {
			r := signedMockRequest(t, body, swSecret, "msg_1", clock.Now())
			r.Header.Set(HeaderWebhookSignature, "v1a,"+strings.TrimPrefix(r.Header.Get(HeaderWebhookSignature), "v1,"))
			return r
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Decode(context.Background(), tc.req(), body)
			wantErr(t, err, ErrUnauthorized)
			if got != nil {
				t.Fatalf("events: %+v", got)
			}
		})
	}
	t.Run("body changed", func(t *testing.T) {
		r := signedMockRequest(t, body, swSecret, "msg_1", clock.Now())
		changed := []byte(strings.Replace(string(body), "bounced_hard", "delivered", 1))
		_, err := m.Decode(context.Background(), r, changed)
		wantErr(t, err, ErrUnauthorized)
	})
	t.Run("the same request after the window", func(t *testing.T) {
		r := signedMockRequest(t, body, swSecret, "msg_1", clock.Now())
		_, err := m.Decode(context.Background(), r, body)
		wantErr(t, err, nil)
		clock.Advance(DefaultTolerance + time.Second)
		_, err = m.Decode(context.Background(), r, body)
		wantErr(t, err, ErrUnauthorized)
	})
}

func TestMockAcceptsAnyMatchingSignatureDuringRotation(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	m, _ := NewMock(swSecret, WithClock(clock.Now))
	body, _ := EncodeMock(mockEvents(clock.Now()))
	r := signedMockRequest(t, body, swSecret, "msg_1", clock.Now())
	r.Header.Set(HeaderWebhookSignature, "v1,bm90IHRoaXMgb25l "+r.Header.Get(HeaderWebhookSignature))
	_, err := m.Decode(context.Background(), r, body)
	wantErr(t, err, nil)
}

func TestMockSignedButMalformed(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	m, _ := NewMock(swSecret, WithClock(clock.Now))
	for name, body := range map[string]string{
		"not JSON":      "delivered",
		"an object":     `{"type":"delivered"}`,
		"unknown type":  `[{"type":"exploded","message_key":"k","at":"2026-01-01T00:00:00Z"}]`,
		"no time":       `[{"type":"delivered","message_key":"k"}]`,
		"no message":    `[{"type":"delivered","at":"2026-01-01T00:00:00Z"}]`,
		"unknown field": `[{"type":"delivered","message_key":"k","at":"2026-01-01T00:00:00Z","extra":1}]`,
		"trailing data": `[] []`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := m.Decode(context.Background(), signedMockRequest(t, []byte(body), swSecret, "msg_1", clock.Now()), []byte(body))
			wantErr(t, err, ErrMalformed)
			if got != nil {
				t.Fatalf("events: %+v", got)
			}
		})
	}
}
