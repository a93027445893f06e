package csvimport_test

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/csvimport"
)

var fields = []csvimport.Field{{Name: "street_address", Required: true}, {Name: "list_price"}, {Name: "postal_code"}}

type readRow struct {
	line   int
	values []string
}

func readAll(t *testing.T, in string, mapping map[string]string) ([]readRow, csvimport.Report, error) {
	t.Helper()
	var rep csvimport.Report
	rd, err := csvimport.NewReader(strings.NewReader(in), csvimport.Options{Fields: fields, Mapping: mapping}, &rep)
	if err != nil {
		return nil, rep, err
	}
	var rows []readRow
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows, rep, nil
		}
		if err != nil {
			return rows, rep, err
		}
		rows = append(rows, readRow{row.Line, append([]string(nil), row.Values...)})
	}
}

func TestMessyFileKeepsGoodRowsAndReportsBadOnesByLine(t *testing.T) {
	in := "\ufeffStreet Address,LIST-PRICE,Zip,Notes\n" + // BOM, names normalised, Zip mapped, Notes ignored
		"1 Main St,100,53703,ok\n" + // line 2
		"\"2 Oak\nAve\",200,53704,quoted newline\n" + // lines 3-4
		"3 Elm St,300,53705\n" + // line 5: 3 columns
		"4 Pine \"St\",400,53706,bare quote\n" + // line 6
		"5 Birch St,\xff\xfe,53707,bad utf8\n" + // line 7
		"\n" + // blank line 8
		"  6 Cedar St  ,600,53708,\"trimmed\"\n" // line 9
	rows, rep, err := readAll(t, in, map[string]string{"Zip": "postal_code"})
	if err != nil {
		t.Fatal(err)
	}
	want := []readRow{
		{2, []string{"1 Main St", "100", "53703"}},
		{3, []string{"2 Oak\nAve", "200", "53704"}},
		{9, []string{"6 Cedar St", "600", "53708"}},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i].line != want[i].line || strings.Join(rows[i].values, "|") != strings.Join(want[i].values, "|") {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	wantErrs := []csvimport.RowError{
		{Line: 5, Reason: "has 3 columns; the header has 4"},
		{Line: 6, Reason: "has a \" inside an unquoted value (quote the value and double the quote)"},
		{Line: 7, Column: "LIST-PRICE", Reason: "is not valid UTF-8: save the file as UTF-8"},
	}
	if rep.Rows != 6 || rep.Rejected != 3 || len(rep.Errors) != 3 {
		t.Fatalf("report = %+v", rep)
	}
	for i, e := range wantErrs {
		if rep.Errors[i] != e {
			t.Errorf("error %d = %+v, want %+v", i, rep.Errors[i], e)
		}
	}
	if len(rep.IgnoredColumns) != 1 || rep.IgnoredColumns[0] != "Notes" {
		t.Errorf("ignored = %v", rep.IgnoredColumns)
	}
}

func TestUnterminatedQuoteRejectsTheRestAsOneRecord(t *testing.T) {
	rows, rep, err := readAll(t, "street_address,list_price,postal_code\n1 A,1,2\n\"2 B,2,3\n3 C,3,4\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rep.Rejected != 1 || rep.Errors[0].Line != 3 || !strings.Contains(rep.Errors[0].Reason, "broken quoting") {
		t.Fatalf("rows %+v report %+v", rows, rep)
	}
}

func TestFilesThatCannotBeImportedNameTheProblem(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		mapping  map[string]string
		field    string
		reason   string
	}{
		{"empty", "", nil, "file", "is empty"},
		{"utf16", "\xff\xfes\x00t\x00", nil, "file", "UTF-16"},
		{"required column missing", "list_price\n1\n", nil, "street_address", "is required"},
		{"mapping to an unknown field", "street_address\nx\n", map[string]string{"street_address": "street"}, "mapping", "not a field"},
		{"mapping an absent column", "street_address\nx\n", map[string]string{"Zip": "postal_code"}, "mapping", "does not have"},
		{"two columns for one field", "street_address,Street Address\nx,y\n", nil, "mapping", "both map to street_address"},
		{"header not readable", "\"street_address\n", nil, "file", "header line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, tc.in, tc.mapping)
			e, ok := apperr.As(err)
			if !ok || !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("err = %v, want an invalid apperr", err)
			}
			found := false
			for _, f := range e.Fields {
				if f.Field == tc.field && strings.Contains(f.Message, tc.reason) {
					found = true
				}
			}
			if !found {
				t.Fatalf("fields = %+v, want %s: …%s…", e.Fields, tc.field, tc.reason)
			}
		})
	}
}

