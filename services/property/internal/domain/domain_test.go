package domain

import (
	"encoding/json"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func validFields() PropertyFields {
	return PropertyFields{
		ListPriceCents: Of(int64(100)), PropertyType: Of("Land"), City: Of(" Austin "),
		UnparsedAddress: Of("1 Main St"), LotSizeAcres: Of("007.50"),
	}
}

func TestNewPropertyNormalises(t *testing.T) {
	t.Parallel()
	p, err := NewProperty("id", "org", validFields(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if p.City != "Austin" || *p.LotSizeAcres != "7.50" || p.StandardStatus != DefaultStatus || p.Country != DefaultCountry {
		t.Errorf("property %+v", p)
	}
}

func TestPatchDistinguishesNullFromAbsent(t *testing.T) {
	t.Parallel()
	var f PropertyFields
	if err := json.Unmarshal([]byte(`{"year_built": null, "bedrooms_total": 3}`), &f); err != nil {
		t.Fatal(err)
	}
	if !f.YearBuilt.Set || f.YearBuilt.Value != nil || !f.BedroomsTotal.Set || *f.BedroomsTotal.Value != 3 || f.City.Set {
		t.Errorf("fields %+v", f)
	}
}

func TestPropertyUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		patch   PropertyFields
		changed []string
		wantErr bool
	}{
		{name: "nothing", patch: PropertyFields{}, changed: nil},
		{name: "same value", patch: PropertyFields{City: Of("Austin")}, changed: nil},
		{name: "price and status", patch: PropertyFields{ListPriceCents: Of(int64(5)), StandardStatus: Of("Closed")}, changed: []string{"list_price_cents", "standard_status"}},
		{name: "clear optional", patch: PropertyFields{LotSizeAcres: Null[string]()}, changed: []string{"lot_size_acres"}},
		{name: "null required", patch: PropertyFields{PropertyType: Null[string]()}, wantErr: true},
		{name: "bad status", patch: PropertyFields{StandardStatus: Of("Sold")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := NewProperty("id", "org", validFields(), t0)
			if err != nil {
				t.Fatal(err)
			}
			before := p
			changes, err := p.Update(tt.patch, t0.Add(time.Hour))
			if tt.wantErr {
				if err == nil {
					t.Fatal("want error")
				}
				if p.UpdatedAt != before.UpdatedAt || p.PropertyType != before.PropertyType {
					t.Error("a failed update changed the property")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, c := range changes {
				fields = append(fields, c.Field)
			}
			if len(fields) != len(tt.changed) {
				t.Fatalf("changed %v, want %v", fields, tt.changed)
			}
			for i := range fields {
				if fields[i] != tt.changed[i] {
					t.Fatalf("changed %v, want %v", fields, tt.changed)
				}
			}
			if (len(changes) > 0) != p.UpdatedAt.After(before.UpdatedAt) {
				t.Errorf("updated_at %v with %d changes", p.UpdatedAt, len(changes))
			}
		})
	}
}

func TestListingUpdateVersions(t *testing.T) {
	t.Parallel()
	l, err := NewListing("id", "org", "0190c0de-0000-7000-8000-000000000001", "", ListingFields{ListPriceCents: Of(int64(10))}, t0)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := l.Update(ListingFields{ListPriceCents: Of(int64(10))}, t0)
	if err != nil || len(ch.Fields) != 0 || l.Version != 1 {
		t.Fatalf("no-op: %+v %v v%d", ch, err, l.Version)
	}
	ch, err = l.Update(ListingFields{StandardStatus: Of("Pending"), ListPriceCents: Of(int64(9))}, t0)
	if err != nil || !ch.StatusChanged || !ch.PriceChanged || ch.OldPrice != 10 || ch.OldStatus != "Active" || l.Version != 2 {
		t.Fatalf("change: %+v %v v%d", ch, err, l.Version)
	}
}
