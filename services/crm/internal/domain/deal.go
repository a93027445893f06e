package domain

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
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
		if _, err := time.Parse(time.DateOnly, *d.ExpectedCloseDate); err != nil {
			f.Add("expected_close_date", "must be a date YYYY-MM-DD")
		}
	}
}
