package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
)

func start(t *testing.T, o Options) *Sink {
	t.Helper()
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func send(c *smtp.Client, to, msgID string) error {
	if err := c.Mail("a@example.test"); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "Message-ID: %s\r\nSubject: hi\r\n\r\nbody\r\n", msgID); err != nil {
		return err
	}
	return w.Close()
}

func dial(t *testing.T, s *Sink) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestCountsMessagesAndDuplicateMessageIDs(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Keep: true})
	c := dial(t, s)
	for _, id := range []string{"<1@x>", "<2@x>", "<1@x>"} {
		if err := send(c, "b@example.test", id); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Messages != 3 || st.Duplicates != 1 || st.Connections != 1 {
		t.Fatalf("stats = %+v, want 3 messages, 1 duplicate, 1 connection", st)
	}
	if ids := s.MessageIDs(); ids["<1@x>"] != 2 || ids["<2@x>"] != 1 {
		t.Fatalf("ids = %v", ids)
	}
	msgs := s.Messages()
	if len(msgs) != 3 || msgs[1].MessageID != "<2@x>" || msgs[1].To[0] != "b@example.test" || !strings.Contains(string(msgs[1].Raw), "\r\n\r\nbody") {
		t.Fatalf("messages = %+v", msgs)
	}
	s.Reset()
	if st := s.Stats(); st.Messages != 0 || st.Duplicates != 0 || len(s.MessageIDs()) != 0 {
		t.Fatalf("after reset: %+v", st)
	}
}

func TestDropAfterClosesTheConnectionAfterTheKthAcceptedMessage(t *testing.T) {
	t.Parallel()
	s := start(t, Options{DropAfter: 2})
	c := dial(t, s)
	for i := range 2 {
		if err := send(c, "b@example.test", fmt.Sprintf("<%d@x>", i)); err != nil {
			t.Fatalf("message %d before the drop: %v", i, err)
		}
	}
	// The second message was acknowledged; the connection is gone after it.
	if err := send(c, "b@example.test", "<3@x>"); err == nil {
		t.Fatal("third message on the dropped connection was accepted")
	}
	if st := s.Stats(); st.Messages != 2 || st.Dropped != 1 {
		t.Fatalf("stats = %+v, want 2 messages and 1 drop", st)
	}
	// A new connection starts its own count.
	c2 := dial(t, s)
	if err := send(c2, "b@example.test", "<3@x>"); err != nil {
		t.Fatal(err)
	}
	s.SetDropAfter(0)
	for i := range 3 {
		if err := send(c2, "b@example.test", fmt.Sprintf("<more-%d@x>", i)); err != nil {
			t.Fatalf("with dropping off, message %d: %v", i, err)
		}
	}
	if st := s.Stats(); st.Messages != 6 || st.Dropped != 1 || st.Duplicates != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestHooksRefuseWithTheirReply(t *testing.T) {
	t.Parallel()
	s := start(t, Options{
		Rcpt: func(to string) error {
			if strings.HasPrefix(to, "gone@") {
				return Reply(550, "no such user")
			}
			return nil
		},
		Data: func(_ string, to []string) error {
			if strings.HasPrefix(to[0], "later@") {
				return Reply(451, "try later")
			}
			return nil
		},
	})
	c := dial(t, s)
	var te *textproto.Error
	if err := send(c, "gone@example.test", "<1@x>"); !errors.As(err, &te) || te.Code != 550 {
		t.Fatalf("rcpt refusal = %v, want 550", err)
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := send(c, "later@example.test", "<2@x>"); !errors.As(err, &te) || te.Code != 451 {
		t.Fatalf("data refusal = %v, want 451", err)
	}
	if err := send(c, "fine@example.test", "<3@x>"); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Messages != 1 || st.Refused != 2 {
		t.Fatalf("stats = %+v, want 1 message, 2 refused", st)
	}
}

func TestBareSendsEveryMessageOnce(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	res, err := Bare(context.Background(), BareOptions{Addr: s.Addr(), Messages: 500, Conns: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 500 || res.Failures != 0 || res.PerSec <= 0 {
		t.Fatalf("result = %+v", res)
	}
	if st := s.Stats(); st.Messages != 500 || st.Duplicates != 0 || st.Connections != 3 {
		t.Fatalf("sink stats = %+v", st)
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	s := start(t, Options{})
	if err := send(dial(t, s), "b@example.test", "<1@x>"); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stats", nil))
	var st Stats
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Messages != 1 {
		t.Fatalf("stats %q (%v)", rec.Body.String(), err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/drop-after?k=x", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("bad k: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/drop-after?k=1", nil))
	if rec.Code != http.StatusNoContent || s.dropAfter.Load() != 1 {
		t.Fatalf("drop-after: %d, %d", rec.Code, s.dropAfter.Load())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/reset", nil))
	if rec.Code != http.StatusNoContent || s.Count() != 0 {
		t.Fatalf("reset: %d, count %d", rec.Code, s.Count())
	}
}

func TestDropAllAndErrDrop(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Data: func(_ string, to []string) error {
		if strings.HasPrefix(to[0], "lost-ack@") {
			return ErrDrop
		}
		return nil
	}})
	c := dial(t, s)
	if err := send(c, "b@example.test", "<1@x>"); err != nil {
		t.Fatal(err)
	}
	if n := s.DropAll(); n != 1 {
		t.Fatalf("DropAll closed %d connections, want 1", n)
	}
	if err := send(c, "b@example.test", "<2@x>"); err == nil {
		t.Fatal("send on a dropped connection succeeded")
	}
	c2 := dial(t, s)
	if err := send(c2, "lost-ack@example.test", "<3@x>"); err == nil {
		t.Fatal("the client saw an answer to a message whose reply was dropped")
	}
	// The message arrived even though its sender could not know.
	if st := s.Stats(); st.Messages != 2 || st.Dropped != 2 || s.MessageIDs()["<3@x>"] != 1 {
		t.Fatalf("stats = %+v, ids %v", st, s.MessageIDs())
	}
}

func TestCloseRightAfterStartReturns(t *testing.T) {
	t.Parallel()
	// Close can run before Serve has registered its listener.
	for range 20 {
		s, err := Start(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
