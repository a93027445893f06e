// Package csvexport writes every CSV file the system hands out (reports,
// audit exports, import error reports, any future download): one writer,
// so no export can forget the defence against CSV injection.
//
// # CSV injection
//
// Cells are stored as users typed them ("=HYPERLINK(…)" is a legal lead
// note), but a spreadsheet that opens an exported file runs a cell that
// starts with =, +, - or @ as a formula, and a leading tab or carriage
// return can hide such a start. As OWASP's "CSV Injection" page advises,
// such a cell is written with a single quote (') in front, which a
// spreadsheet shows as text and does not evaluate, and every cell is
// enclosed in double quotes with inner double quotes doubled, so neither a
// separator nor a line break in a value can start a new cell. A cell that
// is only a plain decimal number (-12, +3.50) is the one exception: it is
// a number, not a formula, to every spreadsheet, and is kept as it is.
// The quote is visible to anyone who reads the file as text; that is the
// price OWASP accepts, and Neutralize documents exactly what was added.
//
// # Form
//
// RFC 4180: records end in CRLF, every record has the header's number of
// cells, the text is UTF-8 (a value that is not valid UTF-8 is an error:
// PostgreSQL text cannot hold one, so it is a bug upstream, not a value to
// mangle silently).
package csvexport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ContentType is the media type an export is served with.
const ContentType = "text/csv; charset=utf-8"

// ErrInvalidUTF8 is returned for a cell that is not valid UTF-8.
var ErrInvalidUTF8 = errors.New("csvexport: cell is not valid UTF-8")

// ErrColumns is returned for a record whose length differs from the first
// record's (the header).
var ErrColumns = errors.New("csvexport: record has a different number of cells than the header")

// Neutralize returns s as a spreadsheet must read it: s itself, or, if a
// spreadsheet could take s for a formula, s behind a single quote.
func Neutralize(s string) string {
	if dangerous(s) {
		return "'" + s
	}
	return s
}

// dangerous reports whether s starts with a character OWASP lists as
// starting a formula (=, +, -, @, tab, carriage return) and is not a plain
// number.
func dangerous(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		return !plainNumber(s[1:])
	}
	return false
}

// plainNumber reports whether s is digits with at most one decimal point
// between digits (no sign, no exponent, nothing else).
func plainNumber(s string) bool {
	intPart, frac, hasPoint := strings.Cut(s, ".")
	return allDigits(intPart) && (!hasPoint || allDigits(frac))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Writer writes records as CSV. Its methods are not safe for concurrent use.
type Writer struct {
	w      *bufio.Writer
	cells  int // the header's cell count; 0 until it is written
	record int
}

// NewWriter returns a Writer on w; call Flush when done.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Write writes one record, each cell neutralised and quoted. The first
// record (the header) fixes the number of cells; an error leaves nothing
// of the record written.
func (w *Writer) Write(record []string) error {
	w.record++
	if len(record) == 0 {
		return fmt.Errorf("csvexport: record %d: %w", w.record, ErrColumns)
	}
	if w.cells == 0 {
		w.cells = len(record)
	} else if len(record) != w.cells {
		return fmt.Errorf("csvexport: record %d has %d cells, the header %d: %w", w.record, len(record), w.cells, ErrColumns)
	}
	for i, c := range record {
		if !utf8.ValidString(c) {
			return fmt.Errorf("csvexport: record %d, cell %d: %w", w.record, i+1, ErrInvalidUTF8)
		}
	}
	var b strings.Builder
	for i, c := range record {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(Neutralize(c), `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteString("\r\n")
	_, err := w.w.WriteString(b.String())
	return err
}

// WriteAll writes records and flushes.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Flush()
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }
