package template

import (
	"testing"
	"text/template/parse"
)

func TestPosition(t *testing.T) {
	t.Parallel()
	src := "ab\n\tÇé{{x\n"
	tests := []struct {
		off, line, col int
	}{
		{0, 1, 1},
		{2, 1, 3},   // the first line break
		{3, 2, 1},   // the tab
		{4, 2, 2},   // Ç (two bytes)
		{6, 2, 3},   // é
		{8, 2, 4},   // {
		{12, 3, 1},  // the end, after the last line break
		{-5, 1, 1},  // clamped
		{100, 3, 1}, // clamped
	}
	for _, tc := range tests {
		if l, c := position(src, tc.off); l != tc.line || c != tc.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}

// The parser's offset is read from an unexported field; if a Go release
// renames it, this fails and the fallback below is what users get.
func TestTokenOffsetIsReadable(t *testing.T) {
	t.Parallel()
	tr := parse.New("x")
	if _, err := tr.Parse("ab {{ .x }", "", "", map[string]*parse.Tree{}); err == nil {
		t.Fatal("no parse error")
	}
	off, ok := tokenOffset(tr)
	if !ok || off != 9 {
		t.Fatalf("tokenOffset = %d, %v; want 9, true", off, ok)
	}
	if _, ok := tokenOffset(nil); ok {
		t.Fatal("tokenOffset(nil) ok")
	}
}

func TestOffsetFromMessage(t *testing.T) {
	t.Parallel()
	src := "one\n  two {{ .a # }}\nthree"
	tests := []struct {
		name string
		line int
		msg  string
		want int
	}{
		{"the quoted token on the line", 2, `unexpected "#" in command`, 16},
		{"no token: the line's first character", 2, "unexpected EOF", 6},
		{"a token not on the line", 1, `unexpected "#" in command`, 0},
		{"a line past the end", 9, "unexpected EOF", len(src)},
	}
	for _, tc := range tests {
		if got := offsetFromMessage(src, tc.line, tc.msg); got != tc.want {
			t.Errorf("%s: offsetFromMessage = %d, want %d", tc.name, got, tc.want)
		}
	}
}
