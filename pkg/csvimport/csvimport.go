// Package csvimport reads the CSV files users import (properties, leads)
// the one way every service does: streamed record by record (never the
// whole file in memory), the header mapped onto the importer's fields
// (explicitly, or by matching names), a UTF-8 byte order mark dropped, and
// every record that cannot be read — broken quoting, invalid UTF-8, the
// wrong number of columns — reported with its line number and read past,
// so one bad row never loses the good ones. Validating values is the
// importer's job; it reports its own rejections through the same Report.
package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
)

// Limits that keep one hostile file from exhausting memory.
const (
	// MaxLineBytes bounds one physical line.
	MaxLineBytes = 1 << 20
	// MaxColumns bounds the header.
	MaxColumns = 512
	// MaxReportedErrors bounds Report.Errors; later rejections are only counted.
	MaxReportedErrors = 1000
)

// Field is one field the importer knows.
type Field struct {
	Name     string
	Required bool
}

// Options configure a Reader.
type Options struct {
	// Fields are the importer's fields, in the order Row.Values holds them.
	Fields []Field
	// Mapping maps a file's column header to a field name. Headers it does
	// not name map to the field of the same normalised name ("List Price",
	// "list-price" and "LIST_PRICE" all match list_price); other columns are
	// ignored and listed in the report.
	Mapping map[string]string
	// Recognise, when set, maps the headers neither the mapping nor a
	// field's name claims through the recognition table (RESO names,
	// synonyms, export formats). A mapping's column mapped to "" is
	// ignored, whatever the table says.
	Recognise *Recognition
	// ResumeAfterLine makes the reader read past, without returning or
	// counting them, the records that start on or before this line: an
	// import resumed after a checkpoint continues with the report it saved
	// (passed to NewReader), and the records before the checkpoint are
	// neither loaded nor reported twice.
	ResumeAfterLine int
	// Resume, when its Offset is set, is a Position an earlier reader of
	// the same file reported: the header is read as usual, then reading
	// goes on from there — by seeking when the file is an io.Seeker, else
	// by reading past the bytes without parsing them — with the lines
	// numbered as in the whole file. A job that resumes a large file step
	// after step thus never parses its beginning again.
	Resume Position
}

// Position is a place between two records of a file: after the record
// that ends on Line, Offset bytes into the file (a byte order mark
// included).
type Position struct {
	Line   int
	Offset int64
}

// Row is one record that could be read.
type Row struct {
	// Line is the record's first line in the file (the header is line 1).
	Line int
	// Values holds the record's value for each of Options.Fields, trimmed of
	// surrounding spaces; "" when the file has no column for the field or
	// the cell is empty.
	Values []string
}

// RowError is a rejected record: its line, the column at fault (empty
// when the record as a whole is), and why.
type RowError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

// Report is the outcome of an import.
type Report struct {
	// Rows counts the data records read (header excluded).
	Rows     int `json:"rows"`
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	// Skipped counts valid records the importer did not load because what
	// they describe is already there (duplicates); Skip lists them with the
	// rejections. Rows = Accepted + Rejected + Skipped once an import ends.
	Skipped int `json:"skipped"`
	// Errors are the first MaxReportedErrors rejections and skips, in line
	// order.
	Errors          []RowError `json:"errors"`
	ErrorsTruncated bool       `json:"errors_truncated"`
	// IgnoredColumns are the file's columns that map to no field.
	IgnoredColumns []string `json:"ignored_columns"`
	// Columns say which column went to which field, and why, in the
	// file's order.
	Columns []ColumnMapping `json:"columns"`
}

// MappingOf is the mapping of a report's columns in the form an import
// accepts ({"File column": "field"}, ignored columns mapped to ""): what a
// dry run answers, for the client to edit and send back.
func (r *Report) MappingOf() map[string]string {
	m := make(map[string]string, len(r.Columns)+len(r.IgnoredColumns))
	for _, c := range r.IgnoredColumns {
		m[c] = ""
	}
	for _, c := range r.Columns {
		m[c.Column] = c.Field
	}
	return m
}

// Reject records a rejected record.
func (r *Report) Reject(e RowError) {
	r.Rejected++
	r.list(e)
}