func TestOverlongLineEndsTheImport(t *testing.T) {
	in := "street_address\nok\n" + strings.Repeat("x", csvimport.MaxLineBytes+10) + "\nafter\n"
	rows, _, err := readAll(t, in, nil)
	if len(rows) != 1 || !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("rows %+v err %v; want the first row, then an invalid-file error", rows, err)
	}
}

func TestReportCapsErrorsButCountsThemAll(t *testing.T) {
	var b strings.Builder
	b.WriteString("street_address,list_price\n")
	for range csvimport.MaxReportedErrors + 5 {
		b.WriteString("a,b,c\n")
	}
	_, rep, err := readAll(t, b.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != csvimport.MaxReportedErrors+5 || len(rep.Errors) != csvimport.MaxReportedErrors || !rep.ErrorsTruncated {
		t.Fatalf("rejected %d, listed %d, truncated %t", rep.Rejected, len(rep.Errors), rep.ErrorsTruncated)
	}
}

func TestParseMapping(t *testing.T) {
	m, err := csvimport.ParseMapping(`{"Zip": "postal_code"}`)
	if err != nil || m["Zip"] != "postal_code" {
		t.Fatalf("mapping = %v, %v", m, err)
	}
	if m, err := csvimport.ParseMapping("  "); err != nil || m != nil {
		t.Fatalf("empty mapping = %v, %v", m, err)
	}
	if _, err := csvimport.ParseMapping(`["Zip"]`); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("array mapping err = %v", err)
	}
}

// FuzzReader: whatever the bytes, reading never panics, every read row and
// rejection has a line number, lines never go backwards, every record is
// either returned or rejected, and a reader resumed at a position yields
// the rest of one pass.
func FuzzReader(f *testing.F) {
	f.Add("street_address,list_price\n1 Main,1\n")
	f.Add("\ufeffStreet Address\n\"a\nb\"\n\"unterminated\n")
	f.Add("street_address\n\xff\n")
	f.Add("a,\"b\nstreet_address\n")
	f.Fuzz(func(t *testing.T, in string) {
		var rep csvimport.Report
		rd, err := csvimport.NewReader(strings.NewReader(in), csvimport.Options{Fields: fields}, &rep)
		if err != nil {
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("NewReader error is not an invalid apperr: %v", err)
			}
			return
		}
		returned, last := 0, 0
		for {
			row, err := rd.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, apperr.ErrInvalid) {
					t.Fatalf("Next: %v", err)
				}
				break
			}
			returned++
			if row.Line < 2 || row.Line < last {
				t.Fatalf("row line %d after %d", row.Line, last)
			}
			last = row.Line
			if len(row.Values) != len(fields) {
				t.Fatalf("%d values", len(row.Values))
			}
		}
		if returned+rep.Rejected != rep.Rows {
			t.Fatalf("%d returned + %d rejected != %d rows", returned, rep.Rejected, rep.Rows)
		}
		for _, e := range rep.Errors {
			if e.Line < 1 || e.Reason == "" {
				t.Fatalf("row error %+v", e)
			}
		}
		// Resumed at any of its first positions, a reader yields the rest
		// of one pass.
		whole, positions := readEvents(t, strings.NewReader(in), csvimport.Options{})
		for k, p := range positions[:min(len(positions), 3)] {
			if got, _ := readEvents(t, strings.NewReader(in), csvimport.Options{Resume: p}); !sameEvents(got, whole[k+1:]) {
				t.Fatalf("resumed at %+v: %+v, want %+v", p, got, whole[k+1:])
			}
		}
	})
}

