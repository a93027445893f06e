package webhooks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// SendGrid's published verification vector (its helper libraries' tests).
const (
	sgVectorKey       = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
	sgVectorSignature = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
	sgVectorTimestamp = 1600112502
)

func sendgridRequest(body []byte, sig, ts string) *http.Request {
	r := post("/api/v1/outreach/webhooks/sendgrid", body)
	if sig != "" {
		r.Header.Set(HeaderSendGridSignature, sig)
	}
	if ts != "" {
		r.Header.Set(HeaderSendGridTimestamp, ts)
	}
	return r
}

func TestSendGridVerifiesThePublishedVector(t *testing.T) {
	t.Parallel()
	body := fixture(t, "sendgrid/helper_vector.json")
	ts := strconv.Itoa(sgVectorTimestamp)
	sent := time.Unix(sgVectorTimestamp, 0)
	d, err := NewSendGrid(sgVectorKey, WithClock(at(sent.Add(time.Minute))))
	wantErr(t, err, nil)
	got, err := d.Decode(context.Background(), sendgridRequest(body, sgVectorSignature, ts), body)
	wantErr(t, err, nil)
	want := Event{
		Provider: "sendgrid", ProviderEventID: "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA", Type: BouncedHard,
		ProviderMessageID: "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
		Recipient:         "hello@world.com", Detail: "dropped: Bounced Address", At: time.Unix(1600112492, 0).UTC(),
	}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	late, _ := NewSendGrid(sgVectorKey, WithClock(at(sent.Add(DefaultTolerance+time.Second))))
	_, err = late.Decode(context.Background(), sendgridRequest(body, sgVectorSignature, ts), body)
	wantErr(t, err, ErrUnauthorized)

	trimmed := []byte(strings.TrimSuffix(string(body), "\r\n"))
	_, err = d.Decode(context.Background(), sendgridRequest(trimmed, sgVectorSignature, ts), trimmed)
	wantErr(t, err, ErrUnauthorized) // the raw bytes are signed, line end included
}

// sgKey is a test key pair in SendGrid's formats.
type sgKey struct {
	priv   *ecdsa.PrivateKey
	base64 string
	pem    string
}