// RejectRecord records one rejected record with an error for each of its
// bad columns (all listed, within MaxReportedErrors; counted once).
func (r *Report) RejectRecord(errs ...RowError) {
	r.Rejected++
	for _, e := range errs {
		r.list(e)
	}
}

// Skip records a valid record that was not loaded (a duplicate), with why.
func (r *Report) Skip(e RowError) {
	r.Skipped++
	r.list(e)
}

func (r *Report) list(e RowError) {
	if len(r.Errors) < MaxReportedErrors {
		r.Errors = append(r.Errors, e)
	} else {
		r.ErrorsTruncated = true
	}
}

// Reader reads one file.
type Reader struct {
	csv *csv.Reader
	// base is the position of the csv reader's start (its offset 0, its
	// line 0): after the byte order mark, or the resumed Position.
	base Position
	// pos is the position after the last record read.
	pos     Position
	columns []int // file column → field index, -1 ignored
	fields  []Field
	report  *Report
	header  []string
	row     Row
	// lastLine is the line of the last record read, for messages.
	lastLine int
	// resumeAfter: records starting on or before it are read past unseen.
	resumeAfter int
}

// NewReader reads the header of r and maps it onto opts.Fields. A file
// that cannot be imported at all — empty, not UTF-8, a header that is not
// readable, a mapping naming an unknown field or column, two columns for
// one field, a required field without a column — is an apperr naming the
// problem (field "file" or "mapping"); rows are read with Next.
func NewReader(r io.Reader, opts Options, report *Report) (*Reader, error) {
	br := bufio.NewReaderSize(&lineLimiter{r: r}, 64<<10)
	bom, err := skipBOM(br)
	if err != nil {
		return nil, err
	}
	cr := newCSV(br)
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, apperr.Invalid("file", "is empty: the first line must name the columns")
	case errors.Is(err, errLineTooLong):
		return nil, apperr.Invalid("file", fmt.Sprintf("line 1 is longer than %d bytes", MaxLineBytes))
	case err != nil:
		return nil, apperr.Invalid("file", "the header line cannot be read: "+parseReason(err))
	}
	if len(header) > MaxColumns {
		return nil, apperr.Invalid("file", fmt.Sprintf("has %d columns; at most %d are read", len(header), MaxColumns))
	}
	rd := &Reader{csv: cr, base: Position{Offset: int64(bom)}, fields: opts.Fields, report: report, resumeAfter: opts.ResumeAfterLine}
	rd.pos = rd.after(header)
	rd.header = slices.Clone(header)
	if err := rd.mapHeader(opts); err != nil {
		return nil, err
	}
	rd.row.Values = make([]string, len(opts.Fields))
	if opts.Resume.Offset > 0 {
		if err := rd.resume(r, br, opts.Resume); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

func newCSV(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return cr
}

// after is the position after rec, the record just read: the line its
// last field ends on (a quoted field may span lines; encoding/csv turns
// each line break in it into one \n) and the csv reader's offset.
func (rd *Reader) after(rec []string) Position {
	last := len(rec) - 1
	line, _ := rd.csv.FieldPos(last)
	return Position{Line: rd.base.Line + line + strings.Count(rec[last], "\n"), Offset: rd.base.Offset + rd.csv.InputOffset()}
}

// resume moves the reader, just past the header, to p of the same file.
func (rd *Reader) resume(r io.Reader, br *bufio.Reader, p Position) error {
	if p.Offset < rd.pos.Offset || p.Line < rd.pos.Line {
		return fmt.Errorf("csvimport: resume position %+v lies within the header (which ends at %+v)", p, rd.pos)
	}
	if s, ok := r.(io.Seeker); ok {
		if _, err := s.Seek(p.Offset, io.SeekStart); err != nil {
			return fmt.Errorf("csvimport: resume at byte %d: %w", p.Offset, err)
		}
		br.Reset(&lineLimiter{r: r})
	} else if _, err := io.CopyN(io.Discard, br, p.Offset-rd.pos.Offset); err != nil {
		// The header's bytes were read through br, which now stands just
		// after them.
		return fmt.Errorf("csvimport: resume at byte %d: %w", p.Offset, err)
	}
	rd.csv, rd.base, rd.pos = newCSV(br), p, p
	return nil
}

// Position is where the reader stands: after the last record Next
// returned or read past (after the header before the first Next). A
// reader of the same file given it as Options.Resume goes on from there.
func (rd *Reader) Position() Position { return rd.pos }

func (rd *Reader) mapHeader(opts Options) error {
	byName := make(map[string]int, len(opts.Fields))
	for i, f := range opts.Fields {
		byName[f.Name] = i
	}
	explicit := make(map[string]string, len(opts.Mapping))
	for col, field := range opts.Mapping {
		if _, ok := byName[field]; !ok && field != "" {
			return apperr.Invalid("mapping", fmt.Sprintf("maps column %q to %q, which is not a field (fields: %s)", col, field, fieldNames(opts.Fields)))
		}
		explicit[strings.TrimSpace(col)] = field
	}
	seenCol := make(map[string]bool, len(explicit))
	rd.columns = make([]int, len(rd.header))
	type claim struct {
		col  int
		rank int
		why  string
	}
	owner := make([]claim, len(opts.Fields))
	for i := range owner {
		owner[i] = claim{col: -1, rank: rankNone}
	}
	for c, h := range rd.header {
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return apperr.Invalid("file", "the header is not valid UTF-8: save the file as UTF-8")
		}
		rd.header[c] = h
		rd.columns[c] = -1
		m := match{rank: rankNone}
		if field, ok := explicit[h]; ok {
			seenCol[h] = true
			m = match{field: field, rank: rankMapping, why: WhyMapping}
		} else if f := normalise(h); f != "" {
			if _, ok := byName[f]; ok {
				m = match{field: f, rank: rankField, why: WhyField}
			} else if t := opts.Recognise.header(h); t.rank != rankNone {
				if _, ok := byName[t.field]; ok {
					m = t
				}
			}
		}
		if m.field == "" {
			continue
		}
		i := byName[m.field]
		prev := owner[i]
		switch {
		case prev.col < 0 || m.rank < prev.rank:
			if prev.col >= 0 {
				rd.columns[prev.col] = -1
			}
			owner[i] = claim{col: c, rank: m.rank, why: m.why}
			rd.columns[c] = i
		case m.rank == prev.rank && m.rank <= rankField:
			return apperr.Invalid("mapping", fmt.Sprintf("columns %q and %q both map to %s", rd.header[prev.col], h, m.field))
		}
		// Otherwise a better-named column already feeds the field: this
		// one is ignored.
	}
	for col := range explicit {
		if !seenCol[col] {
			return apperr.Invalid("mapping", fmt.Sprintf("names column %q, which the file does not have", col))
		}
	}
	rd.report.Columns = rd.report.Columns[:0]
	for c, i := range rd.columns {
		if i < 0 {
			// A resumed import's report lists them already.
			if !slices.Contains(rd.report.IgnoredColumns, rd.header[c]) {
				rd.report.IgnoredColumns = append(rd.report.IgnoredColumns, rd.header[c])
			}
			continue
		}
		rd.report.Columns = append(rd.report.Columns, ColumnMapping{Column: rd.header[c], Field: opts.Fields[i].Name, Why: owner[i].why})
	}
	var missing apperr.Fields
	for i, f := range opts.Fields {
		if f.Required && owner[i].col < 0 {
			missing.Add(f.Name, "is required: the file has no column for it (name a column after it, or map one to it)")
		}
	}
	return missing.Err()
}