// TestResumeAfterLineContinuesTheSavedReport: a reader resumed after a
// checkpoint neither returns nor counts what came before it (good rows and
// unreadable ones alike), and a report carried over keeps its ignored
// columns once; read in two halves, the file yields what one pass does.
func TestResumeAfterLineContinuesTheSavedReport(t *testing.T) {
	in := "street_address,list_price,postal_code,Notes\n" +
		"1 A,1,10,x\n" + // line 2
		"2 B,2\n" + // line 3: rejected
		"\"3\nC\",3,30,y\n" + // lines 4-5
		"4 D,4,40,z\n" + // line 6
		"5 E,5\n" + // line 7: rejected
		"6 F,6,60,w\n" // line 8
	var whole csvimport.Report
	rd, err := csvimport.NewReader(strings.NewReader(in), csvimport.Options{Fields: fields}, &whole)
	if err != nil {
		t.Fatal(err)
	}
	var all []int
	for row, err := rd.Next(); err == nil; row, err = rd.Next() {
		all = append(all, row.Line)
	}

	// First pass stops after the record of line 4 (the checkpoint); the
	// second resumes with the saved report.
	var saved csvimport.Report
	rd, err = csvimport.NewReader(strings.NewReader(in), csvimport.Options{Fields: fields}, &saved)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for row, err := rd.Next(); err == nil; row, err = rd.Next() {
		got = append(got, row.Line)
		if row.Line == 4 {
			break
		}
	}
	rd, err = csvimport.NewReader(strings.NewReader(in), csvimport.Options{Fields: fields, ResumeAfterLine: 4}, &saved)
	if err != nil {
		t.Fatal(err)
	}
	for row, err := rd.Next(); err == nil; row, err = rd.Next() {
		got = append(got, row.Line)
	}
	if fmtInts(got) != fmtInts(all) {
		t.Fatalf("resumed lines %v, one pass %v", got, all)
	}
	if saved.Rows != whole.Rows || saved.Rejected != whole.Rejected || len(saved.Errors) != len(whole.Errors) ||
		len(saved.IgnoredColumns) != 1 || saved.IgnoredColumns[0] != "Notes" {
		t.Fatalf("resumed report %+v, one pass %+v", saved, whole)
	}
	for i := range whole.Errors {
		if saved.Errors[i] != whole.Errors[i] {
			t.Fatalf("error %d = %+v, want %+v", i, saved.Errors[i], whole.Errors[i])
		}
	}
}

func fmtInts(v []int) string {
	var b strings.Builder
	for _, n := range v {
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

func TestRejectRecordAndSkipCountOncePerRecord(t *testing.T) {
	var rep csvimport.Report
	rep.Rows = 3
	rep.RejectRecord(csvimport.RowError{Line: 2, Column: "a", Reason: "x"}, csvimport.RowError{Line: 2, Column: "b", Reason: "y"})
	rep.Skip(csvimport.RowError{Line: 3, Column: "key", Reason: "duplicate"})
	rep.Accepted = 1
	if rep.Rejected != 1 || rep.Skipped != 1 || len(rep.Errors) != 3 || rep.Accepted+rep.Rejected+rep.Skipped != rep.Rows {
		t.Fatalf("report %+v", rep)
	}
	for range csvimport.MaxReportedErrors {
		rep.Skip(csvimport.RowError{Line: 4, Reason: "duplicate"})
	}
	if rep.Skipped != csvimport.MaxReportedErrors+1 || len(rep.Errors) != csvimport.MaxReportedErrors || !rep.ErrorsTruncated {
		t.Fatalf("skipped %d, listed %d, truncated %t", rep.Skipped, len(rep.Errors), rep.ErrorsTruncated)
	}
}

func TestHasColumn(t *testing.T) {
	var rep csvimport.Report
	rd, err := csvimport.NewReader(strings.NewReader("Street Address,Zip\nx,1\n"), csvimport.Options{Fields: fields, Mapping: map[string]string{"Zip": "postal_code"}}, &rep)
	if err != nil {
		t.Fatal(err)
	}
	if !rd.HasColumn(0) || rd.HasColumn(1) || !rd.HasColumn(2) || rd.Column(2) != "Zip" || rd.Column(1) != "list_price" {
		t.Fatalf("HasColumn 0,1,2 = %t,%t,%t; Column(2) = %q", rd.HasColumn(0), rd.HasColumn(1), rd.HasColumn(2), rd.Column(2))
	}
}

// event is what one Next yields: the row (line 0 at the end) and the
// rejections it reported reading up to it.
type event struct {
	row    readRow
	errors []csvimport.RowError
	end    bool
}

// readEvents reads r to its end (or its first failure) as events, with
// the reader's position after each.
func readEvents(t *testing.T, r io.Reader, opts csvimport.Options) ([]event, []csvimport.Position) {
	t.Helper()
	var rep csvimport.Report
	opts.Fields = fields
	rd, err := csvimport.NewReader(r, opts, &rep)
	if err != nil {
		t.Fatal(err)
	}
	var evs []event
	var pos []csvimport.Position
	for {
		seen := len(rep.Errors)
		row, err := rd.Next()
		ev := event{errors: append([]csvimport.RowError(nil), rep.Errors[seen:]...)}
		if err != nil {
			ev.end = true
			return append(evs, ev), pos
		}
		ev.row = readRow{row.Line, append([]string(nil), row.Values...)}
		evs, pos = append(evs, ev), append(pos, rd.Position())
	}
}

func sameEvents(a, b []event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].row.line != b[i].row.line || strings.Join(a[i].row.values, "|") != strings.Join(b[i].row.values, "|") ||
			a[i].end != b[i].end || len(a[i].errors) != len(b[i].errors) {
			return false
		}
		for j := range a[i].errors {
			if a[i].errors[j] != b[i].errors[j] {
				return false
			}
		}
	}
	return true
}