func newSGKey(t testing.TB) sgKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return sgKey{priv: priv, base64: base64.StdEncoding.EncodeToString(der), pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

func (k sgKey) sign(t testing.TB, ts string, body []byte) string {
	t.Helper()
	d := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func TestSendGridMapsEachEvent(t *testing.T) {
	t.Parallel()
	key := newSGKey(t)
	clock := testkit.NewClock()
	body := fixture(t, "sendgrid/events.json")
	ts := strconv.FormatInt(clock.Now().Unix(), 10)
	for name, pub := range map[string]string{"base64 DER key": key.base64, "PEM key": key.pem} {
		t.Run(name, func(t *testing.T) {
			d, err := NewSendGrid(pub, WithClock(clock.Now))
			wantErr(t, err, nil)
			got, err := d.Decode(context.Background(), sendgridRequest(body, key.sign(t, ts, body), ts), body)
			wantErr(t, err, nil)
			type row struct {
				id     string
				typ    Type
				detail string
				url    string
			}
			want := []row{ // processed and group_resubscribe give none
				{"t7LEShmowp86DTdUW8M-GQ==", Deferred, "400 try again later", ""},
				{"rWVYmVk90MjZJ9iohOBa3w==", Delivered, "250 OK", ""},
				{"FOTFFO0ecsBE-zxFXfs6WA==", Opened, "", ""},
				{"kCAi1KttyQdEKHhdC-nuEA==", Clicked, "", "http://www.sendgrid.com/"},
				{"6g4ZI7SA-xmRDv57GoPIPw==", BouncedHard, "bounce 5.0.0 500 unknown recipient", ""},
				{"blocked-0001", BouncedSoft, "blocked 5.7.1 550 blocked by policy", ""},
				{"zmzJhfJgAfUSOW80yEbPyw==", BouncedHard, "dropped: Bounced Address", ""},
				{"37nvH5QBz858KGVYCM4uOA==", Complained, "spamreport", ""},
				{"zz_BjPgU_5pS-J8vlfB1sg==", Unsubscribe, "unsubscribe", ""},
				{"ahSCB7xYcXFb-hEaawsPRw==", Unsubscribe, "group_unsubscribe", "http://www.sendgrid.com/"},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
			}
			for i, w := range want {
				g := got[i]
				if g.ProviderEventID != w.id || g.Type != w.typ || g.Detail != w.detail || g.URL != w.url ||
					g.MessageKey != "cmp1:tgt1:1:email" || g.Recipient != "example@test.com" || g.Provider != "sendgrid" ||
					g.ProviderMessageID != "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000" ||
					!g.At.Equal(time.Unix(1513299569, 0)) {
					t.Errorf("event %d: got %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestSendGridBounceHardOrSoft(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ, status, reason string
		want                Type
	}{
		{"bounce", "5.1.1", "550 5.1.1 no such user", BouncedHard},
		{"bounce", "4.2.2", "452 4.2.2 mailbox full", BouncedSoft},
		{"blocked", "5.7.1", "554 blocked", BouncedSoft},
		{"", "5.0.0", "", BouncedHard},
	} {
		got, _, ok := sendgridType(sendgridEvent{Event: "bounce", Type: tc.typ, Status: tc.status, Reason: tc.reason})
		if !ok || got != tc.want {
			t.Errorf("bounce type=%q status=%q: %s, want %s", tc.typ, tc.status, got, tc.want)
		}
	}
	got, _, _ := sendgridType(sendgridEvent{Event: "dropped", Reason: "Unsubscribed Address"})
	if got != Unsubscribe {
		t.Errorf("dropped as unsubscribed: %s, want %s", got, Unsubscribe)
	}
}

func TestSendGridRefusesUnsigned(t *testing.T) {
	t.Parallel()
	key, other := newSGKey(t), newSGKey(t)
	clock := testkit.NewClock()
	d, _ := NewSendGrid(key.base64, WithClock(clock.Now))
	body := fixture(t, "sendgrid/events.json")
	now := strconv.FormatInt(clock.Now().Unix(), 10)
	old := strconv.FormatInt(clock.Now().Add(-DefaultTolerance-time.Second).Unix(), 10)
	tests := []struct {
		name, sig, ts string
		body          []byte
	}{
		{"no headers", "", "", body},
		{"no timestamp", key.sign(t, now, body), "", body},
		{"no signature", "", now, body},
		{"another key", other.sign(t, now, body), now, body},
		{"body changed", key.sign(t, now, body), now, []byte(strings.Replace(string(body), `"bounce"`, `"delivered"`, 1))},
		{"timestamp changed", key.sign(t, now, body), strconv.FormatInt(clock.Now().Unix()+1, 10), body},
		{"replayed", key.sign(t, old, body), old, body},
		{"signature not base64", "***", now, body},
		{"signature garbage", base64.StdEncoding.EncodeToString([]byte("garbage")), now, body},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := d.Decode(context.Background(), sendgridRequest(tc.body, tc.sig, tc.ts), tc.body)
			wantErr(t, err, ErrUnauthorized)
			if got != nil {
				t.Fatalf("events: %+v", got)
			}
		})
	}
}

func TestSendGridSignedButMalformed(t *testing.T) {
	t.Parallel()
	key := newSGKey(t)
	clock := testkit.NewClock()
	d, _ := NewSendGrid(key.base64, WithClock(clock.Now))
	ts := strconv.FormatInt(clock.Now().Unix(), 10)
	for name, body := range map[string]string{
		"not JSON":        "event=delivered",
		"an object":       `{"event":"delivered"}`,
		"no timestamp":    `[{"event":"delivered","sg_message_id":"m","email":"a@example.com"}]`,
		"no message":      `[{"event":"delivered","timestamp":1513299569,"email":"a@example.com"}]`,
		"email not text":  `[{"event":"delivered","timestamp":1513299569,"sg_message_id":"m","email":7}]`,
		"timestamp words": `[{"event":"delivered","timestamp":"noon","sg_message_id":"m"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := d.Decode(context.Background(), sendgridRequest([]byte(body), key.sign(t, ts, []byte(body)), ts), []byte(body))
			wantErr(t, err, ErrMalformed)
			if got != nil {
				t.Fatalf("events: %+v", got)
			}
		})
	}
}

func TestNewSendGridRefusesOtherKeys(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024) // #nosec G403 -- only to be refused
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	for name, k := range map[string]string{"empty": "", "not base64": "not a key!", "not a key": base64.StdEncoding.EncodeToString([]byte("hello")), "RSA": base64.StdEncoding.EncodeToString(der)} {
		if _, err := NewSendGrid(k); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
