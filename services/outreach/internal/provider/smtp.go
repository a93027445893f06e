package provider

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// CodeOutcomeUnknown is the Code of a temporary Error after which the
// message may or may not have been accepted: the connection broke between
// the end of the data and the server's answer (RFC 1047's window). The
// adapter never resends such a message itself; a resend by the caller
// carries the same Message-ID, which receivers that deduplicate honour.
const CodeOutcomeUnknown = "outcome_unknown"

// dkimHeaderKeys are the header fields every DKIM signature covers; the
// oversigned ones are listed once more than they appear, so a copy added
// in transit breaks the signature (RFC 6376 §8.15). reservedNames are the
// headers the adapter sets, which a message's own Headers may not.
var (
	dkimHeaderKeys = []string{
		"From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version", "Content-Type", "Reply-To",
		"From", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post", // oversigned
	}
	reservedNames = []string{"from", "to", "cc", "bcc", "subject", "date", "message-id", "reply-to", "sender", "list-unsubscribe", "list-unsubscribe-post", "dkim-signature", "mime-version", "content-type", "content-transfer-encoding", "return-path"}
)

// SMTP sends email over SMTP through a small pool of persistent
// connections: go-mail renders the message and dials (TLS, AUTH); each
// message takes a connection, sends MAIL, RCPT, DATA and RSET, and gives
// the connection back. A connection found
// broken before the message was committed is redialled and the message
// sent on the new one, once; one that breaks after the server accepted
// the message is redialled for the next one. Safe for concurrent use.
type SMTP struct {
	client    *gomail.Client // holds the configuration; dials the connections
	slots     chan *smtpConn
	clock     func() time.Time
	dkim      *DKIMConfig
	dkimKey   crypto.Signer
	timeout   time.Duration
	idDomain  string
	closeOnce sync.Once
}

// smtpConn is one pooled connection: nil until dialled and after a break;
// dirty once a transaction ran on it (the next one starts with RSET).
type smtpConn struct {
	c     *smtp.Client
	dirty bool
}

// NewSMTP validates cfg and makes the pool; connections are dialled on first use.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.PoolSize == 0 {
		cfg.PoolSize = 4
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout), gomail.WithoutNoop()}
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.NoTLS))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	s := &SMTP{client: client, slots: make(chan *smtpConn, cfg.PoolSize), clock: cfg.Clock, dkim: cfg.DKIM, idDomain: cfg.MessageIDDomain, timeout: cfg.Timeout}
	if cfg.DKIM != nil {
		if s.dkimKey, err = cfg.DKIM.signer(); err != nil {
			return nil, err
		}
	}
	for range cfg.PoolSize {
		s.slots <- &smtpConn{}
	}
	return s, nil
}

// Name is "smtp".
func (*SMTP) Name() string { return "smtp" }

// Close ends every connection, waiting for the sends in flight: QUIT, or
// just closing one the server has already dropped (nothing is lost then:
// every message on it was answered). It always returns nil.
func (s *SMTP) Close() error {
	s.closeOnce.Do(func() {
		for range cap(s.slots) {
			sc := <-s.slots
			if sc.c != nil && sc.c.Quit() != nil {
				_ = sc.c.Close()
			}
		}
	})
	return nil
}

// MessageID is the Message-ID (without brackets) of the message with key:
// the same key always gives the same id, so a resend is recognisably the
// same message.
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// SendEmail sends m once. Errors are *Error: 5xx replies permanent, 4xx
// replies and connection failures temporary.
func (s *SMTP) SendEmail(ctx context.Context, m EmailMessage) (Result, error) {
	// Rendered (and signed) before a connection is taken, so the pool's
	// connections only ever wait on the network.
	from, to, raw, id, err := s.render(m)
	if err != nil {
		return Result{}, err
	}
	var sc *smtpConn
	select {
	case sc = <-s.slots:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { s.slots <- sc }()

	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if sc.c == nil {
			c, err := s.client.DialToSMTPClientWithContext(ctx)
			if err != nil {
				return Result{}, classifySMTP(err, "connect")
			}
			sc.c = c
		}
		stage, err := s.transaction(sc, from, to, raw)
		if err == nil {
			return Result{ProviderMessageID: id, Provider: "smtp", AcceptedAt: s.clock()}, nil
		}
		var te *textproto.Error
		if errors.As(err, &te) && stage != stageReset {
			// The server answered: the connection is fine and the
			// transaction refused; the next one starts with RSET.
			return Result{}, classifySMTP(err, "")
		}
		// No reply (or a refused RSET): the connection is no good.
		s.drop(sc)
		switch {
		case stage == stageEnd:
			// The data was sent; whether the server took it is unknown.
			return Result{}, &Error{Provider: "smtp", Code: CodeOutcomeUnknown, Err: err}
		case attempt > 0:
			return Result{}, classifySMTP(err, "connection")
		}
		// Before the data was committed (RSET, MAIL, RCPT, DATA, the
		// bytes): nothing was delivered; send again on a fresh connection.
	}
}

