package provider

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"reos.dev/tools/smtpsink/sink"
)

func startSink(t testing.TB, o sink.Options) *sink.Sink {
	t.Helper()
	s, err := sink.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func smtpFor(t testing.TB, s *sink.Sink, mod func(*SMTPConfig)) *SMTP {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	cfg := SMTPConfig{Host: host, Port: p, TLS: TLSNone, PoolSize: 2, Timeout: 5 * time.Second, Clock: fixedClock}
	if mod != nil {
		mod(&cfg)
	}
	a, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

func campaignMail(key, to string) EmailMessage {
	return EmailMessage{
		Key: key, OrgID: "org-1",
		From: "Acme Homes <news@acme.example>", ReplyTo: "agent@acme.example", To: to,
		Subject:        "New listings near you — 3 beds",
		HTML:           "<p>Hello Ann,</p><p>Three new listings.</p><p>Acme Homes, 1 Main St, Springfield</p>",
		Text:           "Hello Ann,\n\nThree new listings.\n\nAcme Homes, 1 Main St, Springfield\n",
		UnsubscribeURL: "https://reos.example/api/v1/compliance/unsubscribe?token=abc.def",
		PostalAddress:  "Acme Homes, 1 Main St, Springfield",
		Headers:        map[string]string{"X-Campaign": "c-1"},
	}
}

func TestSMTPSendsTheHeadersAndPartsOfACampaignMail(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{Keep: true})
	a := smtpFor(t, s, nil)
	m := campaignMail("c1/t1/s1/email", "ann@example.test")
	res, err := a.SendEmail(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	wantID := MessageID(m.Key, "acme.example")
	if res.ProviderMessageID != wantID || res.Provider != "smtp" || !res.AcceptedAt.Equal(fixedNow) {
		t.Fatalf("result = %+v, want id %s", res, wantID)
	}
	got := s.Messages()
	if len(got) != 1 {
		t.Fatalf("sink has %d messages", len(got))
	}
	if got[0].From != "news@acme.example" || len(got[0].To) != 1 || got[0].To[0] != "ann@example.test" {
		t.Fatalf("envelope = %q → %q", got[0].From, got[0].To)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(got[0].Raw))
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Header
	for name, want := range map[string]string{
		"Message-Id":            "<" + wantID + ">",
		"List-Unsubscribe":      "<" + m.UnsubscribeURL + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Reply-To":              "<agent@acme.example>",
		"X-Campaign":            "c-1",
	} {
		if h.Get(name) != want {
			t.Errorf("%s = %q, want %q", name, h.Get(name), want)
		}
	}
	if subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subj != m.Subject {
		t.Errorf("Subject = %q (%v)", subj, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(fixedNow) {
		t.Errorf("Date = %v (%v)", d, err)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	parts := readParts(t, parsed.Body, params["boundary"])
	if len(parts) != 2 || parts[0].typ != "text/plain" || parts[1].typ != "text/html" {
		t.Fatalf("parts = %+v, want text/plain then text/html", parts)
	}
	if strings.TrimSpace(parts[0].body) != strings.TrimSpace(strings.ReplaceAll(m.Text, "\n", "\r\n")) || parts[1].body != m.HTML {
		t.Fatalf("bodies = %q / %q", parts[0].body, parts[1].body)
	}
	// The footer is in the rendered body once; the adapter adds no second copy.
	if n := strings.Count(string(got[0].Raw), "1 Main St"); n != 2 {
		t.Fatalf("postal address appears %d times in the message, want once per part", n)
	}
}

type part struct{ typ, body string }

func readParts(t *testing.T, r io.Reader, boundary string) []part {
	t.Helper()
	mr := multipart.NewReader(r, boundary)
	var out []part
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, err := io.ReadAll(p) // multipart decodes quoted-printable itself
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, part{typ: typ, body: string(b)})
	}
}

func TestSMTPMessageIDDependsOnlyOnTheKey(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	a := smtpFor(t, s, func(c *SMTPConfig) { c.MessageIDDomain = "mail.reos.example" })
	for i, key := range []string{"k1", "k2", "k1"} {
		if _, err := a.SendEmail(context.Background(), campaignMail(key, fmt.Sprintf("r%d@example.test", i))); err != nil {
			t.Fatal(err)
		}
	}
	ids := s.MessageIDs()
	if ids["<"+MessageID("k1", "mail.reos.example")+">"] != 2 || ids["<"+MessageID("k2", "mail.reos.example")+">"] != 1 || s.Stats().Duplicates != 1 {
		t.Fatalf("ids = %v", ids)
	}
}

func TestSMTPDKIMSignatureVerifies(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  any
		pub  any
		k    string
	}{
		{"rsa", rsaKey, &rsaKey.PublicKey, "rsa"},
		{"ed25519", edKey, edKey.Public(), "ed25519"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			der, err := x509.MarshalPKCS8PrivateKey(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
			s := startSink(t, sink.Options{Keep: true})
			a := smtpFor(t, s, func(c *SMTPConfig) {
				c.Clock = time.Now // the verifier checks the signature's time
				c.DKIM = &DKIMConfig{Domain: "acme.example", Selector: "reos1", PrivateKeyPEM: keyPEM}
			})
			if _, err := a.SendEmail(context.Background(), campaignMail("k-dkim", "ann@example.test")); err != nil {
				t.Fatal(err)
			}
			raw := s.Messages()[0].Raw
			var txt string
			if tc.k == "rsa" {
				pubDER, _ := x509.MarshalPKIXPublicKey(tc.pub)
				txt = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pubDER)
			} else {
				txt = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(tc.pub.(ed25519.PublicKey))
			}
			lookup := func(domain string) ([]string, error) {
				if domain != "reos1._domainkey.acme.example" {
					return nil, fmt.Errorf("no TXT for %s", domain)
				}
				return []string{txt}, nil
			}

			verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup})
			if err != nil || len(verifs) != 1 || verifs[0].Err != nil {
				t.Fatalf("verify: %v %v %+v", err, verifs[0].Err, verifs[0])
			}
			v := verifs[0]
			if v.Domain != "acme.example" {
				t.Fatalf("d= %q", v.Domain)
			}
			signed := strings.ToLower(strings.Join(v.HeaderKeys, ":"))
			for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"} {
				if !strings.Contains(":"+signed+":", ":"+h+":") {
					t.Errorf("h= %q does not cover %s", signed, h)
				}
			}
			sig, _ := mail.ReadMessage(bytes.NewReader(raw))
			if c := dkimTag(sig.Header.Get("Dkim-Signature"), "c"); c != "relaxed/relaxed" {
				t.Errorf("c= %q, want relaxed/relaxed", c)
			}
			// Changing a signed header, or adding a second List-Unsubscribe,
			// breaks the signature.
			for name, tampered := range map[string][]byte{
				"changed": bytes.Replace(raw, []byte("token=abc.def"), []byte("token=evil.xyz"), 1),
				"added":   bytes.Replace(raw, []byte("\r\nMessage-ID:"), []byte("\r\nList-Unsubscribe: <https://evil.example/u>\r\nMessage-ID:"), 1),
			} {
				if bytes.Equal(tampered, raw) {
					t.Fatalf("%s: the tampering did not apply", name)
				}
				verifs, err := dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{LookupTXT: lookup})
				if err != nil || len(verifs) != 1 || verifs[0].Err == nil {
					t.Errorf("%s message verified: %v %+v", name, err, verifs)
				}
			}
		})
	}
}

