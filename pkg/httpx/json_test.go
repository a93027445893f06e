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