// Next returns the next readable record; io.EOF ends the file. A record
// that cannot be read is rejected in the report and skipped. The returned
// Row is reused by the next call. A line over MaxLineBytes ends the import
// with an apperr naming it: what follows cannot be trusted to be aligned.
func (rd *Reader) Next() (*Row, error) {
	for {
		rec, err := rd.csv.Read()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.Is(err, errLineTooLong) {
				return nil, apperr.Invalid("file", fmt.Sprintf("a line after line %d is longer than %d bytes; nothing after it was read", rd.lastLine, MaxLineBytes))
			}
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("csvimport: %w", err)
			}
			// The record's lines are read up to the one at fault.
			rd.pos = Position{Line: rd.base.Line + pe.Line, Offset: rd.base.Offset + rd.csv.InputOffset()}
			start := rd.base.Line + pe.StartLine
			if start <= rd.resumeAfter {
				continue
			}
			rd.report.Rows++
			rd.report.Reject(RowError{Line: start, Reason: parseReason(err)})
			continue
		}
		line, _ := rd.csv.FieldPos(0)
		line += rd.base.Line
		rd.pos = rd.after(rec)
		rd.lastLine = line
		if line <= rd.resumeAfter {
			continue
		}
		rd.report.Rows++
		if len(rec) == 1 && rec[0] == "" {
			rd.report.Rows-- // a blank line is not a record
			continue
		}
		if len(rec) != len(rd.header) {
			rd.report.Reject(RowError{Line: line, Reason: fmt.Sprintf("has %d columns; the header has %d", len(rec), len(rd.header))})
			continue
		}
		if c, ok := rd.fill(rec); !ok {
			rd.report.Reject(RowError{Line: line, Column: rd.header[c], Reason: "is not valid UTF-8: save the file as UTF-8"})
			continue
		}
		rd.row.Line = line
		return &rd.row, nil
	}
}

