// Package sink is a counting SMTP server for tests and benchmarks
// (emersion/go-smtp): it accepts every message, counts it, records its
// Message-ID so duplicates show, keeps the raw bytes when asked, and can
// misbehave on purpose: refuse recipients or data with a chosen reply, and
// drop a connection after it has delivered K messages.
//
// Tests start one in-process with Start; the smtpsink command serves one
// with an HTTP control endpoint (Handler) for scripts and end-to-end tests.
package sink

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Options configure a sink. The zero value is a sink on a free loopback
// port that accepts everything and keeps nothing but counts and ids.
type Options struct {
	// Addr to listen on; default 127.0.0.1:0 (a free port).
	Addr string
	// Keep the raw bytes of every message (Messages); off for benchmarks.
	Keep bool
	// DropAfter closes a connection, abruptly, right after its K-th
	// message was accepted (the 250 is sent first). 0: never. Changed at
	// run time with SetDropAfter; it applies to each connection's own count.
	DropAfter int
	// Rcpt, when set, is asked about every recipient; a non-nil error
	// refuses it (use Reply for a chosen SMTP code).
	Rcpt func(to string) error
	// Data, when set, is asked after a message's data was read; a non-nil
	// error refuses the message at the end of DATA (nothing is recorded),
	// except ErrDrop.
	Data func(from string, to []string) error
}

// ErrDrop, returned by the Data hook, records the message and closes the
// connection before the reply: the client cannot know the message arrived
// (the ambiguous end of DATA).
var ErrDrop = errors.New("sink: drop the connection before replying")

// Message is one accepted message.
type Message struct {
	From      string
	To        []string
	MessageID string
	Raw       []byte // only with Options.Keep
}

// Stats are the sink's counters.
type Stats struct {
	Messages    int64 `json:"messages"`
	Duplicates  int64 `json:"duplicates"` // messages whose Message-ID was seen before
	Connections int64 `json:"connections"`
	Dropped     int64 `json:"dropped"` // connections the sink closed on purpose
	Refused     int64 `json:"refused"` // recipients or messages refused by a hook
}

// Sink is a running SMTP sink.
type Sink struct {
	opts      Options
	server    *smtp.Server
	listener  net.Listener
	done      chan struct{}
	serveErr  error
	dropAfter atomic.Int64

	messages    atomic.Int64
	duplicates  atomic.Int64
	connections atomic.Int64
	dropped     atomic.Int64
	refused     atomic.Int64

	mu   sync.Mutex
	ids  map[string]int
	kept []Message
	open map[*session]struct{}
}

// Reply is an SMTP reply error for the hooks: code 4xx is temporary, 5xx
// permanent; the enhanced code is derived from it.
func Reply(code int, message string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: message}
}

// Start listens and serves until Close.
func Start(opts Options) (*Sink, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sink: listen %s: %w", addr, err)
	}
	s := &Sink{opts: opts, listener: l, done: make(chan struct{}), ids: map[string]int{}, open: map[*session]struct{}{}}
	s.dropAfter.Store(int64(opts.DropAfter))
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "sink.localhost"
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = discardLogger{}
	s.server = srv
	go func() {
		defer close(s.done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.serveErr = err
		}
	}()
	return s, nil
}

// Addr is the address the sink listens on (host:port).
func (s *Sink) Addr() string { return s.listener.Addr().String() }

// Close stops the server and every connection.
func (s *Sink) Close() error {
	err := s.server.Close()
	// Close closes the listeners Serve has registered; Serve may not have
	// run yet, so close ours too.
	_ = s.listener.Close()
	<-s.done
	if errors.Is(err, smtp.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, s.serveErr)
}

// Shutdown stops accepting and waits for open connections to end.
func (s *Sink) Shutdown(ctx context.Context) error {
	err := s.server.Shutdown(ctx)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// SetDropAfter changes DropAfter for every connection (0: never drop).
func (s *Sink) SetDropAfter(k int) { s.dropAfter.Store(int64(k)) }

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{
		Messages:    s.messages.Load(),
		Duplicates:  s.duplicates.Load(),
		Connections: s.connections.Load(),
		Dropped:     s.dropped.Load(),
		Refused:     s.refused.Load(),
	}
}

