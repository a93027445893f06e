package app

import (
	"strconv"
	"testing"
)

// FuzzParseTaskID: a task id from a path either parses into a service and
// a positive job number that print back to the same id, or is refused.
func FuzzParseTaskID(f *testing.F) {
	for _, s := range []string{"crm:42", "crm:0", "crm:01", ":1", "crm:", "a:b:1", "crm:-1", "crm:99999999999999999999", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		svc, n, ok := ParseTaskID(id)
		if !ok {
			return
		}
		if svc == "" || n < 1 || TaskID(svc, n) != id {
			t.Fatalf("ParseTaskID(%q) = %q, %d: does not print back (%q)", id, svc, n, TaskID(svc, n))
		}
	})
}

// FuzzDecodeCursor: any cursor text is refused or decodes to a non-empty
// set of services' cursors that encodes back to an equivalent cursor.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(map[string]string{"crm": "abc", "property": "x"}))
	f.Add("bm9wZQ")
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := decodeCursor(s)
		if err != nil {
			return
		}
		if len(m) == 0 {
			t.Fatalf("decodeCursor(%q) accepted no services", s)
		}
		again, err := decodeCursor(encodeCursor(m))
		if err != nil || len(again) != len(m) {
			t.Fatalf("round trip of %q: %v %v", s, again, err)
		}
		for k, v := range m {
			if again[k] != v {
				t.Fatalf("round trip of %q changed %s: %s", s, k, strconv.Quote(again[k]))
			}
		}
	})
}
