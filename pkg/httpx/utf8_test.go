package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
)

// TestDecodeJSONRefusesInvalidUTF8: encoding/json would store U+FFFD for
// each bad byte; DecodeJSON answers 422 naming the field that holds it,
// while a body that is malformed anyway keeps its 400.
func TestDecodeJSONRefusesInvalidUTF8(t *testing.T) {
	t.Parallel()
	type inner struct {
		PostalCodes []string `json:"postal_codes"`
	}
	type body struct {
		Name  string `json:"name"`
		Match inner  `json:"match"`
	}
	const bad = "\xff\xfe"
	tests := []struct {
		name, json string
		kind       apperr.Kind
		field      string
	}{
		{"a top-level value", `{"name":"Ann` + bad + `"}`, apperr.KindInvalid, "name"},
		{"a value in an array of a nested object", `{"name":"ok","match":{"postal_codes":["1","` + bad + `"]}}`, apperr.KindInvalid, "match.postal_codes"},
		{"a key", `{"na` + bad + `me":"x"}`, apperr.KindInvalid, "body"},
		{"a nested key", `{"match":{"po` + bad + `":["1"]}}`, apperr.KindInvalid, "match"},
		{"malformed JSON keeps its 400", `{"name":"` + bad, apperr.KindBadRequest, "body"},
		{"valid multi-byte text passes", `{"name":"Zoë 日本"}`, apperr.KindUnknown, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(tc.json))
			req.Header.Set("Content-Type", "application/json")
			var v body
			err := httpx.DecodeJSON(req, &v)
			if tc.kind == apperr.KindUnknown {
				if err != nil || v.Name != "Zoë 日本" {
					t.Fatalf("valid text: %v, %+v", err, v)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != tc.kind || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
				t.Fatalf("got %v (%+v), want %s naming %q", err, e, tc.kind, tc.field)
			}
		})
	}
}
