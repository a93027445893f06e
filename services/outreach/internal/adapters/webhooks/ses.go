package webhooks

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" // #nosec G505 -- SNS SignatureVersion 1 is SHA1withRSA; we verify it, we never sign with it
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"reos.dev/pkg/auth"
)

// SubscriptionConfirmation is the result of an SNS SubscriptionConfirmation
// message: not a delivery event. Its URL is the SubscribeURL, already
// host-checked; the caller confirms the subscription with SES.Confirm (a GET
// of that URL) and records nothing else.
const SubscriptionConfirmation Type = "subscription_confirmation"

// ErrUnavailable: the provider's key could not be fetched (SNS's signing
// certificate). The request may be genuine; the transport answers 503 so
// the provider retries.
var ErrUnavailable = errors.New("webhooks: provider signing key unavailable")

// SNSMaxAge is how old an SNS message's Timestamp may be: SNS retries an
// HTTP(S) delivery for at most 3600 s, plus the 5 minutes of clock skew
// allowed everywhere here. A message older than that is a replay.
const SNSMaxAge = time.Hour + DefaultTolerance

// SESKeyTag is the SES message tag (and SESKeyHeader the header) that
// carries outreach's message key; the tag is read first.
const (
	SESKeyTag    = "reos_key"
	SESKeyHeader = "X-Reos-Key"
)

// Fetcher gets a document by URL: SNS signing certificates and
// subscription confirmations. The URL has been host-checked before.
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
}

// HTTPFetcher fetches over HTTP without following redirects (a redirect
// would leave the checked host) and reads at most MaxBytes.
type HTTPFetcher struct {
	Client   *http.Client // default: 10 s timeout
	MaxBytes int64        // default 64 KiB
}

// Fetch GETs rawURL and returns its body when the status is 200.
func (f HTTPFetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	client := f.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	limit := f.MaxBytes
	if limit <= 0 {
		limit = 64 << 10
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := noRedirect.Do(req) // #nosec G107 -- the URL passed checkSNSURL (https, sns.<region>.amazonaws.com)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", rawURL, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: more than %d bytes", rawURL, limit)
	}
	return b, nil
}

