package httpx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/httpx"
)

// TestDecodeJSONContentType: a JSON body is only read as JSON when it says
// it is JSON: application/json or a +json type, with no charset or
// charset=utf-8 (JSON is UTF-8, RFC 8259). No Content-Type at all, another
// type or another charset is a 415 naming Content-Type, so a form or a
// text/plain body a browser may send cross-site without a preflight is
// never taken for a JSON request.
func TestDecodeJSONContentType(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		ctype string
		ok    bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"application/json;charset=UTF-8", true},
		{"Application/JSON", true},
		{"application/merge-patch+json", true},
		{"application/vnd.reos+json; charset=utf-8", true},
		{"", false},
		{"text/plain", false},
		{"text/plain; charset=utf-8", false},
		{"application/x-www-form-urlencoded", false},
		{"multipart/form-data; boundary=x", false},
		{"application/json; charset=iso-8859-1", false},
		{"application/json; charset=utf-16", false},
		{"application/jsonp", false},
		{"application/+json", false},
		{"json", false},
		{"application/json; charset", false},
		{";;;", false},
	} {
		t.Run(tt.ctype, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"email":"a@x.test"}`))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			var v createReq
			err := httpx.DecodeJSON(req, &v)
			if tt.ok {
				if err != nil || v.Email != "a@x.test" {
					t.Fatalf("DecodeJSON = %v, %+v", err, v)
				}
				return
			}
			p := httpx.ProblemFor(err)
			if p.Status != http.StatusUnsupportedMediaType || p.Type != httpx.ProblemTypeBase+"unsupported_media_type" ||
				len(p.Errors) != 1 || p.Errors[0].Field != "Content-Type" {
				t.Fatalf("DecodeJSON = %v, problem %+v; want a 415 naming Content-Type", err, p)
			}
		})
	}
}

// TestDecodeJSONDescribedTypes: a field of a type that describes itself
// (datetime.Date, datetime.Time) is refused with a 422 naming the field,
// however deep, and saying what it accepts.
func TestDecodeJSONDescribedTypes(t *testing.T) {
	t.Parallel()
	type body struct {
		Due  *datetime.Date `json:"due"`
		Deal struct {
			At datetime.Time `json:"at"`
		} `json:"deal"`
	}
	for _, tt := range []struct{ in, field, msg string }{
		{`{"due":"0000-01-01"}`, "due", "must be " + datetime.DateRule},
		{`{"due":"10000-01-01"}`, "due", "must be " + datetime.DateRule},
		{`{"due":"soon"}`, "due", "must be " + datetime.DateRule},
		{`{"due":7}`, "due", "must be " + datetime.DateRule},
		{`{"deal":{"at":"0000-01-01T00:00:00Z"}}`, "deal.at", "must be " + datetime.TimeRule},
	} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.in))
		req.Header.Set("Content-Type", "application/json")
		var b body
		err := httpx.DecodeJSON(req, &b)
		e, ok := apperr.As(err)
		if !ok || !errors.Is(err, apperr.ErrInvalid) || len(e.Fields) != 1 || e.Fields[0].Field != tt.field || e.Fields[0].Message != tt.msg {
			t.Errorf("%s: %v (%+v), want 422 on %s: %s", tt.in, err, e, tt.field, tt.msg)
		}
	}
}