type stage int

const (
	stageReset stage = iota // the RSET that ends the previous transaction
	stageMail
	stageRcpt
	stageData
	stageWrite
	stageEnd // the final dot and its reply
)

// transaction sends one message on sc and says where it stopped. With
// PIPELINING (RFC 2920) the RSET of the previous transaction, MAIL, RCPT
// and DATA go in one write and their replies are read together: two round
// trips a message instead of five.
func (s *SMTP) transaction(sc *smtpConn, from, to string, raw []byte) (stage, error) {
	c := sc.c
	if err := c.UpdateDeadline(s.timeout); err != nil {
		return stageReset, err
	}
	params := ""
	if !isASCII(from) || !isASCII(to) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return stageMail, &textproto.Error{Code: 553, Msg: "5.6.7 the server does not take non-ASCII addresses (no SMTPUTF8)"}
		}
		params = " SMTPUTF8"
	}
	reset := sc.dirty
	sc.dirty = true
	if ok, _ := c.Extension("PIPELINING"); ok {
		return s.pipelined(c, reset, from, to, params, raw)
	}
	if reset {
		if err := c.Reset(); err != nil {
			return stageReset, err
		}
	}
	if err := c.Mail(from); err != nil {
		return stageMail, err
	}
	if err := c.Rcpt(to); err != nil {
		return stageRcpt, err
	}
	w, err := c.Data()
	if err != nil {
		return stageData, err
	}
	if _, err := w.Write(raw); err != nil {
		return stageWrite, err
	}
	if err := w.Close(); err != nil {
		return stageEnd, err
	}
	return stageEnd, nil
}

func (s *SMTP) pipelined(c *smtp.Client, reset bool, from, to, params string, raw []byte) (stage, error) {
	w := c.Text.W
	if reset {
		_, _ = w.WriteString("RSET\r\n")
	}
	_, _ = fmt.Fprintf(w, "MAIL FROM:%s%s\r\nRCPT TO:%s\r\nDATA\r\n", from, params, to)
	if err := w.Flush(); err != nil {
		return stageReset, err
	}
	type reply struct {
		stage stage
		code  int
	}
	replies := []reply{{stageMail, 250}, {stageRcpt, 25}, {stageData, 354}}
	if reset {
		replies = append([]reply{{stageReset, 250}}, replies...)
	}
	// Every reply is read, so the stream stays in step; the first refusal decides.
	var refused error
	refusedAt, dataOpen := stageReset, false
	for _, r := range replies {
		_, _, err := c.Text.ReadResponse(r.code)
		var te *textproto.Error
		switch {
		case err == nil:
			dataOpen = r.stage == stageData
		case errors.As(err, &te):
			if refused == nil {
				refused, refusedAt = err, r.stage
			}
		default:
			return r.stage, err // no reply: the connection broke before the data
		}
	}
	switch {
	case refused != nil && dataOpen:
		// The server took DATA after refusing MAIL or RCPT and now waits
		// for data: this connection cannot go on (stageReset drops it).
		return stageReset, refused
	case refused != nil:
		return refusedAt, refused
	}
	dw := c.Text.DotWriter()
	if _, err := dw.Write(raw); err != nil {
		return stageWrite, err
	}
	if err := dw.Close(); err != nil { // the final dot: from here the outcome is the server's
		return stageEnd, err
	}
	if _, _, err := c.Text.ReadResponse(250); err != nil {
		return stageEnd, err
	}
	return stageEnd, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (s *SMTP) drop(sc *smtpConn) {
	if sc.c != nil {
		_ = sc.c.Close()
		sc.c = nil
	}
}

// classifySMTP makes err an *Error: a reply's code decides (5xx permanent,
// 4xx temporary); no reply (a connection failure) is temporary.
func classifySMTP(err error, fallback string) error {
	e := &Error{Provider: "smtp", Err: err, Code: fallback}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 && te.Code < 600 {
		e.Code = strconv.Itoa(te.Code)
		if esc, _, ok := strings.Cut(te.Msg, " "); ok && enhancedCode(esc) {
			e.Code += " " + esc
		}
		e.Permanent = te.Code >= 500
	}
	return e
}

// enhancedCode: an RFC 3463 status such as 5.1.1.
func enhancedCode(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return false
	}
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil || len(p) > 3 {
			return false
		}
	}
	return true
}