// fill copies rec into the row's values; false names a column that is not UTF-8.
func (rd *Reader) fill(rec []string) (int, bool) {
	clear(rd.row.Values)
	for c, v := range rec {
		i := rd.columns[c]
		if i < 0 {
			continue
		}
		if !utf8.ValidString(v) {
			return c, false
		}
		rd.row.Values[i] = strings.TrimSpace(v)
	}
	return 0, true
}

// HasColumn reports whether the file has a column for field i.
func (rd *Reader) HasColumn(i int) bool { return slices.Contains(rd.columns, i) }

// Column returns the file's column header that feeds field i (the field's
// name when the file has none): what a row error should name.
func (rd *Reader) Column(i int) string {
	for c, f := range rd.columns {
		if f == i {
			return rd.header[c]
		}
	}
	return rd.fields[i].Name
}

func parseReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote):
			return "has broken quoting (a quoted value must end with \" and quotes inside it must be doubled)"
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return "has a \" inside an unquoted value (quote the value and double the quote)"
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// normalise turns a column header into the field name it most likely means:
// lower case, runs of spaces, dashes and dots as one underscore.
func normalise(h string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '_' || r == '\t':
			under = b.Len() > 0
		default:
			if under {
				b.WriteByte('_')
				under = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func fieldNames(fs []Field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// skipBOM drops a UTF-8 byte order mark (returning its length) and
// refuses UTF-16/32 files, which would otherwise read as garbage.
func skipBOM(br *bufio.Reader) (int, error) {
	head, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}),
		bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}):
		return 0, apperr.Invalid("file", "is UTF-16 or UTF-32 encoded: save it as UTF-8")
	}
	return 0, nil
}

var errLineTooLong = errors.New("line too long")

// lineLimiter fails a read once a physical line exceeds MaxLineBytes, so
// encoding/csv never buffers an unbounded line.
type lineLimiter struct {
	r   io.Reader
	run int // bytes since the last newline
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	// Only the run into the first newline and the run after the last can
	// be long: the lines between lie within p, shorter than any limit
	// bufio's buffer allows.
	first := bytes.IndexByte(p[:n], '\n')
	if first < 0 {
		l.run += n
	} else {
		if l.run+first > MaxLineBytes {
			return 0, errLineTooLong
		}
		l.run = n - bytes.LastIndexByte(p[:n], '\n') - 1
	}
	if l.run > MaxLineBytes {
		return 0, errLineTooLong
	}
	return n, err
}

// ParseMapping reads a mapping given as JSON ({"File column": "field"}),
// naming the field "mapping" when it is not one.
func ParseMapping(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if len(s) > maxMappingBytes {
		return nil, apperr.Invalid("mapping", fmt.Sprintf("is longer than %d bytes", maxMappingBytes))
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, apperr.Invalid("mapping", `must be a JSON object of column header to field name, such as {"Zip": "postal_code"}`)
	}
	return m, nil
}

const maxMappingBytes = 64 << 10
