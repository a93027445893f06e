package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/iox"
)

// MaxJSONBody bounds request bodies read by DecodeJSON.
const MaxJSONBody = 1 << 20

// DecodeJSON reads one JSON object from r's body into dst. It refuses a
// body that does not say it is JSON (CheckJSONContentType), unknown fields
// (so a client cannot mass-assign org_id or roles), a body over MaxJSONBody
// and trailing data; every error is an apperr naming the field at fault.
func DecodeJSON(r *http.Request, dst any) error {
	if err := CheckJSONContentType(r); err != nil {
		return err
	}
	return DecodeJSONReader(io.LimitReader(r.Body, MaxJSONBody+1), dst)
}

// CheckJSONContentType accepts a request whose Content-Type is
// application/json or a structured +json type (application/merge-patch+json),
// with no charset or charset=utf-8 (RFC 8259: JSON is UTF-8). Anything else,
// no Content-Type included, is a 415 (reason unsupported_media_type) naming
// Content-Type: a body of another type is never read as JSON, which also
// keeps browsers from posting JSON cross-site as a "simple" text/plain or
// form request without a CORS preflight. Routes that take files check
// their own types (pkg/storage).
func CheckJSONContentType(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		cs, hasCharset := params["charset"]
		_, sub, _ := strings.Cut(mt, "/")
		isJSON := mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(sub, "+json") && sub != "+json")
		if isJSON && (!hasCharset || strings.EqualFold(cs, "utf-8")) {
			return nil
		}
	}
	e := apperr.New(apperr.KindUnsupportedMediaType, "unsupported_media_type", "the body must be JSON: Content-Type application/json (charset utf-8, if any)")
	e.Fields = []apperr.FieldError{{Field: "Content-Type", Message: "must be application/json or a +json type, charset utf-8 if any"}}
	return e
}

// DecodeJSONReader is DecodeJSON over a plain reader (already size-limited by
// the caller to at most MaxJSONBody+1 bytes).
//
// Text that is not UTF-8 is refused (422 naming the field that holds it):
// encoding/json would turn each such byte into U+FFFD, so the service
// would store text the client never sent. What is refused first keeps its
// answer — a body too large (413), malformed JSON (400) — while a type or
// unknown-field error gives way to it, as it may be about the mangled text
// itself (a key).
func DecodeJSONReader(body io.Reader, dst any) error {
	var raw bytes.Buffer
	lr := iox.NewCountingReader(io.TeeReader(body, &raw))
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if lr.N() > MaxJSONBody {
		return apperr.New(apperr.KindTooLarge, "body_too_large", fmt.Sprintf("the body exceeds %d bytes", MaxJSONBody))
	}
	if err != nil {
		err = jsonError(err)
		if apperr.KindOf(err) != apperr.KindBadRequest && !utf8.Valid(raw.Bytes()) {
			return apperr.Invalid(invalidUTF8Field(raw.Bytes()), "must be valid UTF-8")
		}
		return err
	}
	if !utf8.Valid(raw.Bytes()) {
		return apperr.Invalid(invalidUTF8Field(raw.Bytes()), "must be valid UTF-8")
	}
	if dec.More() {
		return apperr.BadRequest("body", "must contain a single JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		if lr.N() > MaxJSONBody {
			return apperr.New(apperr.KindTooLarge, "body_too_large", fmt.Sprintf("the body exceeds %d bytes", MaxJSONBody))
		}
		return apperr.BadRequest("body", "must contain a single JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return apperr.BadRequest("body", "a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.BadRequest("body", "the JSON is truncated")
	case errors.As(err, &syntaxErr):
		return apperr.BadRequest("body", fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		if d, ok := describerOf(typeErr.Type); ok {
			return apperr.Invalid(field, "must be "+d.Describe())
		}
		return apperr.Invalid(field, "must be "+jsonTypeName(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid(name, "is not a field of this request")
	default:
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return err // a custom UnmarshalJSON already named the field
		}
		return apperr.BadRequest("body", "the JSON could not be read")
	}
}

// Describer is a JSON type that says what it accepts (datetime.Date: "a
// date YYYY-MM-DD from …"). When its UnmarshalJSON refuses a value with a
// *json.UnmarshalTypeError, encoding/json names the field and DecodeJSON
// answers 422 "must be " + Describe() on it.
type Describer interface{ Describe() string }

func describerOf(t reflect.Type) (Describer, bool) {
	if t == nil {
		return nil, false
	}
	d, ok := reflect.Zero(t).Interface().(Describer)
	return d, ok
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	default:
		return "of another type"
	}
}
