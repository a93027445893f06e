package webhooks

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkDecode measures each decoder on a documented payload, signature
// check included (the SNS certificate cached after the first request).
func BenchmarkDecode(b *testing.B) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	mock, _ := NewMock(swSecret, WithClock(at(now)))
	mockBody, _ := EncodeMock(mockEvents(now))

	signer := newSNSSigner(b, now.Add(-time.Hour), now.Add(time.Hour))
	fetcher := newFakeFetcher()
	fetcher.serve(testCertURL, signer.certPEM)
	ses, _ := NewSES(SESConfig{TopicARNs: []string{testTopic}, Fetcher: fetcher, Now: at(now)})
	sesBody := signer.sign(b, notification(string(fixture(b, "ses/bounce_permanent.json")), now), "2")

	key := newSGKey(b)
	sg, _ := NewSendGrid(key.base64, WithClock(at(now)))
	sgBody := fixture(b, "sendgrid/events.json")
	ts := strconv.FormatInt(now.Unix(), 10)
	sgSig := key.sign(b, ts, sgBody)

	pm, _ := NewPostmark("postmark", "s3cret-pass")
	pmBody := fixture(b, "postmark/bounce_hard.json")

	tw, _ := NewTwilio(twToken, twOrigin, WithClock(at(now)))
	twBody := fixture(b, "twilio/status_undelivered.form")

	cases := []struct {
		name string
		d    Decoder
		body []byte
		req  func() *http.Request
	}{
		{"mock", mock, mockBody, func() *http.Request { return signedMockRequest(b, mockBody, swSecret, "msg_1", now) }},
		{"ses", ses, sesBody, func() *http.Request { return post("/", sesBody) }},
		{"sendgrid", sg, sgBody, func() *http.Request { return sendgridRequest(sgBody, sgSig, ts) }},
		{"postmark", pm, pmBody, func() *http.Request { return postmarkRequest(pmBody, "postmark", "s3cret-pass") }},
		{"twilio", tw, twBody, func() *http.Request { return twilioRequest(b, twOrigin+twStatus, twStatus, twBody, twToken) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := c.req()
			if _, err := c.d.Decode(context.Background(), r, c.body); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.d.Decode(context.Background(), r, c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