// Count is the number of messages accepted.
func (s *Sink) Count() int { return int(s.messages.Load()) }

// MessageIDs returns how many times each Message-ID was received.
func (s *Sink) MessageIDs() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.ids))
	for k, v := range s.ids {
		out[k] = v
	}
	return out
}

// Messages returns the accepted messages in arrival order (raw bytes only
// with Options.Keep).
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.kept...)
}

// Reset forgets every message and zeroes the counters.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = map[string]int{}
	s.kept = nil
	s.messages.Store(0)
	s.duplicates.Store(0)
	s.connections.Store(0)
	s.dropped.Store(0)
	s.refused.Store(0)
}

func (s *Sink) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.MessageID != "" {
		if s.ids[m.MessageID] > 0 {
			s.duplicates.Add(1)
		}
		s.ids[m.MessageID]++
	}
	s.kept = append(s.kept, m)
	s.messages.Add(1)
}

// DropAll closes every open connection now, as a restarting or
// idle-timing-out server would; it returns how many it closed.
func (s *Sink) DropAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.open)
	for se := range s.open {
		_ = se.conn.Conn().Close()
		delete(s.open, se)
	}
	s.dropped.Add(int64(n))
	return n
}

func (s *Sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.connections.Add(1)
	se := &session{sink: s, conn: c}
	s.mu.Lock()
	s.open[se] = struct{}{}
	s.mu.Unlock()
	return se, nil
}

type session struct {
	sink      *Sink
	conn      *smtp.Conn
	from      string
	to        []string
	delivered int64
	drop      bool
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if hook := se.sink.opts.Rcpt; hook != nil {
		if err := hook(to); err != nil {
			se.sink.refused.Add(1)
			return err
		}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	m := Message{From: se.from, To: append([]string(nil), se.to...)}
	var err error
	if se.sink.opts.Keep {
		if m.Raw, err = io.ReadAll(r); err != nil {
			return err
		}
		m.MessageID, err = messageID(bufio.NewReader(bytes.NewReader(m.Raw)))
	} else {
		br := bufio.NewReader(r)
		m.MessageID, err = messageID(br)
		if err == nil {
			_, err = io.Copy(io.Discard, br)
		}
	}
	if err != nil {
		return Reply(554, "unreadable message: "+err.Error())
	}
	if hook := se.sink.opts.Data; hook != nil {
		if err := hook(m.From, m.To); errors.Is(err, ErrDrop) {
			se.sink.record(m)
			se.sink.dropped.Add(1)
			_ = se.conn.Conn().Close()
			return err
		} else if err != nil {
			se.sink.refused.Add(1)
			return err
		}
	}
	se.sink.record(m)
	se.delivered++
	if k := se.sink.dropAfter.Load(); k > 0 && se.delivered >= k {
		se.drop = true // closed in Reset, which go-smtp calls after it has sent the 250
	}
	return nil
}

func (se *session) Reset() {
	se.from, se.to = "", nil
	if se.drop {
		se.drop = false
		se.sink.dropped.Add(1)
		// The raw connection: smtp.Conn.Close takes the lock Reset runs under.
		_ = se.conn.Conn().Close()
	}
}

func (se *session) Logout() error {
	se.sink.mu.Lock()
	delete(se.sink.open, se)
	se.sink.mu.Unlock()
	return nil
}

// messageID reads the header block and returns its Message-ID ("" when it has none).
func messageID(r *bufio.Reader) (string, error) {
	h, err := textproto.NewReader(r).ReadMIMEHeader()
	if err != nil && !(errors.Is(err, io.EOF) && len(h) > 0) {
		return "", err
	}
	return h.Get("Message-Id"), nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}
