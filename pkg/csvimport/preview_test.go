package csvimport_test

import (
	"slices"
	"testing"

	"reos.dev/pkg/csvimport"
)

func TestPreviewPlansTheFirstRowsAndWritesNothing(t *testing.T) {
	t.Parallel()
	file := "Name,Notes\n" + "ann,x\n" + "bad,y\n" + "\"broken,z\n"
	f := newFixture(t, file, csvimport.Config{})
	imp := f.imp()
	p, err := f.runner.Preview(t.Context(), &imp)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Columns) != 1 || p.Columns[0] != (csvimport.ColumnMapping{Column: "Name", Field: "name", Why: csvimport.WhyField}) ||
		!slices.Equal(p.Unmapped, []string{"Notes"}) || p.Mapping["Name"] != "name" || p.Mapping["Notes"] != "" {
		t.Fatalf("mapping %+v", p)
	}
	var outcomes []string
	for _, r := range p.Rows {
		outcomes = append(outcomes, r.Outcome)
	}
	if want := []string{"import", "reject", "reject"}; !slices.Equal(outcomes, want) || p.Rows[1].Errors[0].Reason != "is bad" ||
		p.Rows[2].Line != 4 || p.More {
		t.Fatalf("rows %+v", p.Rows)
	}
	after := f.imp()
	if f.writes != 0 || len(f.rows) != 0 || len(f.events) != 0 || after.Report.Rows != 0 || after.Status != imp.Status {
		t.Fatalf("the preview wrote: %d writes, rows %v, events %v, import %+v", f.writes, f.rows, f.events, after.State)
	}
}

func TestPreviewStopsAtFiftyRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, namesFile(120, nil), csvimport.Config{})
	imp := f.imp()
	imp.Mapping = map[string]string{"name": "name"}
	p, err := f.runner.Preview(t.Context(), &imp)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != csvimport.PreviewRows || !p.More || p.Rows[49].Line != 51 || p.Columns[0].Why != csvimport.WhyMapping {
		t.Fatalf("preview of %d rows, more %v, last %+v, columns %+v", len(p.Rows), p.More, p.Rows[len(p.Rows)-1], p.Columns)
	}
	if _, err := f.runner.Preview(t.Context(), &fakeImportWithMapping(f, map[string]string{"Nope": "name"})[0]); err == nil {
		t.Fatal("a mapping naming an absent column previewed")
	}
}

func fakeImportWithMapping(f *fixture, m map[string]string) []fakeImport {
	imp := f.imp()
	imp.Mapping = m
	return []fakeImport{imp}
}
