package iox_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"reos.dev/pkg/iox"
)

func TestCountingReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    io.Reader
		want int64
		err  error
	}{
		{"empty", strings.NewReader(""), 0, nil},
		{"whole", strings.NewReader("hello, world"), 12, nil},
		{"one byte a read", iotest.OneByteReader(strings.NewReader("abc")), 3, nil},
		{"bytes before an error count", io.MultiReader(strings.NewReader("abcd"), iotest.ErrReader(errors.New("cut"))), 4, errors.New("cut")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := iox.NewCountingReader(tc.r)
			b, err := io.ReadAll(c)
			if (err == nil) != (tc.err == nil) || (err != nil && err.Error() != tc.err.Error()) {
				t.Fatalf("ReadAll error %v, want %v", err, tc.err)
			}
			if c.N() != tc.want || int64(len(b)) != tc.want {
				t.Fatalf("counted %d, read %d bytes, want %d", c.N(), len(b), tc.want)
			}
		})
	}
}