// SESConfig configures the Amazon SES (via SNS) decoder.
type SESConfig struct {
	// TopicARNs are the SNS topics outreach subscribed to (required). Any
	// AWS account can publish a validly signed SNS message, so the topic is
	// what makes it ours.
	TopicARNs []string
	// Fetcher gets the signing certificates (default HTTPFetcher{}).
	Fetcher Fetcher
	// MaxAge bounds the age of a message's Timestamp (default SNSMaxAge).
	MaxAge time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// SES decodes Amazon SES events delivered by SNS over HTTP(S). Raw message
// delivery must be off on the subscription: the SNS envelope is what is
// signed.
type SES struct {
	topics  []string
	fetcher Fetcher
	maxAge  time.Duration
	now     func() time.Time
	certs   *certCache
}

// NewSES is the SES decoder for cfg.
func NewSES(cfg SESConfig) (*SES, error) {
	if len(cfg.TopicARNs) == 0 {
		return nil, errors.New("webhooks: SES needs at least one SNS topic ARN")
	}
	for _, arn := range cfg.TopicARNs {
		if _, ok := topicRegion(arn); !ok {
			return nil, fmt.Errorf("webhooks: %q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)", arn)
		}
	}
	s := &SES{topics: slices.Clone(cfg.TopicARNs), fetcher: cfg.Fetcher, maxAge: cfg.MaxAge, now: cfg.Now, certs: newCertCache(certCacheSize)}
	if s.fetcher == nil {
		s.fetcher = HTTPFetcher{}
	}
	if s.maxAge <= 0 {
		s.maxAge = SNSMaxAge
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Provider is "ses".
func (*SES) Provider() string { return "ses" }

// snsMessage is the SNS HTTP(S) envelope. Subject is a pointer: it is part
// of the signed string only when present.
type snsMessage struct {
	Type             string  `json:"Type"`
	MessageID        string  `json:"MessageId"`
	Token            string  `json:"Token"`
	TopicArn         string  `json:"TopicArn"`
	Subject          *string `json:"Subject"`
	Message          string  `json:"Message"`
	SubscribeURL     string  `json:"SubscribeURL"`
	Timestamp        string  `json:"Timestamp"`
	SignatureVersion string  `json:"SignatureVersion"`
	Signature        string  `json:"Signature"`
	SigningCertURL   string  `json:"SigningCertURL"`
}

const (
	snsNotification             = "Notification"
	snsSubscriptionConfirmation = "SubscriptionConfirmation"
	snsUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// stringToSign is the canonical string of the documented fields of the
// message's type, each "Name\nvalue\n", in the documented order.
func (m *snsMessage) stringToSign() string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k); b.WriteByte('\n'); b.WriteString(v); b.WriteByte('\n') }
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == snsNotification {
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
		return b.String()
	}
	add("SubscribeURL", m.SubscribeURL)
	add("Timestamp", m.Timestamp)
	add("Token", m.Token)
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// Decode verifies the SNS envelope (topic, certificate URL, age,
// signature), then maps the SES event of a Notification; a
// SubscriptionConfirmation gives one SubscriptionConfirmation event and an
// UnsubscribeConfirmation none. The signature lives in the body, so a body
// that is not an SNS envelope is unsigned: ErrUnauthorized.
func (s *SES) Decode(ctx context.Context, _ *http.Request, body []byte) ([]Event, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, unauthorized("body is not an SNS message")
	}
	at, err := s.verify(ctx, &m)
	if err != nil {
		return nil, err
	}
	switch m.Type {
	case snsSubscriptionConfirmation:
		if _, err := checkSNSURL(m.SubscribeURL, false); err != nil {
			return nil, malformed("SubscribeURL: %v", err)
		}
		return []Event{{Provider: "ses", ProviderEventID: m.MessageID, Type: SubscriptionConfirmation, URL: m.SubscribeURL, Detail: m.TopicArn, At: at}}, nil
	case snsUnsubscribeConfirmation:
		return nil, nil
	default:
		return decodeSESEvent(m.MessageID, m.Message, at)
	}
}

// Confirm confirms the subscription of a SubscriptionConfirmation event by
// fetching its SubscribeURL (checked again: e may not come from Decode).
func (s *SES) Confirm(ctx context.Context, e Event) error {
	if e.Type != SubscriptionConfirmation {
		return fmt.Errorf("webhooks: %s is not a subscription confirmation", e.Type)
	}
	if _, err := checkSNSURL(e.URL, false); err != nil {
		return fmt.Errorf("webhooks: SubscribeURL: %w", err)
	}
	if _, err := s.fetcher.Fetch(ctx, e.URL); err != nil {
		return fmt.Errorf("%w: confirming the subscription: %v", ErrUnavailable, err)
	}
	return nil
}

func (s *SES) verify(ctx context.Context, m *snsMessage) (time.Time, error) {
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return time.Time{}, unauthorized("SignatureVersion must be 1 or 2")
	}
	if m.Type != snsNotification && m.Type != snsSubscriptionConfirmation && m.Type != snsUnsubscribeConfirmation {
		return time.Time{}, unauthorized("unknown SNS message type")
	}
	// The topic is checked before anything is fetched, so a stranger's
	// messages cost no request to AWS.
	if !slices.Contains(s.topics, m.TopicArn) {
		return time.Time{}, unauthorized("TopicArn is not a subscribed topic")
	}
	certRegion, err := checkSNSURL(m.SigningCertURL, true)
	if err != nil {
		return time.Time{}, unauthorized("SigningCertURL: " + err.Error())
	}
	if region, _ := topicRegion(m.TopicArn); region != certRegion {
		return time.Time{}, unauthorized("SigningCertURL is not in the topic's region")
	}
	now := s.now()
	at, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return time.Time{}, unauthorized("Timestamp is not RFC 3339")
	}
	if age := now.Sub(at); age > s.maxAge || age < -DefaultTolerance {
		return time.Time{}, unauthorized("Timestamp outside the replay window")
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return time.Time{}, unauthorized("Signature is not base64")
	}
	pub, err := s.certs.key(ctx, m.SigningCertURL, now, s.fetcher)
	if err != nil {
		return time.Time{}, err
	}
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum([]byte(m.stringToSign())) // #nosec G401 -- verifying SNS SignatureVersion 1 (SHA1withRSA)
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(m.stringToSign()))
		digest = d[:]
	}
	if rsa.VerifyPKCS1v15(pub, hash, digest, sig) != nil {
		return time.Time{}, unauthorized("SNS signature does not verify")
	}
	return at.UTC(), nil
}