func invalid(provider, field, reason string) error {
	return &Error{Provider: provider, Permanent: true, Code: "invalid_message", Err: fmt.Errorf("%s: %s", field, reason)}
}

// render builds m with go-mail and returns the envelope, the bytes (DKIM
// signed when configured) and the Message-ID. The postal-address footer is
// already in the rendered body (the template package adds it), so
// PostalAddress is not added again.
func (s *SMTP) render(m EmailMessage) (from, to string, raw []byte, id string, err error) {
	msg, id, err := s.build(m)
	if err != nil {
		return "", "", nil, "", err
	}
	var buf bytes.Buffer
	buf.Grow(len(m.HTML) + len(m.Text) + len(m.HTML)/8 + 2048) // the headers and quoted-printable's growth: one allocation
	if _, err := msg.WriteTo(&buf); err != nil {
		return "", "", nil, "", invalid("smtp", "body", err.Error())
	}
	raw = buf.Bytes()
	if s.dkimKey != nil {
		if raw, err = s.sign(raw); err != nil {
			return "", "", nil, "", &Error{Provider: "smtp", Permanent: true, Code: "dkim", Err: err}
		}
	}
	from, _ = msg.GetSender(false) // both validated by build; go-mail gives them in angle brackets
	rcpts, _ := msg.GetRecipients()
	return from, rcpts[0], raw, id, nil
}

// sign prepends a DKIM-Signature (emersion/go-msgauth; go-mail v0.8.1's own
// signer folds the h= tag inside a header name, which relaxed
// canonicalisation turns into a space, so its signatures do not verify).
func (s *SMTP) sign(raw []byte) ([]byte, error) {
	signer, err := dkim.NewSigner(&dkim.SignOptions{
		Domain: s.dkim.Domain, Selector: s.dkim.Selector, Signer: s.dkimKey, Hash: crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: dkimHeaderKeys,
	})
	if err != nil {
		return nil, err
	}
	if _, err := signer.Write(raw); err != nil {
		return nil, err
	}
	if err := signer.Close(); err != nil {
		return nil, err
	}
	sig := signer.Signature()
	out := make([]byte, 0, len(sig)+len(raw))
	return append(append(out, sig...), raw...), nil
}

// build makes the go-mail message of m.
func (s *SMTP) build(m EmailMessage) (*gomail.Msg, string, error) {
	if m.Key == "" {
		return nil, "", invalid("smtp", "key", "is required")
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, "", invalid("smtp", "from", err.Error())
	}
	domain := s.idDomain
	if domain == "" {
		domain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	}
	id := MessageID(m.Key, domain)
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	if err := msg.To(m.To); err != nil {
		return nil, "", invalid("smtp", "to", err.Error())
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, "", invalid("smtp", "reply_to", err.Error())
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, "", invalid("smtp", "subject", "contains a line break")
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.clock())
	msg.SetMessageIDWithValue(id)
	if m.UnsubscribeURL != "" {
		if err := msg.SetListUnsubscribeOneClick(m.UnsubscribeURL); err != nil {
			return nil, "", invalid("smtp", "unsubscribe_url", "must be an https URL")
		}
	}
	if err := setExtraHeaders(msg, m.Headers); err != nil {
		return nil, "", err
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		return nil, "", invalid("smtp", "body", "has neither text nor HTML")
	}
	return msg, id, nil
}

// setExtraHeaders adds the caller's headers in name order; the ones the
// adapter owns, and names or values that could inject lines, are refused.
func setExtraHeaders(msg *gomail.Msg, h map[string]string) error {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if err := checkHeader("smtp", k, h[k]); err != nil {
			return err
		}
		msg.SetGenHeader(gomail.Header(k), h[k])
	}
	return nil
}

func isReserved(k string) bool { return slices.Contains(reservedNames, strings.ToLower(k)) }

// validHeaderName: printable ASCII without colon or space (RFC 5322 §3.6.8).
func validHeaderName(k string) bool {
	if k == "" || len(k) > 76 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}
