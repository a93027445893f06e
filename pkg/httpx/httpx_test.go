package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

func TestEndpointMapsResultsAndErrors(t *testing.T) {
	t.Parallel()
	var logBuf bytes.Buffer
	logger := logging.New(&logBuf, "info", "test")
	h := httpx.Chain(httpx.Endpoint(logger, httpx.DecodeBody[createReq](),
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
	decodeProblem(t, rec)
	if !strings.Contains(logBuf.String(), "kaboom") || !strings.Contains(logBuf.String(), "request_id") {
		t.Fatalf("panic not logged with request id: %s", logBuf.String())
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