// notSeeker hides a reader's Seek, as a store that can only stream would.
type notSeeker struct{ io.Reader }

// TestResumeAtAPositionReadsWhatOnePassDoes: resumed at the position a
// reader reported after any record — by seeking, or by reading past the
// bytes when the file cannot seek — a reader yields exactly the rest of
// one pass: the same rows and rejections on the same lines, through a
// byte order mark, CRLF line ends, quoted line breaks, rejected records
// and blank lines.
func TestResumeAtAPositionReadsWhatOnePassDoes(t *testing.T) {
	in := "\ufeffstreet_address,list_price,postal_code,Notes\r\n" +
		"1 A,1,10,x\r\n" + // line 2
		"2 B,2\r\n" + // line 3: rejected (columns)
		"\"3\r\nC\",3,30,\"y\r\nz\"\r\n" + // lines 4-6
		"4 \"D\",4,40,bare quote\r\n" + // line 7: rejected (quote)
		"\r\n" + // line 8: blank
		"5 E,\xff,50,w\r\n" + // line 9: rejected (UTF-8)
		"6 F,6,60,\"last\nline\"" // lines 10-11, no final line end
	whole, positions := readEvents(t, strings.NewReader(in), csvimport.Options{})
	if len(whole) != 4 || whole[1].row.line != 4 || whole[2].row.line != 10 || len(whole[2].errors) != 2 || !whole[3].end {
		t.Fatalf("one pass = %+v", whole)
	}
	if p := positions[1]; p.Line != 6 || p.Offset != int64(strings.Index(in, "4 \"D\"")) {
		t.Fatalf("position after the record of lines 4-6 = %+v, want line 6 at byte %d", p, strings.Index(in, "4 \"D\""))
	}
	for k, p := range positions {
		for name, r := range map[string]io.Reader{"seeking": strings.NewReader(in), "reading past": notSeeker{strings.NewReader(in)}} {
			got, _ := readEvents(t, r, csvimport.Options{Resume: p})
			if !sameEvents(got, whole[k+1:]) {
				t.Errorf("%s, resumed at %+v: %+v, want %+v", name, p, got, whole[k+1:])
			}
		}
	}
	var rep csvimport.Report
	if _, err := csvimport.NewReader(strings.NewReader(in), csvimport.Options{Fields: fields, Resume: csvimport.Position{Line: 1, Offset: 5}}, &rep); err == nil {
		t.Fatal("a resume position inside the header was accepted")
	}
}
