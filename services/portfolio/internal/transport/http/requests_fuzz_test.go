package http

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/services/portfolio/internal/domain"
)

// FuzzDecodeListTransactions: any query string decodes into filters the
// repository can use (known kinds, canonical ids, a whitelisted sort) or
// is a 400 naming a parameter; never a panic, never another error.
func FuzzDecodeListTransactions(f *testing.F) {
	for _, seed := range []string{"", "kind=income,expense&from=2024-01-01&to=2024-12-31", "holding_id=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"sort=-recorded_at&limit=200", "voids=only&category=rent", "kind=&from=2024-02-30", "limit=0", "cursor=%00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := url.ParseQuery(raw); err != nil {
			return
		}
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/api/v1/portfolio/x/transactions", RawQuery: raw}, Header: http.Header{}}
		q, err := decodeListTransactions(context.Background(), r)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindBadRequest || len(e.Fields) != 1 {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		for _, k := range q.Body.Kinds {
			if !slices.Contains(domain.Kinds(), k) {
				t.Fatalf("%q: kind %q", raw, k)
			}
		}
		if q.Body.HoldingID != nil && !domain.ValidID(*q.Body.HoldingID) {
			t.Fatalf("%q: holding %q", raw, *q.Body.HoldingID)
		}
		if f := q.Body.Sort.Field; f != "" && f != "occurred_on" && f != "recorded_at" {
			t.Fatalf("%q: sort %q", raw, f)
		}
	})
}
