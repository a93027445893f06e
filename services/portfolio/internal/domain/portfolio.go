package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
)

// Permissions portfolio checks (identity's catalogue defines them).
const (
	PermRead  = "portfolio:read"
	PermWrite = "portfolio:write"
)

// Bounds of a portfolio's texts.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 4000
)

// Portfolio is a named set of holdings with one currency: every amount of
// its ledger is in it.
type Portfolio struct {
	ID          string
	OrgID       string
	Name        string
	Description string
	Currency    string
	CreatedBy   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// PortfolioInput is what a client sets on a portfolio. Currency is
// required on create; on update it may be left out or repeated, never
// changed (every amount recorded is in it).
type PortfolioInput struct {
	Name        string
	Description string
	Currency    string
}

// NewPortfolio validates in and returns the portfolio.
func NewPortfolio(id, orgID string, createdBy *string, in PortfolioInput, now time.Time) (Portfolio, error) {
	var f FieldErrors
	name, desc := checkTexts(&f, in)
	cur, err := ParseCurrency("currency", in.Currency)
	if in.Currency == "" {
		f.Add("currency", "is required (an ISO 4217 code such as USD)")
	} else if err != nil {
		addErr(&f, err)
	}
	if err := f.Err(); err != nil {
		return Portfolio{}, err
	}
	return Portfolio{ID: id, OrgID: orgID, Name: name, Description: desc, Currency: cur, CreatedBy: createdBy,
		CreatedAt: now, UpdatedAt: now}, nil
}

// Update applies in to p: name and description; a currency other than
// p's is refused.
func (p Portfolio) Update(in PortfolioInput, now time.Time) (Portfolio, error) {
	var f FieldErrors
	name, desc := checkTexts(&f, in)
	if in.Currency != "" && in.Currency != p.Currency {
		f.Add("currency", "cannot be changed: the portfolio's amounts are in "+p.Currency)
	}
	if err := f.Err(); err != nil {
		return p, err
	}
	p.Name, p.Description, p.UpdatedAt = name, desc, now
	return p, nil
}

func checkTexts(f *FieldErrors, in PortfolioInput) (string, string) {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		f.Add("name", "is required")
	case utf8.RuneCountInString(name) > MaxNameLen || !printable(name):
		f.Add("name", "must be at most 200 printable characters")
	}
	desc := strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(desc) > MaxDescriptionLen || strings.ContainsRune(desc, 0) {
		f.Add("description", "must be at most 4000 characters, without NUL")
	}
	return name, desc
}

// printable reports a one-line text without control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func addErr(f *FieldErrors, err error) {
	if e, ok := apperr.As(err); ok {
		*f = append(*f, e.Fields...)
	}
}
