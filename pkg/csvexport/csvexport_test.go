package csvexport_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"reos.dev/pkg/csvexport"
)

func TestNeutralize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://evil.test","click")`, `'=HYPERLINK("http://evil.test","click")`},
		{"+1-555-0100", "'+1-555-0100"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-", "'-"},
		{"+", "'+"},
		{"-.5", "'-.5"},
		{"-1e5", "'-1e5"},
		{"'=already quoted", "'=already quoted"},
		// Plain numbers are numbers, not formulas.
		{"-12", "-12"},
		{"+3.50", "+3.50"},
		{"42", "42"},
		// Harmless starts.
		{"", ""},
		{"Ann O'Neil", "Ann O'Neil"},
		{" =1+1", " =1+1"},
		{"a=b", "a=b"},
		{"ä=1", "ä=1"},
	} {
		if got := csvexport.Neutralize(tt.in); got != tt.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWriter: every cell quoted, formulas neutralised, quotes doubled,
// CRLF records that encoding/csv reads back as what Neutralize made.
func TestWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := csvexport.NewWriter(&buf)
	records := [][]string{
		{"name", "note", "amount"},
		{"Ann", `=HYPERLINK("http://evil.test")`, "-12"},
		{`Bob "the builder"`, "line 1\nline 2, still the note", "@x"},
		{"", "\t-1", "+1"},
	}
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	want := "\"name\",\"note\",\"amount\"\r\n" +
		"\"Ann\",\"'=HYPERLINK(\"\"http://evil.test\"\")\",\"-12\"\r\n" +
		"\"Bob \"\"the builder\"\"\",\"line 1\nline 2, still the note\",\"'@x\"\r\n" +
		"\"\",\"'\t-1\",\"+1\"\r\n"
	if buf.String() != want {
		t.Fatalf("wrote\n%q\nwant\n%q", buf.String(), want)
	}
	got, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range records {
		for j, c := range r {
			if got[i][j] != csvexport.Neutralize(c) {
				t.Errorf("cell %d,%d read back %q, want %q", i, j, got[i][j], csvexport.Neutralize(c))
			}
		}
	}
}

func TestWriterRefuses(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := csvexport.NewWriter(&buf)
	if err := w.Write([]string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]string{"only one"}); !errors.Is(err, csvexport.ErrColumns) {
		t.Fatalf("short record: %v", err)
	}
	if err := w.Write([]string{"ok", "bad \xff"}); !errors.Is(err, csvexport.ErrInvalidUTF8) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if err := w.Write(nil); !errors.Is(err, csvexport.ErrColumns) {
		t.Fatalf("empty record: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "\"a\",\"b\"\r\n" {
		t.Fatalf("a refused record was written: %q", buf.String())
	}
}

// FuzzWriter: whatever the cells, the file is valid CSV that reads back as
// the neutralised cells; no cell read back starts a formula (the first
// character is never =, @, tab or CR, and + or - only for a plain number);
// and removing the added quote gives the original, so nothing is lost.
func FuzzWriter(f *testing.F) {
	for _, s := range [][2]string{{"=1+1", "plain"}, {"-12", "+3.5"}, {"\t=x", "\r@y"}, {`"=q"`, "a,b\r\nc"}, {"-", ""}, {"'=x", "-1e5"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var buf bytes.Buffer
		w := csvexport.NewWriter(&buf)
		err := w.WriteAll([][]string{{"h1", "h2"}, {a, b}})
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			if !errors.Is(err, csvexport.ErrInvalidUTF8) {
				t.Fatalf("invalid UTF-8 %q %q: %v", a, b, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		rd := csv.NewReader(&buf)
		rd.LazyQuotes = false
		got, err := rd.ReadAll()
		if err != nil || len(got) != 2 || len(got[1]) != 2 {
			t.Fatalf("%q %q: read back %q, %v", a, b, got, err)
		}
		for i, orig := range []string{a, b} {
			cell := got[1][i]
			// encoding/csv turns \r\n inside a quoted field into \n.
			want := strings.ReplaceAll(csvexport.Neutralize(orig), "\r\n", "\n")
			if cell != want {
				t.Fatalf("cell %q read back %q, want %q", orig, cell, want)
			}
			if cell != "" {
				switch cell[0] {
				case '=', '@', '\t', '\r':
					t.Fatalf("cell %q read back starting a formula: %q", orig, cell)
				case '+', '-':
					if strings.ContainsAny(cell[1:], "+-*/=@()&^%:;,\" \t\r\neE") {
						t.Fatalf("cell %q read back as a signed non-number: %q", orig, cell)
					}
				}
			}
			if cell != strings.ReplaceAll(orig, "\r\n", "\n") && strings.TrimPrefix(cell, "'") != strings.ReplaceAll(orig, "\r\n", "\n") {
				t.Fatalf("cell %q: removing the quote gives %q", orig, strings.TrimPrefix(cell, "'"))
			}
		}
	})
}
