package domain

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/csvimport"
)

// FuzzImport runs arbitrary bytes through the real import front half (the
// CSV reader with the import's fields, ParseImportRow) and plans the valid
// rows in two batches, the second knowing what the first created. Whatever
// the input: nothing panics; a valid row has an email or a phone, both
// normalised, and a known status; every row ends as exactly one new lead or
// one merge; no two people share an email or a phone; and planning the same
// rows again against the result adds nothing.
func FuzzImport(f *testing.F) {
	f.Add("email,phone,first_name\na@x.io,+14155550101,Ann\nA@X.IO,,Annie\n,(415) 555-0101,\n")
	f.Add("\ufeffE-mail,Phone,Status,Budget Min Cents,Budget Max Cents\nb@x.io,415-555-0102,qualified,5,4\n\"c@x.io\",\"415\n5550103\",NEW,1,2\n")
	f.Add("phone,phone_region,postal_code,source\n020 7946 0958,GB,SW1A 1AA,referral\n02079460958,gb,!!,\n")
	f.Add("email,phone\nx@y.io,+14155550104\nz@y.io,+14155550104\nx@y.io,+14155550105\n")
	f.Add("Full Name,E-mail Address,Tags,Notes,Assigned To,Max Budget\n\"Diaz, Dee\",d@x.io,\"a; b|c\",hi,Pat,\"$450,000\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		var rep csvimport.Report
		rd, err := csvimport.NewReader(strings.NewReader(in), csvimport.Options{Fields: ImportFields(), Recognise: ImportColumns}, &rep)
		if err != nil {
			return
		}
		var rows []ImportRow
		for {
			r, err := rd.Next()
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			var fe FieldErrors
			ir := ParseImportRow(r.Line, r.Values, "US", &fe)
			for _, e := range fe {
				if ImportFieldIndex(e.Field) < 0 || e.Message == "" {
					t.Fatalf("row %d: error names %q: %q", r.Line, e.Field, e.Message)
				}
			}
			if len(fe) > 0 {
				continue
			}
			c := ir.Contact
			if c.Email == nil && c.Phone == nil {
				t.Fatalf("row %d valid without email or phone", r.Line)
			}
			if c.Email != nil {
				if again, ok := NormalizeEmail(*c.Email); !ok || again != *c.Email {
					t.Fatalf("email %q not normalised", *c.Email)
				}
			}
			if c.Phone != nil {
				if again, ok := NormalizePhone(*c.Phone, "US"); !ok || again != *c.Phone {
					t.Fatalf("phone %q not normalised", *c.Phone)
				}
			}
			if !ValidStatus(ir.Status) {
				t.Fatalf("status %q", ir.Status)
			}
			rows = append(rows, ir)
		}
		now := time.Unix(1_700_000_000, 0).UTC()
		newID := ids()
		half := len(rows) / 2
		var people []ImportMatch
		apply := func(p ImportPlan) {
			for _, u := range p.UpdatedContacts {
				for i := range people {
					if people[i].Contact.ID == u.ID {
						people[i].Contact = u
					}
				}
			}
			for _, c := range p.NewContacts {
				people = append(people, ImportMatch{Contact: c})
			}
			for _, l := range p.Leads {
				for i := range people {
					if people[i].Contact.ID == l.Lead.ContactID {
						people[i].ActiveLead = true
					}
				}
			}
		}
		for _, batch := range [][]ImportRow{rows[:half], rows[half:]} {
			p := PlanImport(batch, people, nil, newID, now)
			if len(p.Leads)+len(p.Merged) != len(batch) {
				t.Fatalf("%d rows planned as %d leads and %d merges", len(batch), len(p.Leads), len(p.Merged))
			}
			apply(p)
		}
		emails, phones := map[string]string{}, map[string]string{}
		for _, m := range people {
			c := m.Contact
			if !m.ActiveLead {
				t.Fatalf("contact %s has no lead", c.ID)
			}
			if c.Email != nil {
				if other, dup := emails[*c.Email]; dup {
					t.Fatalf("contacts %s and %s share %s", other, c.ID, *c.Email)
				}
				emails[*c.Email] = c.ID
			}
			if c.Phone != nil {
				if other, dup := phones[*c.Phone]; dup {
					t.Fatalf("contacts %s and %s share %s", other, c.ID, *c.Phone)
				}
				phones[*c.Phone] = c.ID
			}
		}
		again := PlanImport(rows, people, nil, newID, now)
		if len(again.Leads) != 0 || len(again.NewContacts) != 0 || len(again.UpdatedContacts) != 0 || len(again.Merged) != len(rows) {
			t.Fatalf("re-import changed things: %+v", again)
		}
	})
}
