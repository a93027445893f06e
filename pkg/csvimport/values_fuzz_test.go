package csvimport_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/datetime"
)

// FuzzHeaderRecognition: any header line maps or is refused with a 4xx
// apperr, never panics; every field is fed by at most one column, and the
// report lists each column once, mapped or ignored.
func FuzzHeaderRecognition(f *testing.F) {
	for _, s := range []string{"Address,City,State,Zip,Price,Beds,Baths,SqFt,Type,Status", "MLS#,ListingKey,ListingId", "city,City,CITY", "$/SQUARE FEET,SQUARE FEET", "#,$,%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n\"") || !utf8.ValidString(line) {
			return
		}
		rep := csvimport.NewReport()
		_, err := csvimport.NewReader(strings.NewReader(line+"\n"), csvimport.Options{Fields: propertyFields[:10], Recognise: csvimport.PropertyColumns}, &rep)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range rep.Columns {
			if seen[c.Field] {
				t.Fatalf("%s fed twice: %+v", c.Field, rep.Columns)
			}
			seen[c.Field] = true
		}
		if n := len(strings.Split(line, ",")); len(rep.Columns)+len(rep.IgnoredColumns) > n {
			t.Fatalf("%d columns, %d mapped + %d ignored", n, len(rep.Columns), len(rep.IgnoredColumns))
		}
	})
}

// FuzzParseMoney: an accepted amount is within bounds and reads back the
// same from its plain form.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"$350,000", "350000.00", "€1.234,56", "1234,5", "1.234", "£ 99", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := csvimport.ParseMoney(s)
		if err != nil {
			return
		}
		if c < 0 || c > csvimport.MaxMoneyUnits*100+99 {
			t.Fatalf("ParseMoney(%q) = %d", s, c)
		}
		plain := fmt.Sprintf("%d.%02d", c/100, c%100)
		if back, err := csvimport.ParseMoney(plain); err != nil || back != c {
			t.Fatalf("ParseMoney(%q) = %d; its plain form %q reads %d, %v", s, c, plain, back, err)
		}
	})
}

// FuzzParseDate: an accepted date lies in pkg/datetime's range.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-03-14", "3/14/2026 2:30 PM", "14 March 2026", "2026-03-14T18:30:00Z", "0999-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := csvimport.ParseDate(s, time.UTC)
		if err == nil && datetime.CheckTime(d) != nil {
			t.Fatalf("ParseDate(%q) = %v, outside the range", s, d)
		}
	})
}

// FuzzParseBoolAndLookup: no panics; a lookup's answer is a value of the
// lookup, the same for any spelling with the same key.
func FuzzParseBoolAndLookup(f *testing.F) {
	for _, s := range []string{"yes", "single family", "Active Under Contract", "✓"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = csvimport.ParseBool(s)
		v, ok := csvimport.PropertyColumns.Lookup("standard_status", s)
		if !ok {
			return
		}
		if own, ok2 := csvimport.PropertyColumns.Lookup("standard_status", v); !ok2 || own != v {
			t.Fatalf("%q → %q, which itself maps to %q, %v", s, v, own, ok2)
		}
		if up := strings.ToUpper(s); csvimport.LookupKey(up) == csvimport.LookupKey(s) {
			if got, _ := csvimport.PropertyColumns.Lookup("standard_status", up); got != v {
				t.Fatalf("%q → %q but %q → %q", s, v, up, got)
			}
		}
	})
}

// Benchmarks of the per-cell work recognition adds to an import
// (go test -bench . -run XXX ./pkg/csvimport).
func BenchmarkParseMoney(b *testing.B) {
	for _, s := range []string{"350000", "$350,000.00", "€1.234,56"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := csvimport.ParseMoney(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	for b.Loop() {
		if _, ok := csvimport.PropertyColumns.Lookup("property_type", "Single Family Residential"); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkRecogniseRedfinHeader(b *testing.B) {
	line := "SALE TYPE,SOLD DATE,PROPERTY TYPE,ADDRESS,CITY,STATE OR PROVINCE,ZIP OR POSTAL CODE,PRICE,BEDS,BATHS,LOCATION," +
		"SQUARE FEET,LOT SIZE,YEAR BUILT,DAYS ON MARKET,$/SQUARE FEET,HOA/MONTH,STATUS,SOURCE,MLS#,LATITUDE,LONGITUDE\n"
	for b.Loop() {
		rep := csvimport.NewReport()
		if _, err := csvimport.NewReader(strings.NewReader(line), csvimport.Options{Fields: propertyFields, Recognise: csvimport.PropertyColumns}, &rep); err != nil {
			b.Fatal(err)
		}
	}
}