func dkimTag(sig, tag string) string {
	for _, kv := range strings.Split(strings.Join(strings.Fields(sig), ""), ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == tag {
			return v
		}
	}
	return ""
}

func TestSMTPClassifiesReplies(t *testing.T) {
	t.Parallel()
	replies := map[string]error{
		"gone@":     sink.Reply(550, "5.1.1 no such user"),
		"full@":     sink.Reply(452, "4.2.2 mailbox full"),
		"greylist@": sink.Reply(451, "4.7.1 greylisted"),
	}
	s := startSink(t, sink.Options{
		Rcpt: func(to string) error {
			for prefix, err := range replies {
				if strings.HasPrefix(to, prefix) {
					return err
				}
			}
			return nil
		},
		Data: func(_ string, to []string) error {
			switch {
			case strings.HasPrefix(to[0], "spam@"):
				return sink.Reply(554, "5.7.1 rejected as spam")
			case strings.HasPrefix(to[0], "later@"):
				return sink.Reply(421, "4.3.0 try later")
			}
			return nil
		},
	})
	a := smtpFor(t, s, func(c *SMTPConfig) { c.PoolSize = 1 })
	for _, tc := range []struct {
		to        string
		permanent bool
		code      string
	}{
		{"gone@example.test", true, "550"},
		{"full@example.test", false, "452"},
		{"greylist@example.test", false, "451"},
		{"spam@example.test", true, "554"},
		{"later@example.test", false, "421"},
	} {
		_, err := a.SendEmail(context.Background(), campaignMail("k-"+tc.to, tc.to))
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("%s: error %v is not a *provider.Error", tc.to, err)
		}
		if pe.Permanent != tc.permanent || !strings.HasPrefix(pe.Code, tc.code) || IsPermanent(err) != tc.permanent {
			t.Errorf("%s: %+v, want permanent=%v code %s", tc.to, pe, tc.permanent, tc.code)
		}
	}
	// Refusals leave the connection usable: one connection served them all.
	if _, err := a.SendEmail(context.Background(), campaignMail("k-ok", "ok@example.test")); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Messages != 1 || st.Connections != 1 {
		t.Fatalf("stats = %+v, want 1 message over 1 connection", st)
	}
}

