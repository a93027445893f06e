package storage_test

import (
	"strings"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/storage"
)

func TestValidateKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 200) + "/" + strings.Repeat("b", 200) + "/" + strings.Repeat("c", 110)
	tests := []struct {
		key string
		ok  bool
	}{
		{"0190c0de-0000-7000-8000-000000000001/properties/p1/images/x.png", true},
		{"a", true},
		{"a_b-c.d/E9", true},
		{long, true},
		{long + "c", false}, // 513 bytes
		{"", false},
		{"/abs/path", false},
		{"trailing/", false},
		{"a//b", false},
		{"..", false},
		{"a/../b", false},
		{"a/./b", false},
		{".hidden", false},
		{"a/.meta", false},
		{`a\b`, false},
		{"a b", false},
		{"a%2Fb", false},
		{"a?b", false},
		{"é", false},
		{"a\x00b", false},
		{strings.Repeat("s", 256), false}, // segment longer than NAME_MAX
		{strings.Repeat("s", 255), true},
	}
	for _, tc := range tests {
		err := storage.ValidateKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
		}
		if err != nil && apperr.KindOf(err) != apperr.KindInvalid {
			t.Errorf("ValidateKey(%q) kind = %v", tc.key, apperr.KindOf(err))
		}
	}
}
