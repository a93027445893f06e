package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Response is an HTTP answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Client calls one in-process service (an httptest server around its
// handler) the way a real client does, over loopback HTTP.
type Client struct {
	t   testing.TB
	srv *httptest.Server
}

// NewClient serves h on an httptest server closed when the test ends.
func NewClient(t testing.TB, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Client{t: t, srv: srv}
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.srv.URL }

// Do sends a request and reads the answer. body may be nil, a []byte or
// string (sent as is) or a value to marshal as JSON; headers come in name,
// value pairs; token, when set, is sent as a bearer token.
func (c *Client) Do(method, path, token string, body any, headers ...string) Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: data}
}

// Decode unmarshals r's body into a new T, failing the test on error.
func Decode[T any](t testing.TB, r Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, r, err)
	}
	return v
}

// Expect fails the test unless r has status; what names the request.
func Expect(t testing.TB, r Response, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: got %s, want %d", what, r, status)
	}
}

// Problem is the part of an RFC 9457 answer tests look at.
type Problem struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
		Line    int    `json:"line"`
		Column  int    `json:"column"`
	} `json:"errors"`
}

// HasField reports whether the problem names field among its errors.
func (p Problem) HasField(field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// ExpectField fails the test unless r has status and is a problem+json
// naming field: bad input must say which field and why.
func ExpectField(t testing.TB, r Response, status int, field, what string) {
	t.Helper()
	Expect(t, r, status, what)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s: Content-Type %q, want application/problem+json: %s", what, ct, r)
	}
	if p := Decode[Problem](t, r); !p.HasField(field) {
		t.Fatalf("%s: problem does not name %q: %s", what, field, r)
	}
}
