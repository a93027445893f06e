package webhookhttp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

var loopbackOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// independentSignature computes a Standard Webhooks signature from the
// spec's definition, without pkg/standardwebhooks.
func independentSignature(key []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestSendSignsAndClassifies(t *testing.T) {
	t.Parallel()
	oldKey, newKey := bytes.Repeat([]byte{1}, 24), bytes.Repeat([]byte{2}, 32)
	var mu sync.Mutex
	var got http.Header
	var gotBody []byte
	status, retryAfter := http.StatusOK, ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = r.Header.Clone()
		gotBody, _ = io.ReadAll(r.Body)
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(strings.Repeat("x", 2*ExcerptBytes)))
	}))
	t.Cleanup(srv.Close)
	at := time.Unix(1_700_000_000, 0)
	s := NewSender(NewGuard(loopbackOnly), 5*time.Second, func() time.Time { return at })
	msg := Message{URL: srv.URL + "/hook", ID: "msg_1", At: at, Body: []byte(`{"type":"lead.created"}`), Keys: [][]byte{newKey, oldKey}}

	out := s.Send(context.Background(), msg)
	if out.Verdict != Delivered || out.Status != 200 || len(out.Excerpt) != ExcerptBytes {
		t.Fatalf("outcome %+v, want delivered with a %d-byte excerpt", out, ExcerptBytes)
	}
	mu.Lock()
	sigs := strings.Fields(got.Get("webhook-signature"))
	ts := got.Get("webhook-timestamp")
	if got.Get("webhook-id") != "msg_1" || ts != "1700000000" || !bytes.Equal(gotBody, msg.Body) {
		t.Fatalf("headers %v body %q", got, gotBody)
	}
	if want := []string{independentSignature(newKey, "msg_1", ts, msg.Body), independentSignature(oldKey, "msg_1", ts, msg.Body)}; len(sigs) != 2 || sigs[0] != want[0] || sigs[1] != want[1] {
		t.Fatalf("signatures %q, want both keys' %q", sigs, want)
	}
	mu.Unlock()

	for _, tc := range []struct {
		status     int
		retryAfter string
		verdict    string
		wait       time.Duration
	}{
		{http.StatusGone, "", Gone, 0},
		{http.StatusTooManyRequests, "120", Retry, 2 * time.Minute},
		{http.StatusBadGateway, "30", Retry, 30 * time.Second},
		{http.StatusGatewayTimeout, at.Add(time.Hour).UTC().Format(http.TimeFormat), Retry, time.Hour},
		{http.StatusInternalServerError, "120", Retry, 0}, // only 429, 502 and 504 are read
		{http.StatusFound, "", Retry, 0},
	} {
		mu.Lock()
		status, retryAfter = tc.status, tc.retryAfter
		mu.Unlock()
		out := s.Send(context.Background(), msg)
		if out.Verdict != tc.verdict || out.Status != tc.status || out.RetryAfter != tc.wait {
			t.Errorf("answer %d (Retry-After %q): outcome %+v, want %s after %s", tc.status, tc.retryAfter, out, tc.verdict, tc.wait)
		}
	}
}

// TestGuardRefusesInternalTargets: loopback, private, metadata and a name
// resolving to loopback are refused at connect time, before any byte is
// sent; the dev allow-list lets loopback through.
func TestGuardRefusesInternalTargets(t *testing.T) {
	t.Parallel()
	var hits int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	strict := NewSender(NewGuard(nil), 2*time.Second, time.Now)
	msg := func(host string) Message {
		return Message{URL: "http://" + net.JoinHostPort(host, port) + "/", ID: "msg_1", At: time.Now(), Body: []byte("{}"), Keys: [][]byte{bytes.Repeat([]byte{1}, 24)}}
	}
	for _, host := range []string{"127.0.0.1", "localhost", "10.0.0.1", "169.254.169.254", "::1", "100.64.0.1", "192.168.1.1", "0.0.0.0", "::ffff:127.0.0.1"} {
		out := strict.Send(context.Background(), msg(host))
		if out.Verdict != Retry || out.Status != 0 || !strings.Contains(out.Error, "not allowed") {
			t.Errorf("%s: outcome %+v, want refused", host, out)
		}
	}
	mu.Lock()
	if hits != 0 {
		t.Errorf("the receiver on loopback was reached %d times", hits)
	}
	mu.Unlock()
	dev := NewSender(NewGuard(loopbackOnly), 2*time.Second, time.Now)
	if out := dev.Send(context.Background(), msg("127.0.0.1")); out.Verdict != Delivered {
		t.Errorf("allowed loopback: outcome %+v", out)
	}
}

func TestGuardCheck(t *testing.T) {
	t.Parallel()
	g := NewGuard(nil)
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.100.100.200",
		"fd00:ec2::254", "fe80::1", "::1", "::", "224.0.0.1", "255.255.255.255", "64:ff9b::a00:1", "::ffff:10.0.0.1"} {
		if err := g.Check(netip.MustParseAddr(a)); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("Check(%s) = %v, want blocked", a, err)
		}
	}
	for _, a := range []string{"93.184.215.14", "8.8.8.8", "2606:4700::1111"} {
		if err := g.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("Check(%s) = %v, want allowed", a, err)
		}
	}
}
