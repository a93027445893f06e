package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
)

type createReq struct {
	Email string `json:"email"`
	Age   int    `json:"age"`
}

type created struct {
	ID string `json:"id"`
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) httpx.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != httpx.ContentTypeProblem {
		t.Fatalf("content type = %q, body %s", ct, rec.Body.String())
	}
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem is not JSON: %v", err)
	}
	return p
}

// thingsHandler is a create endpoint whose result depends on the email: a
// conflict, an unknown (internal) error, a lock with Retry-After, or success.
func thingsHandler(logger *slog.Logger) http.Handler {
	return httpx.Chain(httpx.Endpoint(logger, httpx.DecodeBody[createReq](),
		func(_ context.Context, req createReq) (created, error) {
			switch req.Email {
			case "dup@x.test":
				return created{}, apperr.Conflict("email_taken", "email already registered")
			case "boom@x.test":
				return created{}, errors.New("pg: secret internal detail")
			case "locked@x.test":
				e := apperr.New(apperr.KindLocked, "account_locked", "try later")
				e.RetryAfter = 90 * time.Second
				return created{}, e
			}
			return created{ID: "u1"}, nil
		}, http.StatusCreated), httpx.RequestID)
}

func TestEndpointMapsResultsAndErrors(t *testing.T) {
	t.Parallel()
	// What is logged is TestUnknownErrorIsLoggedOnceWithTheRequestID's.
	h := thingsHandler(logging.Discard())

	tests := []struct {
		name       string
		body       string
		ctype      string
		wantStatus int
		wantField  string
		wantType   string
	}{
		{"created", `{"email":"a@x.test","age":3}`, "application/json", 201, "", ""},
		{"conflict", `{"email":"dup@x.test"}`, "application/json", 409, "", httpx.ProblemTypeBase + "email_taken"},
		{"unknown error is opaque 500", `{"email":"boom@x.test"}`, "application/json", 500, "", httpx.ProblemTypeBase + "internal"},
		{"locked with retry-after", `{"email":"locked@x.test"}`, "application/json", 423, "", httpx.ProblemTypeBase + "account_locked"},
		{"unknown field names it", `{"email":"a@x.test","org_id":"x"}`, "application/json", 422, "org_id", ""},
		{"wrong type names field", `{"email":"a@x.test","age":"old"}`, "application/json", 422, "age", ""},
		{"malformed", `{"email":`, "application/json", 400, "body", ""},
		{"empty", ``, "application/json", 400, "body", ""},
		{"two values", `{} {}`, "application/json", 400, "body", ""},
		{"wrong content type", `{}`, "text/plain", 415, "Content-Type", httpx.ProblemTypeBase + "unsupported_media_type"},
		{"no content type", `{}`, "", 415, "Content-Type", httpx.ProblemTypeBase + "unsupported_media_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if tt.wantStatus < 400 {
				return
			}
			p := decodeProblem(t, rec)
			if p.Status != tt.wantStatus || p.RequestID == "" || p.Instance != "/api/v1/things" {
				t.Fatalf("problem = %+v", p)
			}
			if tt.wantField != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.wantField) {
				t.Fatalf("errors = %+v, want field %s", p.Errors, tt.wantField)
			}
			if tt.wantType != "" && p.Type != tt.wantType {
				t.Fatalf("type = %s, want %s", p.Type, tt.wantType)
			}
			if strings.Contains(rec.Body.String(), "secret internal detail") {
				t.Fatal("internal error text leaked to the client")
			}
		})
	}
	t.Run("retry-after header", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(`{"email":"locked@x.test"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Retry-After"); got != "90" {
			t.Fatalf("Retry-After = %q", got)
		}
	})
}

// logRecords parses the JSON log lines in buf.
func logRecords(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// TestUnknownErrorIsLoggedOnceWithTheRequestID: the transport boundary logs
// an unknown error's 500 exactly once, at error, with the request id the
// client was given (header and problem) and the error's text, which the
// client never sees; a client error (4xx) is the client's business and is
// not logged. Both ways a service writes an error are covered: an
// httpx.Endpoint's result and a handler calling httpx.WriteError.
func TestUnknownErrorIsLoggedOnceWithTheRequestID(t *testing.T) {
	t.Parallel()
	writeError := func(logger *slog.Logger) http.Handler {
		return httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var v createReq
			if err := httpx.DecodeJSON(r, &v); err != nil {
				httpx.WriteError(w, r, logger, err)
				return
			}
			switch v.Email {
			case "dup@x.test":
				httpx.WriteError(w, r, logger, apperr.Conflict("email_taken", "email already registered"))
			case "boom@x.test":
				httpx.WriteError(w, r, logger, errors.New("pg: secret internal detail"))
			}
		}), httpx.RequestID)
	}
	for _, way := range []struct {
		name    string
		handler func(*slog.Logger) http.Handler
	}{{"endpoint", thingsHandler}, {"WriteError", writeError}} {
		for _, tt := range []struct {
			name   string
			body   string
			status int
			logged bool
		}{
			{"unknown error", `{"email":"boom@x.test"}`, http.StatusInternalServerError, true},
			{"conflict", `{"email":"dup@x.test"}`, http.StatusConflict, false},
			{"bad field", `{"email":"a@x.test","age":"old"}`, http.StatusUnprocessableEntity, false},
		} {
			t.Run(way.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				var logBuf bytes.Buffer
				h := way.handler(logging.New(&logBuf, "info", "test"))
				req := httptest.NewRequest(http.MethodPost, "/api/v1/things", strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(httpx.HeaderRequestID, "req-"+strings.ReplaceAll(way.name+"-"+tt.name, " ", "-"))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != tt.status {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
				}
				p := decodeProblem(t, rec)
				id := req.Header.Get(httpx.HeaderRequestID)
				if p.RequestID != id || rec.Header().Get(httpx.HeaderRequestID) != id {
					t.Fatalf("request id: problem %q, header %q, want %q", p.RequestID, rec.Header().Get(httpx.HeaderRequestID), id)
				}
				records := logRecords(t, &logBuf)
				if !tt.logged {
					if len(records) != 0 {
						t.Fatalf("a %d was logged: %v", tt.status, records)
					}
					return
				}
				if len(records) != 1 {
					t.Fatalf("the 500 was logged %d times, want once:\n%s", len(records), logBuf.String())
				}
				got := records[0]
				if got["level"] != "ERROR" || got["request_id"] != id || got["status"] != float64(http.StatusInternalServerError) ||
					got["path"] != "/api/v1/things" || !strings.Contains(fmt.Sprint(got["error"]), "secret internal detail") {
					t.Fatalf("the 500's log record = %v; want level ERROR, request_id %q, status 500, the path and the error's text", got, id)
				}
			})
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	big := `{"email":"` + strings.Repeat("a", httpx.MaxJSONBody) + `"}`
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	var v createReq
	err := httpx.DecodeJSON(req, &v)
	if !errors.Is(err, apperr.ErrTooLarge) {
		t.Fatalf("err = %v, want too large", err)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query   string
		limit   int
		wantErr bool
	}{
		{"", httpx.DefaultLimit, false},
		{"limit=10", 10, false},
		{"limit=200", 200, false},
		{"limit=201", 0, true},
		{"limit=0", 0, true},
		{"limit=ten", 0, true},
		{"cursor=" + strings.Repeat("a", postgres.MaxCursorLen), httpx.DefaultLimit, false},
		{"cursor=" + strings.Repeat("a", postgres.MaxCursorLen+1), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.query[:min(len(tt.query), 20)], func(t *testing.T) {
			t.Parallel()
			p, err := httpx.ParsePage(httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil))
			if (err != nil) != tt.wantErr || (!tt.wantErr && p.Limit != tt.limit) {
				t.Fatalf("ParsePage(%q) = %+v, %v", tt.query, p, err)
			}
		})
	}

	l := httpx.NewList[int](nil, "")
	b, _ := json.Marshal(l)
	if string(b) != `{"items":[],"next_cursor":null}` {
		t.Fatalf("empty list = %s", b)
	}
}

func TestRequestIDKeepsSaneIncomingAndReplacesBad(t *testing.T) {
	t.Parallel()
	var seen string
	h := httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = httpx.RequestIDFrom(r.Context())
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(httpx.HeaderRequestID, "abc-123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if seen != "abc-123" || rec.Header().Get(httpx.HeaderRequestID) != "abc-123" {
		t.Fatalf("kept id = %q / %q", seen, rec.Header().Get(httpx.HeaderRequestID))
	}
	req.Header.Set(httpx.HeaderRequestID, "bad id\nwith newline")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if seen == "" || strings.ContainsAny(seen, " \n") {
		t.Fatalf("bad id not replaced: %q", seen)
	}
}

func TestRecoverTurnsPanicInto500(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	logger := logging.New(&logBuf, "info", "test")
	h := httpx.Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }),
		httpx.RequestID, httpx.Recover(logger))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != 500 {
		t.Fatalf("status = %d", rec.Code)
	}
	p := decodeProblem(t, rec)
	records := logRecords(t, &logBuf)
	if len(records) != 1 || records[0]["panic"] != "kaboom" || p.RequestID == "" || records[0]["request_id"] != p.RequestID {
		t.Fatalf("panic not logged once with the request id %q: %s", p.RequestID, logBuf.String())
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.c","age":1}`, `{`, `[]`, `null`, `{"age":1e400}`, `{"email":"\ud800"}`, `{} x`, `{"org_id":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		var v createReq
		err := httpx.DecodeJSON(req, &v)
		if err == nil {
			// Accepted text is what the client sent: never a replaced byte.
			if !utf8.Valid(body) || !utf8.ValidString(v.Email) {
				t.Fatalf("accepted a body that is not UTF-8: %q", body)
			}
			return
		}
		p := httpx.ProblemFor(err)
		if p.Status < 400 || p.Status >= 500 {
			t.Fatalf("decode error mapped to %d: %v", p.Status, err)
		}
	})
}