// checkSNSURL accepts only https://sns.<region>.amazonaws.com[.cn]/… with
// no user info and no port but 443; a certificate URL must also end in
// .pem. It returns the region.
func checkSNSURL(raw string, cert bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if u.Scheme != "https" {
		return "", errors.New("must be https")
	}
	if u.User != nil {
		return "", errors.New("must not carry user info")
	}
	if p := u.Port(); p != "" && p != "443" {
		return "", errors.New("must not name a port other than 443")
	}
	region, ok := snsHostRegion(u.Hostname())
	if !ok {
		return "", errors.New("host must be sns.<region>.amazonaws.com")
	}
	if cert && (!strings.HasSuffix(u.Path, ".pem") || u.RawQuery != "" || u.Fragment != "") {
		return "", errors.New("must be a .pem file")
	}
	return region, nil
}

func snsHostRegion(host string) (string, bool) {
	rest, ok := strings.CutPrefix(host, "sns.")
	if !ok {
		return "", false
	}
	region, ok := strings.CutSuffix(rest, ".amazonaws.com")
	if !ok {
		if region, ok = strings.CutSuffix(rest, ".amazonaws.com.cn"); !ok {
			return "", false
		}
	}
	return region, validRegion(region)
}

// validRegion: an AWS region name, lower-case letters, digits and inner
// dashes ("us-east-1", "cn-north-1", "us-gov-west-1").
func validRegion(r string) bool {
	if r == "" || len(r) > 32 || r[0] == '-' || r[len(r)-1] == '-' || !strings.Contains(r, "-") {
		return false
	}
	for _, c := range r {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// topicRegion reads the region of arn:<partition>:sns:<region>:<account>:<topic>.
func topicRegion(arn string) (string, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "sns" || parts[4] == "" || parts[5] == "" {
		return "", false
	}
	return parts[3], validRegion(parts[3])
}

// certCacheSize bounds the cache: SNS signs with one certificate per
// region at a time, so a handful covers every rotation.
const certCacheSize = 16

// certCache holds the public keys of fetched signing certificates by URL
// until the certificate expires.
type certCache struct {
	mu   sync.Mutex
	max  int
	keys map[string]cachedCert
}

type cachedCert struct {
	key      *rsa.PublicKey
	notAfter time.Time
}

func newCertCache(max int) *certCache {
	return &certCache{max: max, keys: make(map[string]cachedCert)}
}

func (c *certCache) key(ctx context.Context, certURL string, now time.Time, f Fetcher) (*rsa.PublicKey, error) {
	c.mu.Lock()
	hit, ok := c.keys[certURL]
	c.mu.Unlock()
	if ok && now.Before(hit.notAfter) {
		return hit.key, nil
	}
	raw, err := f.Fetch(ctx, certURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: the signing certificate is not PEM", ErrUnavailable)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: the signing certificate: %v", ErrUnavailable, err)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, unauthorized("the signing certificate is not valid now")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() < auth.MinRSAKeyBits {
		return nil, unauthorized("the signing certificate's key is not RSA of at least 2048 bits")
	}
	c.mu.Lock()
	if len(c.keys) >= c.max {
		clear(c.keys)
	}
	c.keys[certURL] = cachedCert{key: pub, notAfter: cert.NotAfter}
	c.mu.Unlock()
	return pub, nil
}

// sesEvent is the part of an SES notification (notificationType) or event
// publishing record (eventType) that outreach reads.
type sesEvent struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Mail             struct {
		MessageID   string   `json:"messageId"`
		Destination []string `json:"destination"`
		Headers     []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
		Tags map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string       `json:"bounceType"`
		BounceSubType     string       `json:"bounceSubType"`
		BouncedRecipients []sesAddress `json:"bouncedRecipients"`
		Timestamp         time.Time    `json:"timestamp"`
		FeedbackID        string       `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []sesAddress `json:"complainedRecipients"`
		Timestamp             time.Time    `json:"timestamp"`
		FeedbackID            string       `json:"feedbackId"`
		ComplaintFeedbackType string       `json:"complaintFeedbackType"`
	} `json:"complaint"`
	Delivery *struct {
		Timestamp    time.Time `json:"timestamp"`
		Recipients   []string  `json:"recipients"`
		SMTPResponse string    `json:"smtpResponse"`
	} `json:"delivery"`
	Open *struct {
		Timestamp time.Time `json:"timestamp"`
	} `json:"open"`
	Click *struct {
		Timestamp time.Time `json:"timestamp"`
		Link      string    `json:"link"`
	} `json:"click"`
	DeliveryDelay *struct {
		Timestamp         time.Time    `json:"timestamp"`
		DelayType         string       `json:"delayType"`
		DelayedRecipients []sesAddress `json:"delayedRecipients"`
	} `json:"deliveryDelay"`
}

type sesAddress struct {
	EmailAddress   string `json:"emailAddress"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnosticCode"`
}

func (a sesAddress) detail(prefix string) string {
	return strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{prefix, a.Status, a.DiagnosticCode}, func(s string) bool { return s == "" }), " "))
}

