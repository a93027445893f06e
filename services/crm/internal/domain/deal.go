package domain

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/datetime"
)

// Deal is a lead's transaction in progress, moving through the pipeline.
type Deal struct {
	ID                string
	LeadID            string
	Title             string
	ValueCents        int64
	Currency          string
	StageID           string
	PropertyID        *string
	AssigneeID        *string
	ExpectedCloseDate *string // YYYY-MM-DD
	CreatedAt         time.Time
	UpdatedAt         time.Time
	ClosedAt          *time.Time
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate checks a deal's own fields.
func (d *Deal) Validate(f *FieldErrors) {
	d.Title = strings.TrimSpace(d.Title)
	if d.Title == "" || utf8.RuneCountInString(d.Title) > 200 {
		f.Add("title", "is required, at most 200 characters")
	}
	checkText("title", d.Title, f)
	if d.ValueCents < 0 {
		f.Add("value_cents", "must be zero or more (integer cents)")
	}
	if !currencyPattern.MatchString(d.Currency) {
		f.Add("currency", "must be an ISO 4217 code such as USD")
	}
	if d.ExpectedCloseDate != nil {
		// pkg/datetime's range: PostgreSQL refuses year 0, Go does not.
		if day, err := datetime.CanonicalDate(*d.ExpectedCloseDate); err != nil {
			f.Add("expected_close_date", err.Error())
		} else {
			d.ExpectedCloseDate = &day
		}
	}
}

// MoveTo moves the deal to stage to of its organisation's pipeline under
// the pipeline rules (CheckTransition; admin may reopen a closed deal) and
// returns the stage it left. A move the rules refuse is
// ErrIllegalTransition's error, and leaves the deal as it was. Entering a
// closed stage closes the deal at now; leaving one reopens it.
func (d *Deal) MoveTo(pipeline []Stage, to Stage, admin bool, now time.Time) (Stage, error) {
	from := StageIn(pipeline, d.StageID)
	if why := CheckTransition(pipeline, from, to, admin); why != "" {
		return from, ErrIllegalTransition(from, to, why)
	}
	d.StageID, d.UpdatedAt, d.ClosedAt = to.ID, now, nil
	if to.Closed() {
		d.ClosedAt = &now
	}
	return from, nil
}

// DealChange is one field of a deal changed by an update, recorded in the
// deal's timeline: old and new values as JSON (null for none).
type DealChange struct {
	Field string
	Old   json.RawMessage
	New   json.RawMessage
}

// changeFields lists the deal's own fields an update may change, with their
// values, in a fixed order (the stage moves apart, through the pipeline).
func (d Deal) changeFields() []struct {
	name string
	v    any
} {
	return []struct {
		name string
		v    any
	}{
		{"title", d.Title}, {"value_cents", d.ValueCents}, {"currency", d.Currency}, {"property_id", d.PropertyID},
		{"assignee_id", d.AssigneeID}, {"expected_close_date", d.ExpectedCloseDate},
	}
}

// DiffDeal returns the deal's own fields whose values differ between a and
// b, in a fixed order; none means the update changes nothing.
func DiffDeal(a, b Deal) []DealChange {
	af, bf := a.changeFields(), b.changeFields()
	var out []DealChange
	for i := range af {
		o, n := jsonValue(af[i].v), jsonValue(bf[i].v)
		if !bytes.Equal(o, n) {
			out = append(out, DealChange{Field: af[i].name, Old: o, New: n})
		}
	}
	return out
}

func jsonValue(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null") // unreachable: the fields are strings and integers
	}
	return b
}
