package auth

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"reos.dev/pkg/logging"
)

type problem struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	v := NewStaticVerifier(map[string]*rsa.PublicKey{signer.KeyID(): signer.PublicKey()}, testIssuer, testAudience)
	access := mustSign(t, signer, validClaims(TokenUseAccess))
	refresh := mustSign(t, signer, validClaims(TokenUseRefresh))

	tests := []struct {
		name          string
		headers       []string
		wantStatus    int
		wantChallenge string
		wantType      string
	}{
		{name: "valid", headers: []string{"Bearer " + access}, wantStatus: http.StatusOK},
		{name: "lower-case scheme", headers: []string{"bearer " + access}, wantStatus: http.StatusOK},
		{name: "upper-case scheme, extra spaces", headers: []string{"BEARER   " + access + " "}, wantStatus: http.StatusOK},
		{name: "no header", wantStatus: http.StatusUnauthorized, wantChallenge: "Bearer", wantType: "missing_token"},
		{name: "basic auth", headers: []string{"Basic dXNlcjpwYXNz"}, wantStatus: http.StatusUnauthorized, wantChallenge: "Bearer", wantType: "missing_token"},
		{name: "empty bearer", headers: []string{"Bearer "}, wantStatus: http.StatusUnauthorized, wantChallenge: "Bearer", wantType: "missing_token"},
		{name: "token without scheme", headers: []string{access}, wantStatus: http.StatusUnauthorized, wantChallenge: "Bearer", wantType: "missing_token"},
		{name: "garbage token", headers: []string{"Bearer abc.def.ghi"}, wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer error="invalid_token"`, wantType: "invalid_token"},
		{name: "refresh token", headers: []string{"Bearer " + refresh}, wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer error="invalid_token"`, wantType: "invalid_token"},
		{name: "two Authorization headers", headers: []string{"Bearer " + access, "Bearer " + access}, wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer error="invalid_token"`, wantType: "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			logger := logging.New(&logs, "info", "test")
			var seen *Principal
			h := Middleware(v, logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, ok := PrincipalFrom(r.Context())
				if !ok {
					t.Error("no principal in the handler's context")
				}
				seen = &p
				// The raw token travels on for calls made on the caller's
				// behalf (pkg/svcclient), exactly as it was sent.
				if tok, ok := BearerFrom(r.Context()); !ok || !strings.Contains(req0(r), tok) {
					t.Errorf("BearerFrom = %q, %v; want the request's token", tok, ok)
				}
				logger.InfoContext(r.Context(), "handled")
				w.WriteHeader(http.StatusOK)
			}))
			req := httptest.NewRequest(http.MethodGet, "/api/v1/properties", nil)
			for _, h := range tt.headers {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == http.StatusOK {
				c := validClaims(TokenUseAccess)
				if seen == nil || seen.UserID != c.Subject || seen.OrgID != c.OrgID {
					t.Fatalf("principal = %+v", seen)
				}
				if !strings.Contains(logs.String(), `"org_id":"`+c.OrgID+`"`) || !strings.Contains(logs.String(), `"user_id":"`+c.Subject+`"`) {
					t.Fatalf("log record lacks org/user: %s", logs.String())
				}
				return
			}
			if seen != nil {
				t.Fatal("handler ran for a rejected request")
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var p problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
			}
			if !strings.HasSuffix(p.Type, "/"+tt.wantType) || p.Status != tt.wantStatus {
				t.Errorf("problem = %+v, want type …/%s", p, tt.wantType)
			}
		})
	}
}

func TestMiddlewareKeysUnavailable(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	srv := newJWKSServer(t, signer)
	srv.set(func() { srv.status = http.StatusBadGateway })
	v, _ := remoteVerifier(t, srv, 0)
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("Authorization", "Bearer "+mustSign(t, signer, validClaims(TokenUseAccess)))
	rec := httptest.NewRecorder()
	Middleware(v, logging.Discard())(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	if rec.Header().Get("WWW-Authenticate") != "" {
		t.Error("a 503 must not challenge the client for new credentials")
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		principal  *Principal
		perm       string
		wantStatus int
		wantType   string
	}{
		{"granted", &Principal{UserID: "u", Perms: []string{"properties:write"}}, "properties:write", http.StatusOK, ""},
		{"granted by wildcard", &Principal{UserID: "u", Perms: []string{"properties:*"}}, "properties:write", http.StatusOK, ""},
		{"missing permission", &Principal{UserID: "u", Perms: []string{"properties:read"}}, "properties:write", http.StatusForbidden, "missing_permission"},
		{"no principal", nil, "properties:write", http.StatusUnauthorized, "missing_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ran := false
			h := Require(tt.perm)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
			req := httptest.NewRequest(http.MethodPost, "/api/v1/properties", nil)
			if tt.principal != nil {
				req = req.WithContext(WithPrincipal(req.Context(), *tt.principal))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if ran != (tt.wantStatus == http.StatusOK) {
				t.Fatalf("handler ran = %v", ran)
			}
			if tt.wantType == "" {
				return
			}
			var p problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(p.Type, "/"+tt.wantType) {
				t.Errorf("problem type = %q, want …/%s", p.Type, tt.wantType)
			}
			if tt.wantStatus == http.StatusForbidden && !strings.Contains(p.Detail, tt.perm) {
				t.Errorf("detail %q does not name %s", p.Detail, tt.perm)
			}
			if tt.wantStatus == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestConstructorsRejectBadWiring(t *testing.T) {
	t.Parallel()
	v := NewStaticVerifier(map[string]*rsa.PublicKey{"k": &testKey(t, 0).PublicKey}, testIssuer, testAudience)
	tests := []struct {
		name string
		fn   func()
	}{
		{"Middleware nil verifier", func() { Middleware(nil, logging.Discard()) }},
		{"Middleware nil logger", func() { Middleware(v, nil) }},
		{"Require empty perm", func() { Require("") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.fn()
		})
	}
}

// req0 is the request's Authorization header.
func req0(r *http.Request) string { return r.Header.Get("Authorization") }
