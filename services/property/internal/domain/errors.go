package domain

import "reos.dev/pkg/apperr"

// Stable error reasons (the suffix of the problem type URI).
const (
	ReasonPropertyNotFound = "property_not_found"
	ReasonListingNotFound  = "listing_not_found"
	ReasonListingKeyTaken  = "listing_key_taken"
)

// ErrPropertyNotFound answers for a property that does not exist or belongs
// to another organisation; row-level security makes the two identical.
func ErrPropertyNotFound() error {
	return apperr.NotFound(ReasonPropertyNotFound, "no such property")
}

// ErrListingNotFound is ErrPropertyNotFound for listings.
func ErrListingNotFound() error { return apperr.NotFound(ReasonListingNotFound, "no such listing") }

// ErrListingKeyTaken reports a listing_key already used by another property
// of the organisation.
func ErrListingKeyTaken() error {
	e := apperr.Conflict(ReasonListingKeyTaken, "another property of the organisation has this listing_key")
	e.Fields = []apperr.FieldError{{Field: "listing_key", Message: "is already used by another property"}}
	return e
}

// Permissions the property service checks (identity's catalogue defines them).
const (
	PermPropertiesRead  = "properties:read"
	PermPropertiesWrite = "properties:write"
)