// decodeSESEvent maps one SES record: Bounce (Permanent → hard, Transient
// and Undetermined → soft), Complaint, Delivery and DeliveryDelay give one
// event per recipient; Open and Click one event. Send, Reject, Rendering
// Failure and kinds added later give none.
func decodeSESEvent(snsID, message string, snsAt time.Time) ([]Event, error) {
	var e sesEvent
	if err := json.Unmarshal([]byte(message), &e); err != nil {
		return nil, malformed("Message is not an SES event: %v", err)
	}
	kind := e.EventType
	if kind == "" {
		kind = e.NotificationType
	}
	if kind == "" {
		return nil, malformed("Message has neither eventType nor notificationType")
	}
	if e.Mail.MessageID == "" {
		return nil, malformed("Message.mail.messageId is required")
	}
	base := Event{Provider: "ses", ProviderMessageID: e.Mail.MessageID, MessageKey: sesKey(&e)}
	one := func(t Type, recipient, detail, link string, at time.Time) Event {
		ev := base
		ev.Type, ev.Recipient, ev.Detail, ev.URL, ev.At = t, recipient, detail, link, at.UTC()
		if at.IsZero() {
			ev.At = snsAt
		}
		ev.ProviderEventID = eventID(snsID, recipient)
		return ev
	}
	single := ""
	if len(e.Mail.Destination) == 1 {
		single = e.Mail.Destination[0]
	}
	var out []Event
	switch kind {
	case "Bounce":
		if e.Bounce == nil || len(e.Bounce.BouncedRecipients) == 0 {
			return nil, malformed("a Bounce needs bounce.bouncedRecipients")
		}
		t := BouncedSoft
		if e.Bounce.BounceType == "Permanent" {
			t = BouncedHard
		}
		for _, r := range e.Bounce.BouncedRecipients {
			out = append(out, one(t, r.EmailAddress, r.detail(e.Bounce.BounceType+"/"+e.Bounce.BounceSubType), "", e.Bounce.Timestamp))
		}
	case "Complaint":
		if e.Complaint == nil || len(e.Complaint.ComplainedRecipients) == 0 {
			return nil, malformed("a Complaint needs complaint.complainedRecipients")
		}
		for _, r := range e.Complaint.ComplainedRecipients {
			out = append(out, one(Complained, r.EmailAddress, e.Complaint.ComplaintFeedbackType, "", e.Complaint.Timestamp))
		}
	case "Delivery":
		if e.Delivery == nil || len(e.Delivery.Recipients) == 0 {
			return nil, malformed("a Delivery needs delivery.recipients")
		}
		for _, r := range e.Delivery.Recipients {
			out = append(out, one(Delivered, r, e.Delivery.SMTPResponse, "", e.Delivery.Timestamp))
		}
	case "DeliveryDelay":
		if e.DeliveryDelay == nil || len(e.DeliveryDelay.DelayedRecipients) == 0 {
			return nil, malformed("a DeliveryDelay needs deliveryDelay.delayedRecipients")
		}
		for _, r := range e.DeliveryDelay.DelayedRecipients {
			out = append(out, one(Deferred, r.EmailAddress, r.detail(e.DeliveryDelay.DelayType), "", e.DeliveryDelay.Timestamp))
		}
	case "Open":
		if e.Open == nil {
			return nil, malformed("an Open needs open")
		}
		out = append(out, one(Opened, single, "", "", e.Open.Timestamp))
	case "Click":
		if e.Click == nil || e.Click.Link == "" {
			return nil, malformed("a Click needs click.link")
		}
		out = append(out, one(Clicked, single, "", e.Click.Link, e.Click.Timestamp))
	}
	return out, nil
}

// sesKey reads outreach's key from the message tag, else the header.
func sesKey(e *sesEvent) string {
	if v := e.Mail.Tags[SESKeyTag]; len(v) > 0 {
		return v[0]
	}
	for _, h := range e.Mail.Headers {
		if strings.EqualFold(h.Name, SESKeyHeader) {
			return h.Value
		}
	}
	return ""
}
