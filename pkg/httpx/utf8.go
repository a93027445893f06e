package httpx

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

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