func TestSMTPConnectionFailuresAreTemporary(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback: nothing listens there.
	a, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: 1, TLS: TLSNone, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.SendEmail(context.Background(), campaignMail("k", "ann@example.test"))
	var pe *Error
	if !errors.As(err, &pe) || pe.Permanent || pe.Code != "connect" {
		t.Fatalf("error = %v, want a temporary connect failure", err)
	}
}

func TestSMTPRefusesInvalidMessagesPermanently(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	a := smtpFor(t, s, nil)
	for name, mod := range map[string]func(*EmailMessage){
		"no key":            func(m *EmailMessage) { m.Key = "" },
		"bad from":          func(m *EmailMessage) { m.From = "not an address" },
		"bad to":            func(m *EmailMessage) { m.To = "nobody" },
		"http unsubscribe":  func(m *EmailMessage) { m.UnsubscribeURL = "http://reos.example/u" },
		"subject injection": func(m *EmailMessage) { m.Subject = "hi\r\nBcc: all@example.test" },
		"header injection":  func(m *EmailMessage) { m.Headers = map[string]string{"X-A": "1\r\nBcc: all@example.test"} },
		"reserved header":   func(m *EmailMessage) { m.Headers = map[string]string{"message-id": "<mine@x>"} },
		"bad header name":   func(m *EmailMessage) { m.Headers = map[string]string{"X A": "1"} },
		"empty body":        func(m *EmailMessage) { m.HTML, m.Text = "", "" },
	} {
		m := campaignMail("k", "ann@example.test")
		mod(&m)
		if _, err := a.SendEmail(context.Background(), m); !IsPermanent(err) {
			t.Errorf("%s: error %v, want permanent", name, err)
		}
	}
	if s.Count() != 0 {
		t.Fatalf("the sink received %d messages", s.Count())
	}
}

func TestSMTPRedialsAfterADroppedConnectionWithoutSendingTwice(t *testing.T) {
	t.Parallel()
	t.Run("dropped after each accepted message", func(t *testing.T) {
		t.Parallel()
		s := startSink(t, sink.Options{DropAfter: 1})
		a := smtpFor(t, s, func(c *SMTPConfig) { c.PoolSize = 1 })
		for i := range 5 {
			if _, err := a.SendEmail(context.Background(), campaignMail(fmt.Sprintf("k%d", i), "ann@example.test")); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		if st := s.Stats(); st.Messages != 5 || st.Duplicates != 0 || st.Connections != 5 {
			t.Fatalf("stats = %+v, want 5 messages over 5 connections, no duplicate", st)
		}
	})
	t.Run("dropped while idle", func(t *testing.T) {
		t.Parallel()
		s := startSink(t, sink.Options{})
		a := smtpFor(t, s, func(c *SMTPConfig) { c.PoolSize = 1 })
		if _, err := a.SendEmail(context.Background(), campaignMail("k1", "ann@example.test")); err != nil {
			t.Fatal(err)
		}
		if n := s.DropAll(); n != 1 {
			t.Fatalf("dropped %d connections", n)
		}
		// The pooled connection is dead; MAIL fails; the adapter redials and sends.
		if _, err := a.SendEmail(context.Background(), campaignMail("k2", "ann@example.test")); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Messages != 2 || st.Duplicates != 0 || st.Connections != 2 {
			t.Fatalf("stats = %+v", st)
		}
	})
	t.Run("dropped before the reply to the data", func(t *testing.T) {
		t.Parallel()
		s := startSink(t, sink.Options{Data: func(_ string, to []string) error {
			if strings.HasPrefix(to[0], "lost@") {
				return sink.ErrDrop
			}
			return nil
		}})
		a := smtpFor(t, s, func(c *SMTPConfig) { c.PoolSize = 1 })
		_, err := a.SendEmail(context.Background(), campaignMail("k-lost", "lost@example.test"))
		var pe *Error
		if !errors.As(err, &pe) || pe.Permanent || pe.Code != CodeOutcomeUnknown {
			t.Fatalf("error = %v, want temporary %s", err, CodeOutcomeUnknown)
		}
		// Not resent by the adapter: the sink has it once.
		if _, err := a.SendEmail(context.Background(), campaignMail("k-next", "ann@example.test")); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Messages != 2 || st.Duplicates != 0 {
			t.Fatalf("stats = %+v", st)
		}
	})
}

func TestSMTPConcurrentSendsThroughThePoolWithDrops(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{DropAfter: 7})
	a := smtpFor(t, s, func(c *SMTPConfig) { c.PoolSize = 3 })
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := a.SendEmail(context.Background(), campaignMail(fmt.Sprintf("w%d-%d", w, i), "ann@example.test")); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := s.Stats()
	if st.Messages != workers*each || st.Duplicates != 0 {
		t.Fatalf("stats = %+v, want %d messages and no duplicate", st, workers*each)
	}
	if min := int64(workers * each / 7); st.Connections < min {
		t.Fatalf("%d connections for %d messages dropped every 7th: the pool did not redial", st.Connections, st.Messages)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}
