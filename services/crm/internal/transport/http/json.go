package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
)

// decodeBody is httpx.DecodeBody through decodeJSON.
func decodeBody[T any]() func(context.Context, *http.Request) (T, error) {
	return func(_ context.Context, r *http.Request) (T, error) {
		var v T
		err := decodeJSON(r, &v)
		return v, err
	}
}

// decodeJSON is httpx.DecodeJSON refusing text that is not UTF-8:
// encoding/json turns every such byte into U+FFFD, so crm would store text
// the client never sent. Such a body is a 422 naming the field that holds
// the bytes (property's text fields answer the same). What httpx refuses
// first keeps its answer — an unsupported media type (415), a body too
// large (413), malformed JSON (400) — while a type or unknown-field error
// gives way, as it may be about the replaced text itself (a key).
// (httpx.DecodeJSON itself accepts such bodies; pkg/httpx is shared, so
// crm checks in its own transport.)
func decodeJSON(r *http.Request, dst any) error {
	raw, readErr := io.ReadAll(io.LimitReader(r.Body, httpx.MaxJSONBody+1))
	var rest io.Reader = bytes.NewReader(raw)
	if readErr != nil {
		rest = io.MultiReader(rest, errReader{readErr}) // httpx answers a failed read as before
	}
	r.Body = io.NopCloser(rest)
	err := httpx.DecodeJSON(r, dst)
	switch apperr.KindOf(err) {
	case apperr.KindUnsupportedMediaType, apperr.KindTooLarge, apperr.KindBadRequest:
		return err
	}
	if !utf8.Valid(raw) {
		return apperr.Invalid(invalidUTF8Field(raw), "must be valid UTF-8")
	}
	return err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// invalidUTF8Field names the field of a JSON document holding the first
// string that is not UTF-8: the dotted path of object keys down to it
// (array positions are not named, as in the field errors of list fields:
// match.postal_codes), the enclosing object's path for a bad key, "body"
// at the top.
func invalidUTF8Field(raw []byte) string {
	type level struct {
		object    bool
		key       string
		expectKey bool
	}
	var stack []level
	path := func() string {
		var keys []string
		for _, l := range stack {
			if l.object && !l.expectKey {
				keys = append(keys, l.key)
			}
		}
		if len(keys) == 0 {
			return "body"
		}
		return strings.Join(keys, ".")
	}
	// valueDone marks the end of a value inside an object: a key is next.
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		bad := !utf8.Valid(raw[start:dec.InputOffset()])
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, level{object: true, expectKey: true})
			case '[':
				stack = append(stack, level{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				if bad {
					return path()
				}
				stack[n-1].key, stack[n-1].expectKey = t, false
				continue
			}
			if bad {
				return path()
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
