package http

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/services/outreach/internal/domain"
)

// FuzzDecodeAttemptQuery: any query string of an attempt list is either a
// 400 naming a parameter or a query whose statuses, channel and lead id
// are ones the repository can bind.
func FuzzDecodeAttemptQuery(f *testing.F) {
	for _, s := range []string{"", "status=sent", "status=sent,blocked&channel=sms", "status=nope", "channel=fax",
		"lead_id=0190a8a0-0000-7000-8000-000000000001", "lead_id=x", "limit=5&cursor=abc", "status=&status=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/api/v1/outreach/attempts", nil)
		r.URL.RawQuery = raw
		if _, err := url.ParseQuery(raw); err != nil {
			return // net/http keeps what it can parse; the rest is dropped
		}
		q, err := decodeAttemptQuery(context.Background(), r)
		if err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.KindBadRequest || len(e.Fields) == 0 {
				t.Fatalf("%q: %v is not a 400 naming a parameter", raw, err)
			}
			return
		}
		for _, st := range q.Statuses {
			if !slices.Contains(domain.AttemptStatuses(), st) {
				t.Fatalf("%q: status %q passed", raw, st)
			}
		}
		if q.Channel != "" && q.Channel != "email" && q.Channel != "sms" {
			t.Fatalf("%q: channel %q passed", raw, q.Channel)
		}
		if q.LeadID != "" && !domain.ValidID(q.LeadID) {
			t.Fatalf("%q: lead_id %q passed", raw, q.LeadID)
		}
	})
}
