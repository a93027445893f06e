package webhooks

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" // #nosec G505 -- signing test SNS messages of SignatureVersion 1
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	testTopic   = "arn:aws:sns:us-east-1:123456789012:reos-ses-events"
	testCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
	testSubURL  = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:reos-ses-events&Token=2336412f37"
)

// snsOrder is the documented order of the signed fields by message type,
// written here from AWS's page, not taken from the code under test.
var snsOrder = map[string][]string{
	"Notification":             {"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"},
	"SubscriptionConfirmation": {"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"},
	"UnsubscribeConfirmation":  {"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"},
}

// sign sets SignatureVersion, SigningCertURL (unless set) and Signature
// on the envelope m.
func (s *snsSigner) sign(t testing.TB, m map[string]string, version string) []byte {
	t.Helper()
	m["SignatureVersion"] = version
	if _, ok := m["SigningCertURL"]; !ok {
		m["SigningCertURL"] = testCertURL
	}
	var canon strings.Builder
	for _, k := range snsOrder[m["Type"]] {
		if v, ok := m[k]; ok {
			canon.WriteString(k + "\n" + v + "\n")
		}
	}
	var sig []byte
	var err error
	if version == "1" {
		d := sha1.Sum([]byte(canon.String())) // #nosec G401 -- SNS SignatureVersion 1
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(canon.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func notification(message string, ts time.Time) map[string]string {
	return map[string]string{
		"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "TopicArn": testTopic,
		"Subject": "Amazon SES Email Event Notification", "Message": message,
		"Timestamp": ts.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
}

type sesFixture struct {
	t       *testing.T
	now     time.Time
	signer  *snsSigner
	fetcher *fakeFetcher
	ses     *SES
}

func newSESFixture(t *testing.T) *sesFixture {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f := &sesFixture{t: t, now: now, signer: newSNSSigner(t, now.Add(-24*time.Hour), now.Add(365*24*time.Hour)), fetcher: newFakeFetcher()}
	f.fetcher.serve(testCertURL, f.signer.certPEM)
	ses, err := NewSES(SESConfig{TopicARNs: []string{testTopic}, Fetcher: f.fetcher, Now: at(now)})
	if err != nil {
		t.Fatal(err)
	}
	f.ses = ses
	return f
}

func (f *sesFixture) decode(body []byte) ([]Event, error) {
	return f.ses.Decode(context.Background(), post("/api/v1/outreach/webhooks/ses", body), body)
}

const sesMessageID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"

func TestSESDecodesTheDocumentedEvents(t *testing.T) {
	t.Parallel()
	ms := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	tests := []struct {
		fixture string
		want    []Event
	}{
		{"ses/bounce_permanent.json", []Event{{Type: BouncedHard, Recipient: "recipient@example.com", MessageKey: "cmp1:tgt1:1:email", ProviderMessageID: sesMessageID, Detail: "Permanent/General 5.1.1 smtp; 550 5.1.1 user unknown", At: ms("2017-08-05T00:41:02.669Z")}}},
		{"ses/bounce_transient.json", []Event{
			{Type: BouncedSoft, Recipient: "full@example.com", MessageKey: "cmp1:tgt2:1:email", ProviderMessageID: "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000", Detail: "Transient/MailboxFull 4.2.2 smtp; 452 4.2.2 mailbox full", At: ms("2016-01-27T14:59:38.237Z")},
			{Type: BouncedSoft, Recipient: "also-full@example.com", MessageKey: "cmp1:tgt2:1:email", ProviderMessageID: "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000", Detail: "Transient/MailboxFull", At: ms("2016-01-27T14:59:38.237Z")},
		}},
		{"ses/complaint.json", []Event{{Type: Complained, Recipient: "recipient@example.com", MessageKey: "cmp1:tgt1:1:email", ProviderMessageID: sesMessageID, Detail: "abuse", At: ms("2017-08-05T00:41:02.669Z")}}},
		{"ses/delivery.json", []Event{{Type: Delivered, Recipient: "recipient@example.com", MessageKey: "cmp1:tgt1:1:email", ProviderMessageID: sesMessageID, Detail: "250 2.6.0 Message received", At: ms("2016-10-19T23:21:04.133Z")}}},
		{"ses/open.json", []Event{{Type: Opened, Recipient: "recipient@example.com", MessageKey: "cmp1:tgt1:1:email", ProviderMessageID: sesMessageID, At: ms("2017-08-09T22:00:19.652Z")}}},
		{"ses/click.json", []Event{{Type: Clicked, Recipient: "recipient@example.com", MessageKey: "cmp1:tgt1:1:email", ProviderMessageID: sesMessageID, URL: "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html", At: ms("2017-08-09T23:51:25.570Z")}}},
		{"ses/delivery_delay.json", []Event{{Type: Deferred, Recipient: "recipient@example.com", MessageKey: "cmp1:tgt1:1:email", ProviderMessageID: sesMessageID, Detail: "TransientCommunicationFailure 4.4.1 smtp; 421 4.4.1 Unable to connect to remote host", At: ms("2020-06-16T00:25:40.095Z")}}},
		{"ses/send.json", nil},
	}
	for _, version := range []string{"1", "2"} {
		for _, tc := range tests {
			t.Run("v"+version+"/"+tc.fixture, func(t *testing.T) {
				t.Parallel()
				f := newSESFixture(t)
				body := f.signer.sign(t, notification(string(fixture(t, tc.fixture)), f.now.Add(-time.Minute)), version)
				got, err := f.decode(body)
				wantErr(t, err, nil)
				if len(got) != len(tc.want) {
					t.Fatalf("got %d events, want %d: %+v", len(got), len(tc.want), got)
				}
				ids := map[string]bool{}
				for i, w := range tc.want {
					g := got[i]
					if g.ProviderEventID == "" || ids[g.ProviderEventID] {
						t.Errorf("event %d: ProviderEventID %q is empty or repeated", i, g.ProviderEventID)
					}
					ids[g.ProviderEventID] = true
					w.Provider, w.ProviderEventID = "ses", g.ProviderEventID
					if g != w {
						t.Errorf("event %d:\n got %+v\nwant %+v", i, g, w)
					}
				}
				// The same message delivered again gives the same ids.
				again, err := f.decode(body)
				wantErr(t, err, nil)
				for i := range again {
					if again[i].ProviderEventID != got[i].ProviderEventID {
						t.Errorf("redelivery changed event %d's id: %q then %q", i, got[i].ProviderEventID, again[i].ProviderEventID)
					}
				}
			})
		}
	}
}

func TestSESSubscriptionConfirmationIsReturnedForTheCallerToConfirm(t *testing.T) {
	t.Parallel()
	f := newSESFixture(t)
	f.fetcher.serve(testSubURL, []byte("<ConfirmSubscriptionResponse/>"))
	body := f.signer.sign(t, map[string]string{
		"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", "Token": "2336412f37",
		"TopicArn": testTopic, "Message": "You have chosen to subscribe to the topic " + testTopic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		"SubscribeURL": testSubURL, "Timestamp": f.now.Format(time.RFC3339),
	}, "2")
	got, err := f.decode(body)
	wantErr(t, err, nil)
	if len(got) != 1 || got[0].Type != SubscriptionConfirmation || got[0].URL != testSubURL || got[0].Detail != testTopic {
		t.Fatalf("got %+v, want one subscription confirmation for %s", got, testSubURL)
	}
	if f.fetcher.count(testSubURL) != 0 {
		t.Fatal("Decode confirmed the subscription itself; that is the caller's decision")
	}
	wantErr(t, f.ses.Confirm(context.Background(), got[0]), nil)
	if f.fetcher.count(testSubURL) != 1 {
		t.Fatalf("Confirm fetched the SubscribeURL %d times, want 1", f.fetcher.count(testSubURL))
	}
	forged := got[0]
	forged.URL = "https://attacker.example/?Action=ConfirmSubscription"
	if err := f.ses.Confirm(context.Background(), forged); err == nil {
		t.Fatal("Confirm fetched a SubscribeURL off the SNS host")
	}
	if f.fetcher.count(forged.URL) != 0 {
		t.Fatal("the forged URL was fetched")
	}
}

func TestSESUnsubscribeConfirmationGivesNoEvents(t *testing.T) {
	t.Parallel()
	f := newSESFixture(t)
	body := f.signer.sign(t, map[string]string{
		"Type": "UnsubscribeConfirmation", "MessageId": "47138184-6831-46b8-8f7c-afc488602d7d", "Token": "2336412f37",
		"TopicArn": testTopic, "Message": "You have chosen to deactivate subscription.", "SubscribeURL": testSubURL,
		"Timestamp": f.now.Format(time.RFC3339),
	}, "1")
	got, err := f.decode(body)
	wantErr(t, err, nil)
	if len(got) != 0 {
		t.Fatalf("got %+v, want none", got)
	}
}

func TestSESRefusesWhatAWSDidNotSignForOurTopic(t *testing.T) {
	t.Parallel()
	delivery := string(fixture(t, "ses/delivery.json"))
	tests := []struct {
		name   string
		body   func(f *sesFixture) []byte
		want   error
		noLoad bool // no certificate may be fetched for it
	}{
		{"not JSON", func(*sesFixture) []byte { return []byte("Type=Notification") }, ErrUnauthorized, true},
		{"unsigned", func(f *sesFixture) []byte {
			b, _ := json.Marshal(notification(delivery, f.now))
			return b
		}, ErrUnauthorized, true},
		{"signature version 3", func(f *sesFixture) []byte { return f.signer.sign(t, notification(delivery, f.now), "3") }, ErrUnauthorized, true},
		{"message changed after signing", func(f *sesFixture) []byte {
			b := f.signer.sign(t, notification(delivery, f.now), "2")
			return []byte(strings.Replace(string(b), "250 2.6.0", "550 5.1.1", 1))
		}, ErrUnauthorized, false},
		{"subject dropped after signing", func(f *sesFixture) []byte {
			var m map[string]string
			_ = json.Unmarshal(f.signer.sign(t, notification(delivery, f.now), "2"), &m)
			delete(m, "Subject")
			b, _ := json.Marshal(m)
			return b
		}, ErrUnauthorized, false},
		{"type changed after signing", func(f *sesFixture) []byte {
			var m map[string]string
			_ = json.Unmarshal(f.signer.sign(t, notification(delivery, f.now), "2"), &m)
			m["Type"] = "UnsubscribeConfirmation"
			b, _ := json.Marshal(m)
			return b
		}, ErrUnauthorized, false},
		{"another account's topic", func(f *sesFixture) []byte {
			m := notification(delivery, f.now)
			m["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:reos-ses-events"
			return f.signer.sign(t, m, "2")
		}, ErrUnauthorized, true},
		{"older than the retry window", func(f *sesFixture) []byte {
			return f.signer.sign(t, notification(delivery, f.now.Add(-SNSMaxAge-time.Second)), "2")
		}, ErrUnauthorized, true},
		{"from the future", func(f *sesFixture) []byte {
			return f.signer.sign(t, notification(delivery, f.now.Add(DefaultTolerance+time.Second)), "2")
		}, ErrUnauthorized, true},
		{"timestamp not RFC 3339", func(f *sesFixture) []byte {
			m := notification(delivery, f.now)
			m["Timestamp"] = "yesterday"
			return f.signer.sign(t, m, "2")
		}, ErrUnauthorized, true},
	}
	for _, certURL := range []string{
		"http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
		"https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0.pem",
		"https://evil.example/sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
		"https://user:pw@sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
		"https://sns.us-east-1.amazonaws.com@evil.example/SimpleNotificationService-0.pem",
		"https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-0.pem",
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0.txt",
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem?x=1",
		"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0.pem", // not the topic's region
		"https://s3.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
		"https://sns..amazonaws.com/SimpleNotificationService-0.pem",
		"//sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
	} {
		tests = append(tests, struct {
			name   string
			body   func(f *sesFixture) []byte
			want   error
			noLoad bool
		}{"certificate URL " + certURL, func(f *sesFixture) []byte {
			f.fetcher.serve(certURL, f.signer.certPEM) // even if it would serve the right key
			m := notification(delivery, f.now)
			m["SigningCertURL"] = certURL
			return f.signer.sign(t, m, "2")
		}, ErrUnauthorized, true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newSESFixture(t)
			got, err := f.decode(tc.body(f))
			wantErr(t, err, tc.want)
			if got != nil {
				t.Fatalf("events from a refused request: %+v", got)
			}
			if tc.noLoad && f.fetcher.total() != 0 {
				t.Fatalf("fetched %d certificates for a request refused before any was needed", f.fetcher.total())
			}
		})
	}
}

func TestSESCertificateMustBeValidAndIsCached(t *testing.T) {
	t.Parallel()
	f := newSESFixture(t)
	body := f.signer.sign(t, notification(string(fixture(t, "ses/delivery.json")), f.now), "2")
	for range 3 {
		_, err := f.decode(body)
		wantErr(t, err, nil)
	}
	if n := f.fetcher.count(testCertURL); n != 1 {
		t.Fatalf("the certificate was fetched %d times for 3 messages, want 1", n)
	}

	expired := newSESFixture(t)
	old := newSNSSigner(t, expired.now.Add(-48*time.Hour), expired.now.Add(-time.Hour))
	expired.fetcher.serve(testCertURL, old.certPEM)
	_, err := expired.decode(old.sign(t, notification(string(fixture(t, "ses/delivery.json")), expired.now), "2"))
	wantErr(t, err, ErrUnauthorized)

	weak := newSESFixture(t)
	weakKey, err := rsa.GenerateKey(rand.Reader, 1024) // #nosec G403 -- a key too small, to be refused
	if err != nil {
		t.Fatal(err)
	}
	weakSigner := &snsSigner{key: weakKey}
	weakSigner.certPEM = selfSigned(t, weakKey, weak.now.Add(-time.Hour), weak.now.Add(time.Hour))
	weak.fetcher.serve(testCertURL, weakSigner.certPEM)
	_, err = weak.decode(weakSigner.sign(t, notification(string(fixture(t, "ses/delivery.json")), weak.now), "2"))
	wantErr(t, err, ErrUnauthorized)

	down := newSESFixture(t)
	down.fetcher.err = errors.New("connection refused")
	_, err = down.decode(down.signer.sign(t, notification(string(fixture(t, "ses/delivery.json")), down.now), "2"))
	wantErr(t, err, ErrUnavailable)

	garbage := newSESFixture(t)
	garbage.fetcher.serve(testCertURL, []byte("<Error>NoSuchKey</Error>"))
	_, err = garbage.decode(garbage.signer.sign(t, notification(string(fixture(t, "ses/delivery.json")), garbage.now), "2"))
	wantErr(t, err, ErrUnavailable)
}

func TestSESSignedButMalformed(t *testing.T) {
	t.Parallel()
	for name, msg := range map[string]string{
		"message not JSON":       "not json",
		"neither kind":           `{"mail":{"messageId":"m"}}`,
		"no message id":          `{"eventType":"Delivery","mail":{},"delivery":{"recipients":["a@example.com"]}}`,
		"bounce, no recipients":  `{"eventType":"Bounce","mail":{"messageId":"m"},"bounce":{"bounceType":"Permanent","bouncedRecipients":[]}}`,
		"complaint, no block":    `{"eventType":"Complaint","mail":{"messageId":"m"}}`,
		"click, no link":         `{"eventType":"Click","mail":{"messageId":"m"},"click":{}}`,
		"delivery, wrong shapes": `{"eventType":"Delivery","mail":{"messageId":"m"},"delivery":{"recipients":"a@example.com"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newSESFixture(t)
			got, err := f.decode(f.signer.sign(t, notification(msg, f.now), "2"))
			wantErr(t, err, ErrMalformed)
			if got != nil {
				t.Fatalf("events: %+v", got)
			}
		})
	}
	t.Run("subscribe URL off the SNS host", func(t *testing.T) {
		t.Parallel()
		f := newSESFixture(t)
		_, err := f.decode(f.signer.sign(t, map[string]string{
			"Type": "SubscriptionConfirmation", "MessageId": "1", "Token": "t", "TopicArn": testTopic, "Message": "m",
			"SubscribeURL": "https://evil.example/confirm", "Timestamp": f.now.Format(time.RFC3339),
		}, "2"))
		wantErr(t, err, ErrMalformed)
	})
}

func TestNewSESNeedsTopics(t *testing.T) {
	t.Parallel()
	for name, arns := range map[string][]string{
		"none":       nil,
		"not an ARN": {"reos-ses-events"},
		"not SNS":    {"arn:aws:sqs:us-east-1:123456789012:q"},
		"no region":  {"arn:aws:sns::123456789012:t"},
	} {
		if _, err := NewSES(SESConfig{TopicARNs: arns}); err == nil {
			t.Errorf("%s: NewSES accepted %q", name, arns)
		}
	}
	if _, err := NewSES(SESConfig{TopicARNs: []string{"arn:aws-cn:sns:cn-north-1:123456789012:t"}}); err != nil {
		t.Errorf("a China-partition topic: %v", err)
	}
}
